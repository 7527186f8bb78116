/**
 * The project's WebGPU kernels for tfjs-backend-webgpu (the `./webgpu` subpath export). Exported here:
 *
 * - kernels that replace tfjs's own and can be taken back: a tiled matMul ({@link registerTiledMatMul}), a matMul
 *   without atomics ({@link registerMatMulWithoutAtomics}), the embedding gradient's deterministic segment sum
 *   ({@link registerWebgpuSegmentSum}) and uploads through `queue.writeBuffer` ({@link installWriteBufferUpload});
 * - the fused AdamW update ({@link fusedAdamWUpdate}), which the optimizer calls directly;
 * - the way this project declares a WebGPU program ({@link ProgramSpec}, {@link runProgram}).
 *
 * The model's fused layer kernels (LayerNorm, bias + GELU, attention matmuls and softmax with ModernBERT's sliding
 * window, rotary embedding, GeGLU, dropout, cross-entropy, scatter rows, bias gradient) and `--fp16`'s binary16
 * storage of what the backward reads (`webgpu_half.ts`, through `customOp` in `lib/model/custom_grad.ts`) live in the
 * sibling `webgpu_*.ts` modules and are reached through the model's layers (`lib/model/fused_layers.ts`), not from
 * here. Each kernel is checked against a CPU or tf-op reference in the tests.
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
