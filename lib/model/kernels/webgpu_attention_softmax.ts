/**
 * Attention's scale + mask + softmax on tfjs-backend-webgpu, forward and backward, one dispatch each (llm.c's
 * `softmax_forward` with the scale and HF's additive padding mask folded in). Scores are `[batch, heads, seq, keys]`
 * rows, one workgroup per row; the mask is `[batch, keys]` (0 where attended, the float32 minimum at padding):
 *
 * ```
 * attention_softmax_forward    z = s · scale + mask[b, j];  p = exp(z - max z) / Σ exp(z - max z)   (as tf.softmax)
 * attention_softmax_backward   ds = scale · p · (dp - Σ dp·p)
 * ```
 *
 * The row sums are tree reductions in a fixed order: the same inputs give the same bits on every run.
 *
 * @module
 */
import type { tf } from "../../deps.ts";
import { type ProgramSpec, rowDispatch, rowReductionSource, runProgram } from "./webgpu_kernel.ts";

/** Threads per row. */
const THREADS = 64;

/**
 * WGSL of `attention_softmax_forward` or (`backward`) `attention_softmax_backward`.
 *
 * @example
 * ```ts
 * import { attentionSoftmaxSource } from "./webgpu_attention_softmax.ts";
 * if (!attentionSoftmaxSource(false).includes("rowMax")) throw new Error("max-shifted");
 * ```
 */
export function attentionSoftmaxSource(backward: boolean): string {
  const head = `${rowReductionSource(THREADS)}
fn main(index : i32) {
  let row = rowIndex();
  let valid = row < uniforms.rows;
  let t = i32(localId.x);
  let n = uniforms.keys;
  let off = row * n;`;
  if (backward) {
    return `${head}
  var s = 0.0;
  if (valid) { for (var j = t; j < n; j = j + ${THREADS}) { s = s + DP[off + j] * P[off + j]; } }
  let dot = rowSum(s);
  if (valid) {
    for (var j = t; j < n; j = j + ${THREADS}) { result[off + j] = uniforms.scale * P[off + j] * (DP[off + j] - dot); }
  }
}`;
  }
  return `${head}
  let moff = (row / uniforms.rowsPerBatch) * n;
  var m = -uniforms.INFINITY;
  if (valid) { for (var j = t; j < n; j = j + ${THREADS}) { m = max(m, S[off + j] * uniforms.scale + M[moff + j]); } }
  let zmax = rowMax(m);
  var s = 0.0;
  if (valid) { for (var j = t; j < n; j = j + ${THREADS}) { s = s + exp(S[off + j] * uniforms.scale + M[moff + j] - zmax); } }
  let total = rowSum(s);
  if (valid) {
    for (var j = t; j < n; j = j + ${THREADS}) {
      result[off + j] = exp(S[off + j] * uniforms.scale + M[moff + j] - zmax) / total;
    }
  }
}`;
}

const UNIFORMS = "rows : i32, keys : i32, rowsPerBatch : i32, scale : f32,";

function run(backward: boolean, inputs: tf.Tensor[], shape: number[], scale: number): tf.Tensor {
  const keys = shape[shape.length - 1];
  const rows = inputs[0].size / keys;
  const rowsPerBatch = rows / shape[0];
  const spec: ProgramSpec = {
    name: `attention_softmax_${backward ? "backward" : "forward"}`,
    inputs: backward ? ["P", "DP"] : ["S", "M"],
    outputShape: shape,
    workgroupSize: THREADS,
    dispatch: rowDispatch(rows),
    uniforms: UNIFORMS,
    source: attentionSoftmaxSource(backward),
  };
  return runProgram(spec, inputs, [
    { type: "int32", data: [rows] },
    { type: "int32", data: [keys] },
    { type: "int32", data: [rowsPerBatch] },
    { type: "float32", data: [scale] },
  ]);
}

/**
 * `attention_softmax_forward`: `softmax(scores · scale + mask)` over the last axis of `scores [batch, heads, seq,
 * keys]`, with `mask` `[batch, keys]` (or HF's `[batch, 1, 1, keys]`); one dispatch.
 *
 * @example
 * ```ts
 * import { tf } from "../../deps.ts";
 * import { attentionSoftmaxForward } from "./webgpu_attention_softmax.ts";
 * if (tf.getBackend() === "webgpu") attentionSoftmaxForward(tf.zeros([1, 1, 1, 2]), tf.zeros([1, 2]), 1).dispose();
 * ```
 */
export function attentionSoftmaxForward(scores: tf.Tensor, mask: tf.Tensor, scale: number): tf.Tensor {
  const [b, , , keys] = scores.shape;
  if (scores.rank !== 4 || mask.size !== b * keys) {
    throw new Error(
      `attentionSoftmaxForward: expected scores [batch, heads, seq, keys] and a mask of batch·keys values, got ` +
        `[${scores.shape}] and [${mask.shape}]`,
    );
  }
  return run(false, [scores, mask], scores.shape, scale);
}

/**
 * `attention_softmax_backward`: the gradient of the scores, `scale · p · (dp - Σ dp·p)`, from the forward's
 * probabilities `p` and their gradient `dp`; one dispatch.
 *
 * @example
 * ```ts
 * import { tf } from "../../deps.ts";
 * import { attentionSoftmaxBackward } from "./webgpu_attention_softmax.ts";
 * if (tf.getBackend() === "webgpu") attentionSoftmaxBackward(tf.fill([1, 1, 1, 2], 0.5), tf.ones([1, 1, 1, 2]), 1).dispose();
 * ```
 */
export function attentionSoftmaxBackward(probs: tf.Tensor, dProbs: tf.Tensor, scale: number): tf.Tensor {
  return run(true, [probs, dProbs], probs.shape, scale);
}
