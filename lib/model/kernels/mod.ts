/**
 * The project's WebGPU kernels for tfjs-backend-webgpu (the `./webgpu` subpath export): a tiled matMul
 * ({@link registerTiledMatMul}), a matMul without atomics ({@link registerMatMulWithoutAtomics}), the embedding
 * gradient's segment sum ({@link registerWebgpuSegmentSum}), a fused AdamW step ({@link fusedAdamWUpdate}) and uploads
 * through `queue.writeBuffer` ({@link installWriteBufferUpload}). Each registers over tfjs's own kernel and can be
 * unregistered; each is checked against a CPU reference in the tests.
 *
 * @example
 * ```ts
 * import { tiledMatMulRegistered, webgpuSegmentSumRegistered } from "./mod.ts";
 * console.log(tiledMatMulRegistered(), webgpuSegmentSumRegistered()); // false false until registered on WebGPU
 * ```
 *
 * @module
 */
export * from "./webgpu_kernel.ts";
export * from "./webgpu_matmul.ts";
export * from "./webgpu_matmul_no_atomics.ts";
export * from "./webgpu_segment_sum.ts";
export * from "./webgpu_adamw_per_param.ts";
export * from "./webgpu_upload.ts";
