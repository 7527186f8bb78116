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
 * With dropout on the probabilities (training), `_dropout` variants take uniform draws `u` (tf.dropout's, see
 * `webgpu_dropout.ts`): the forward writes `p · floor(u + keep) / keep`, and the backward recomputes `p` from the
 * scores and takes `dp · floor(u + keep) / keep` for `dp` — one dispatch each way instead of two.
 *
 * The `_window` variants add ModernBERT's sliding window: key `j` of query `i` is masked (the float32 minimum in
 * place of `mask[b, j]`, as HF's 4-D mask holds it) when `|i - j| > window`.
 *
 * The row sums are tree reductions in a fixed order: the same inputs give the same bits on every run.
 *
 * @module
 */
import type { tf } from "../../deps.ts";
import { type ProgramSpec, type ProgramUniform, rowDispatch, rowReductionSource, runProgram } from "./webgpu_kernel.ts";

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
export function attentionSoftmaxSource(backward: boolean, dropout = false, windowed = false): string {
  const source = softmaxSource(backward, dropout, windowed);
  return windowed ? source.replaceAll("M[moff + j]", "maskAt(moff, row, j)") : source;
}

function softmaxSource(backward: boolean, dropout: boolean, windowed: boolean): string {
  const maskFn = windowed
    ? `
fn maskAt(moff : i32, row : i32, key : i32) -> f32 {
  if (abs(row % uniforms.queries - key) > uniforms.window) { return bitcast<f32>(0xff7fffffu); }
  return M[moff + key];
}`
    : "";
  const head = `${rowReductionSource(THREADS)}${maskFn}
fn main(index : i32) {
  let row = rowIndex();
  let valid = row < uniforms.rows;
  let t = i32(localId.x);
  let n = uniforms.keys;
  let off = row * n;`;
  if (dropout) {
    const probs = `${head}
  let moff = (row / uniforms.rowsPerBatch) * n;
  var m = -uniforms.INFINITY;
  if (valid) { for (var j = t; j < n; j = j + ${THREADS}) { m = max(m, S[off + j] * uniforms.scale + M[moff + j]); } }
  let zmax = rowMax(m);
  var s = 0.0;
  if (valid) { for (var j = t; j < n; j = j + ${THREADS}) { s = s + exp(S[off + j] * uniforms.scale + M[moff + j] - zmax); } }
  let total = rowSum(s);`;
    const p = "(exp(S[off + j] * uniforms.scale + M[moff + j] - zmax) / total)";
    const keep = "(floor(U[off + j] + uniforms.keep) / uniforms.keep)";
    if (!backward) {
      return `${probs}
  if (valid) { for (var j = t; j < n; j = j + ${THREADS}) { result[off + j] = ${p} * ${keep}; } }
}`;
    }
    return `${probs}
  var d = 0.0;
  if (valid) { for (var j = t; j < n; j = j + ${THREADS}) { d = d + DP[off + j] * ${keep} * ${p}; } }
  let dot = rowSum(d);
  if (valid) {
    for (var j = t; j < n; j = j + ${THREADS}) {
      result[off + j] = uniforms.scale * ${p} * (DP[off + j] * ${keep} - dot);
    }
  }
}`;
  }
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

const UNIFORMS = "rows : i32, keys : i32, rowsPerBatch : i32, scale : f32, keep : f32,";
const WINDOW_UNIFORMS = "queries : i32, window : i32,";

function run(
  backward: boolean,
  inputs: tf.Tensor[],
  shape: number[],
  scale: number,
  keep?: number,
  window?: number,
): tf.Tensor {
  const keys = shape[shape.length - 1];
  const windowed = window !== undefined;
  const windowUniforms: ProgramUniform[] = windowed
    ? [{ type: "int32", data: [shape[2]] }, { type: "int32", data: [window] }]
    : [];
  const rows = inputs[0].size / keys;
  const rowsPerBatch = rows / shape[0];
  const dropout = keep !== undefined;
  const names = dropout ? (backward ? ["S", "M", "U", "DP"] : ["S", "M", "U"]) : backward ? ["P", "DP"] : ["S", "M"];
  const spec: ProgramSpec = {
    name: `attention_softmax_${backward ? "backward" : "forward"}${dropout ? "_dropout" : ""}${
      windowed ? "_window" : ""
    }`,
    inputs: names,
    outputShape: shape,
    workgroupSize: THREADS,
    dispatch: rowDispatch(rows),
    uniforms: windowed ? UNIFORMS + WINDOW_UNIFORMS : UNIFORMS,
    source: attentionSoftmaxSource(backward, dropout, windowed),
  };
  return runProgram(spec, inputs, [
    { type: "int32", data: [rows] },
    { type: "int32", data: [keys] },
    { type: "int32", data: [rowsPerBatch] },
    { type: "float32", data: [scale] },
    { type: "float32", data: [keep ?? 1] },
    ...windowUniforms,
  ]);
}

/** Dropout on the probabilities: uniform draws shaped like the scores, and the keep probability. */
export interface ProbsDropout {
  /** Draws in [0, 1) (`tf.randomUniform` with the layer's seed). */
  u: tf.Tensor;
  /** `1 - rate`. */
  keep: number;
}

/**
 * `attention_softmax_forward_dropout`: `dropout(softmax(scores · scale + mask))` with the mask of `dropout.u`; one
 * dispatch.
 *
 * @example
 * ```ts
 * import { tf } from "../../deps.ts";
 * import { attentionSoftmaxDropoutForward } from "./webgpu_attention_softmax.ts";
 * if (tf.getBackend() === "webgpu") {
 *   const u = tf.tensor4d([0.1, 0.9], [1, 1, 1, 2]);
 *   attentionSoftmaxDropoutForward(tf.zeros([1, 1, 1, 2]), tf.zeros([1, 2]), 1, { u, keep: 0.5 }).dispose(); // [0, 1]
 * }
 * ```
 */
export function attentionSoftmaxDropoutForward(
  scores: tf.Tensor,
  mask: tf.Tensor,
  scale: number,
  dropout: ProbsDropout,
  window?: number,
): tf.Tensor {
  checkScores(scores, mask);
  return run(false, [scores, mask, dropout.u], scores.shape, scale, dropout.keep, window);
}

/**
 * `attention_softmax_backward_dropout`: the gradient of the scores through softmax and dropout, from the scores (the
 * probabilities are recomputed) and the gradient of the dropped probabilities; one dispatch.
 *
 * @example
 * ```ts
 * import { tf } from "../../deps.ts";
 * import { attentionSoftmaxDropoutBackward } from "./webgpu_attention_softmax.ts";
 * if (tf.getBackend() === "webgpu") {
 *   const u = tf.tensor4d([0.1, 0.9], [1, 1, 1, 2]);
 *   attentionSoftmaxDropoutBackward(tf.zeros([1, 1, 1, 2]), tf.zeros([1, 2]), tf.ones([1, 1, 1, 2]), 1, { u, keep: 0.5 })
 *     .dispose();
 * }
 * ```
 */
export function attentionSoftmaxDropoutBackward(
  scores: tf.Tensor,
  mask: tf.Tensor,
  dDropped: tf.Tensor,
  scale: number,
  dropout: ProbsDropout,
  window?: number,
): tf.Tensor {
  checkScores(scores, mask);
  return run(true, [scores, mask, dropout.u, dDropped], scores.shape, scale, dropout.keep, window);
}

function checkScores(scores: tf.Tensor, mask: tf.Tensor): void {
  const [b, , , keys] = scores.shape;
  if (scores.rank !== 4 || mask.size !== b * keys) {
    throw new Error(
      `attention softmax: expected scores [batch, heads, seq, keys] and a mask of batch·keys values, got ` +
        `[${scores.shape}] and [${mask.shape}]`,
    );
  }
}

/**
 * `attention_softmax_forward`: `softmax(scores · scale + mask)` over the last axis of `scores [batch, heads, seq,
 * keys]`, with `mask` `[batch, keys]` (or HF's `[batch, 1, 1, keys]`), and with `window` only keys at most that
 * far from the query (`_window`); one dispatch.
 *
 * @example
 * ```ts
 * import { tf } from "../../deps.ts";
 * import { attentionSoftmaxForward } from "./webgpu_attention_softmax.ts";
 * if (tf.getBackend() === "webgpu") attentionSoftmaxForward(tf.zeros([1, 1, 1, 2]), tf.zeros([1, 2]), 1).dispose();
 * ```
 */
export function attentionSoftmaxForward(
  scores: tf.Tensor,
  mask: tf.Tensor,
  scale: number,
  window?: number,
): tf.Tensor {
  checkScores(scores, mask);
  return run(false, [scores, mask], scores.shape, scale, undefined, window);
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
