/**
 * The memory live tensors hold on the device, each buffer once: what `bench:train` reports. tfjs's own
 * `memory().numBytes` counts a buffer once per tensor that shares it (a clone, a reshape, a tensor a gradient keeps),
 * so it overstates what a step holds.
 *
 * @module
 */
import { tf } from "../deps.ts";

/** The parts of tfjs-backend-webgpu's backend this module reads. */
interface WebGPUBufferState {
  bufferManager: { numBytesUsed: number; acquireBuffer: (...args: unknown[]) => unknown };
  tensorMap: { get(dataId: object): { resource?: unknown } | undefined };
  tensorDataPendingDisposal: object[];
  uniformPendingDisposal: { size: number }[];
  stagingPendingDisposal: { size: number }[];
}

/**
 * Bytes the live tensors hold on the device. On WebGPU: the GPU buffers tfjs has in use, less those only waiting for
 * the queue to be submitted (uniforms, staging buffers, freed tensors), so a buffer shared by several tensors counts
 * once. On cpu and wasm: tfjs's `memory().numBytes`, which counts a shared buffer once per tensor.
 *
 * @example
 * ```ts
 * import { tf } from "../deps.ts";
 * import { heldBytes } from "./gpu_memory.ts";
 * const before = heldBytes();
 * const x = tf.zeros([256]);
 * if (heldBytes() - before !== 1024) throw new Error("256 floats");
 * x.dispose();
 * ```
 */
export function heldBytes(): number {
  if (tf.getBackend() !== "webgpu") return tf.memory().numBytes;
  const b = tf.backend() as unknown as WebGPUBufferState;
  let waiting = 0;
  for (const u of b.uniformPendingDisposal) waiting += u.size;
  for (const s of b.stagingPendingDisposal) waiting += s.size;
  for (const id of b.tensorDataPendingDisposal) {
    const r = b.tensorMap.get(id)?.resource as { size?: number } | undefined;
    waiting += r?.size ?? 0;
  }
  return b.bufferManager.numBytesUsed - waiting;
}

/** The most {@link heldBytes} seen since a {@link PeakMeter} started or was {@link PeakMeter.reset}. */
export interface PeakMeter {
  /** The peak so far, in bytes. */
  readonly peak: number;
  /** Start again from the bytes held now. */
  reset(): void;
  /** Stop watching (restores what was wrapped). */
  stop(): void;
}

/**
 * Watch {@link heldBytes} for its peak: on WebGPU it is read each time tfjs takes a GPU buffer (the moments it can
 * grow), so the peak is exact; elsewhere only when {@link PeakMeter.reset} or `peak` is read.
 *
 * @example
 * ```ts
 * import { tf } from "../deps.ts";
 * import { heldBytes, watchPeak } from "./gpu_memory.ts";
 * const meter = watchPeak();
 * const base = heldBytes();
 * tf.tidy(() => tf.add(tf.ones([64]), 1));
 * if (meter.peak < base) throw new Error("a peak at least the start");
 * meter.stop();
 * ```
 */
export function watchPeak(): PeakMeter {
  let peak = heldBytes();
  let stop = () => {};
  if (tf.getBackend() === "webgpu") {
    const manager = (tf.backend() as unknown as WebGPUBufferState).bufferManager;
    const acquire = manager.acquireBuffer;
    manager.acquireBuffer = function (this: unknown, ...args: unknown[]) {
      const buffer = acquire.apply(this, args);
      peak = Math.max(peak, heldBytes());
      return buffer;
    };
    stop = () => void (manager.acquireBuffer = acquire);
  }
  return {
    get peak() {
      return (peak = Math.max(peak, heldBytes()));
    },
    reset() {
      peak = heldBytes();
    },
    stop,
  };
}
