/**
 * Counting what the training step asks of the GPU on tfjs-backend-webgpu: dispatches ({@link countWebgpuDispatches})
 * and blocking read-backs ({@link countWebgpuReadbacks}).
 *
 * Dispatches: every compute shader the backend runs goes through its
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

/** A running count of blocking GPU→CPU read-backs, from {@link countWebgpuReadbacks}. */
export interface ReadbackCounter {
  /** Blocking read-backs so far (see {@link countWebgpuReadbacks}). */
  readonly count: number;
  /** GPU reads issued so far, blocking or not. */
  readonly reads: number;
  /** Mark the end of a step: reads it issued that are still pending complete in a later step (not blocking). */
  endStep(): void;
  /** Stop counting and restore the backend's methods. */
  stop(): void;
}

type BackendWithReads = {
  read: (dataId: object) => Promise<unknown>;
  readSync: (dataId: object) => unknown;
  tensorMap: { get(dataId: object): { values?: unknown } | undefined };
};

/**
 * Start counting the WebGPU backend's blocking read-backs: a `readSync` of a tensor whose values are on the GPU, and
 * a `read` of one that completes before the step that issued it ends ({@link ReadbackCounter.endStep}): the step
 * waited for the GPU. A read issued in step `s` and awaited in step `s + 1` (the loss read one step late, while the
 * device runs the next step) is not blocking; reads of values already on the CPU are not GPU reads. Throws when the
 * active backend is not webgpu.
 *
 * @example
 * ```ts
 * import { tf } from "../deps.ts";
 * import { countWebgpuReadbacks } from "./dispatch_counter.ts";
 * if (tf.getBackend() === "webgpu") {
 *   const counter = countWebgpuReadbacks();
 *   const ones = tf.ones([4096]); // large enough to be computed on the GPU
 *   const late = tf.add(ones, 1).data(); // issued in this step, read in the next
 *   counter.endStep();
 *   await late;
 *   await tf.add(ones, 2).data(); // issued and awaited in this step: blocking
 *   counter.endStep();
 *   counter.stop();
 *   if (counter.count !== 1 || counter.reads !== 2) throw new Error(`${counter.count} of ${counter.reads}`);
 * }
 * ```
 */
export function countWebgpuReadbacks(): ReadbackCounter {
  const name = tf.getBackend();
  if (name !== "webgpu") throw new Error(`countWebgpuReadbacks: the active backend is ${name}, not webgpu`);
  const backend = tf.backend() as unknown as BackendWithReads;
  const own = { read: Object.hasOwn(backend, "read"), readSync: Object.hasOwn(backend, "readSync") };
  const previous = { read: backend.read, readSync: backend.readSync };
  let count = 0, reads = 0, step = 0, stopped = false;
  const onGpu = (dataId: object) => backend.tensorMap.get(dataId)?.values == null;
  const read = function (this: unknown, dataId: object): Promise<unknown> {
    const gpu = onGpu(dataId), issuedIn = step;
    const p = previous.read.call(this, dataId);
    if (!gpu) return p;
    reads++;
    return p.then((values) => {
      if (step === issuedIn) count++;
      return values;
    });
  };
  const readSync = function (this: unknown, dataId: object): unknown {
    if (onGpu(dataId)) reads++, count++;
    return previous.readSync.call(this, dataId);
  };
  backend.read = read;
  backend.readSync = readSync;
  return {
    get count(): number {
      return count;
    },
    get reads(): number {
      return reads;
    },
    endStep(): void {
      step++;
    },
    stop(): void {
      if (stopped) return;
      if (backend.read !== read || backend.readSync !== readSync) {
        throw new Error("ReadbackCounter.stop: another wrapper of read/readSync is still installed; stop it first");
      }
      stopped = true;
      for (const key of ["read", "readSync"] as const) {
        if (own[key]) (backend as Record<string, unknown>)[key] = previous[key];
        else delete (backend as Partial<BackendWithReads>)[key];
      }
    },
  };
}
