/**
 * Ctrl-C for long runs: the first press asks the run to stop after the current step (it then saves a checkpoint),
 * the second quits at once.
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
 * Listen for Ctrl-C until `dispose()`.
 *
 * @example
 * ```ts
 * import { onCtrlC } from "./interrupt.ts";
 * const ctrlC = onCtrlC();
 * if (ctrlC.signal.aborted) throw new Error("not yet");
 * ctrlC.dispose();
 * ```
 */
export function onCtrlC(): CtrlC {
  const controller = new AbortController();
  const listener = () => {
    console.error("\nCtrl-C: saving a checkpoint after this step (press again to quit at once)");
    if (controller.signal.aborted) Deno.exit(130);
    controller.abort();
  };
  Deno.addSignalListener("SIGINT", listener);
  return { signal: controller.signal, dispose: () => Deno.removeSignalListener("SIGINT", listener) };
}
