/**
 * Ctrl-C for long runs: the first press asks the run to stop after the current step (it then saves a checkpoint),
 * the second quits at once. A task exits with 130 (128 + SIGINT) either way.
 *
 * @module
 */

/** A stop request wired to SIGINT; `dispose()` removes the listener. */
export interface CtrlC {
  /** Aborted at the first Ctrl-C. */
  signal: AbortSignal;
  /** Stop listening. */
  dispose(): void;
}

/**
 * Listen for Ctrl-C until `dispose()`; a second Ctrl-C calls `quit(130)` (a task passes `Deno.exit`).
 *
 * @example
 * ```ts
 * import { onCtrlC } from "./interrupt.ts";
 * const ctrlC = onCtrlC();
 * if (ctrlC.signal.aborted) throw new Error("not yet");
 * ctrlC.dispose();
 * ```
 */
export function onCtrlC(quit: (code: number) => void = () => {}): CtrlC {
  const controller = new AbortController();
  const listener = () => {
    console.error("\nCtrl-C: saving a checkpoint after this step (press again to quit at once)");
    if (controller.signal.aborted) quit(130);
    controller.abort();
  };
  Deno.addSignalListener("SIGINT", listener);
  return { signal: controller.signal, dispose: () => Deno.removeSignalListener("SIGINT", listener) };
}
