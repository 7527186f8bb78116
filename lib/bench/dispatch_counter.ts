/**
 * Counting GPU dispatches on tfjs-backend-webgpu: every compute shader the backend runs goes through its
 * `runWebGPUProgram` (one `dispatchWorkgroups` each, except for empty outputs, which it skips), so wrapping that
 * method on the active backend object counts them. The wrapper is an own property of the backend instance that
 * shadows the prototype's method; {@link DispatchCounter.stop} removes it again.
 *
 * @module
 */
import { tf } from "../deps.ts";

/** A running count, from {@link countWebgpuDispatches}. */
export interface DispatchCounter {
  /** Dispatches since the counter started (programs with an empty output are not dispatched and not counted). */
  readonly count: number;
  /** Stop counting and restore the backend's method (counters stop in reverse order of starting). */
  stop(): void;
}

type RunProgram = (program: { outputShape?: number[] }, ...rest: unknown[]) => unknown;

/**
 * Start counting the WebGPU backend's dispatches; throws when the active backend is not webgpu.
 *
 * @example
 * ```ts
 * import { tf } from "../deps.ts";
 * import { countWebgpuDispatches } from "./dispatch_counter.ts";
 * if (tf.getBackend() === "webgpu") {
 *   const counter = countWebgpuDispatches();
 *   tf.dispose(tf.add(tf.ones([4]), tf.ones([4])));
 *   counter.stop();
 *   if (counter.count !== 1) throw new Error("one add, one dispatch");
 * }
 * ```
 */
export function countWebgpuDispatches(): DispatchCounter {
  const name = tf.getBackend();
  if (name !== "webgpu") throw new Error(`countWebgpuDispatches: the active backend is ${name}, not webgpu`);
  const backend = tf.backend() as unknown as { runWebGPUProgram: RunProgram };
  const hadOwn = Object.hasOwn(backend, "runWebGPUProgram");
  const previous = backend.runWebGPUProgram;
  let count = 0;
  let stopped = false;
  const counting: RunProgram = function (this: unknown, program, ...rest) {
    const output = rest[3] as { shape: number[] } | undefined;
    const shape = output?.shape ?? program.outputShape ?? [];
    if (shape.every((d) => d > 0)) count++;
    return previous.call(this, program, ...rest);
  };
  backend.runWebGPUProgram = counting;
  return {
    get count(): number {
      return count;
    },
    stop(): void {
      if (stopped) return;
      if (backend.runWebGPUProgram !== counting) {
        throw new Error("DispatchCounter.stop: a counter started later is still running; stop that one first");
      }
      stopped = true;
      if (hadOwn) backend.runWebGPUProgram = previous;
      else delete (backend as { runWebGPUProgram?: RunProgram }).runWebGPUProgram;
    },
  };
}
