/**
 * What this project's tfjs-backend-webgpu kernels share: the slice of the backend they call, and swapping one of
 * tfjs's kernels for ours and back ({@link KernelOverride}).
 *
 * @module
 */
import { tf } from "../../deps.ts";

/** The parts of tfjs-backend-webgpu's backend the project's kernels call. */
export interface WebGPUBackendLike {
  /** Compile (cached by `shaderKey`) and dispatch a program; returns its output. */
  runWebGPUProgram(
    program: object,
    inputs: tf.TensorInfo[],
    dtype: string,
    uniforms?: { type: string; data: number[] }[],
  ): tf.TensorInfo;
  /** Release a kernel-internal tensor's buffer. */
  disposeData(dataId: object): void;
}

/** A kernel function as tfjs calls it. */
export type KernelFn = (
  args: { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap },
) => tf.TensorInfo | tf.TensorInfo[];

/**
 * One of tfjs's WebGPU kernels replaced by ours: {@link KernelOverride.register} swaps it in (idempotent, keeping
 * tfjs's as {@link KernelOverride.original} for the cases ours hands back), {@link KernelOverride.unregister} puts
 * tfjs's back.
 *
 * @example
 * ```ts
 * import { KernelOverride } from "./webgpu_kernel.ts";
 * // a pass-through: hands every call back to tfjs's own kernel
 * const square: KernelOverride = new KernelOverride("Square", (args) => square.original!.kernelFunc(args as never) as never);
 * if (square.registered()) throw new Error("not registered until register() runs");
 * ```
 */
export class KernelOverride {
  /** The kernel ours replaced (tfjs's, or another override), once {@link KernelOverride.register} has run. */
  original: tf.KernelConfig | undefined;
  private active = false;

  /** Override `kernelName` on `webgpu` with `kernelFunc`. */
  constructor(readonly kernelName: string, readonly kernelFunc: KernelFn) {}

  /** Swap ours in; `caller` names the function in the error when the WebGPU backend is not loaded. */
  register(caller: string): void {
    const current = tf.getKernel(this.kernelName, "webgpu");
    if (!current) throw new Error(`${caller}: the WebGPU backend is not loaded (no ${this.kernelName} kernel)`);
    // Registered, or under another override that hands calls down to ours: taking tfjs's place again would loop.
    if (this.active || current.kernelFunc === (this.kernelFunc as unknown as tf.KernelFunc)) return;
    this.active = true;
    this.original = current;
    tf.unregisterKernel(this.kernelName, "webgpu");
    tf.registerKernel({
      kernelName: this.kernelName,
      backendName: "webgpu",
      kernelFunc: this.kernelFunc as unknown as tf.KernelFunc,
    });
  }

  /** Put tfjs's kernel back; a no-op when ours is not registered. */
  unregister(): void {
    if (!this.original || !this.registered()) return;
    tf.unregisterKernel(this.kernelName, "webgpu");
    tf.registerKernel(this.original);
    this.active = false;
  }

  /** Whether ours is the registered kernel. */
  registered(): boolean {
    return tf.getKernel(this.kernelName, "webgpu")?.kernelFunc === (this.kernelFunc as unknown as tf.KernelFunc);
  }
}
