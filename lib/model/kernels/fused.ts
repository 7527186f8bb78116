/**
 * Whether the model's layers run this project's fused WebGPU kernels (LayerNorm, residual + LayerNorm, bias + GELU,
 * attention softmax, dropout, cross-entropy, bias fused into the matmul) or the tf-op reference path. On by default;
 * the fused kernels only ever run on the webgpu backend, so cpu and wasm always take the reference path.
 *
 * @module
 */
import { tf } from "../../deps.ts";

let enabled = true;

/**
 * Turn the fused WebGPU kernels on (default) or off (the tf-op reference path on every backend, e.g. to test the
 * fused ones against it).
 *
 * @example
 * ```ts
 * import { fusedKernelsActive, setFusedKernels } from "./fused.ts";
 * setFusedKernels(false);
 * if (fusedKernelsActive()) throw new Error("off");
 * setFusedKernels(true);
 * ```
 */
export function setFusedKernels(on: boolean): void {
  enabled = on;
}

/**
 * Whether the layers take the fused kernels now: turned on and the active backend is webgpu.
 *
 * @example
 * ```ts
 * import { fusedKernelsActive } from "./fused.ts";
 * console.log(fusedKernelsActive()); // false on cpu
 * ```
 */
export function fusedKernelsActive(): boolean {
  return enabled && tf.getBackend() === "webgpu";
}
