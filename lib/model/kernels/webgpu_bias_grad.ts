/**
 * `bias_backward` on tfjs-backend-webgpu (llm.c's `matmul_backward_bias`): the gradient of a bias added along the
 * last axis, the column sums of `dy [rows, cols]`, in one dispatch — a thread per column adding the rows in increasing
 * order (deterministic, no atomics). tfjs's `sum` over axis 0 runs two (a transpose, then a row reduction).
 *
 * @module
 */
import type { tf } from "../../deps.ts";
import { flatDispatch, runProgram } from "./webgpu_kernel.ts";

/** Threads per workgroup. */
const THREADS = 64;

/**
 * WGSL of `bias_backward`.
 *
 * @example
 * ```ts
 * import { BIAS_BACKWARD_SOURCE } from "./webgpu_bias_grad.ts";
 * if (!BIAS_BACKWARD_SOURCE.includes("row = row + 1")) throw new Error("rows in order");
 * ```
 */
export const BIAS_BACKWARD_SOURCE = `
fn main(index : i32) {
  if (index < uniforms.cols) {
    var acc = 0.0;
    for (var row = 0; row < uniforms.rows; row = row + 1) {
      acc = acc + DY[row * uniforms.cols + index];
    }
    result[index] = acc;
  }
}`;

/**
 * `bias_backward`: `Σ_rows dy` over every axis but the last, shaped `[cols]`; one dispatch.
 *
 * @example
 * ```ts
 * import { tf } from "../../deps.ts";
 * import { biasBackward } from "./webgpu_bias_grad.ts";
 * if (tf.getBackend() === "webgpu") biasBackward(tf.ones([3, 2])).dispose(); // [3, 3]
 * ```
 */
export function biasBackward(dy: tf.Tensor): tf.Tensor {
  const cols = dy.shape[dy.shape.length - 1];
  const rows = dy.size / cols;
  const spec = {
    name: "bias_backward",
    inputs: ["DY"],
    outputShape: [cols],
    workgroupSize: THREADS,
    dispatch: flatDispatch(cols, THREADS),
    uniforms: "rows : i32, cols : i32,",
    source: BIAS_BACKWARD_SOURCE,
  };
  return runProgram(spec, [dy], [{ type: "int32", data: [rows] }, { type: "int32", data: [cols] }]);
}
