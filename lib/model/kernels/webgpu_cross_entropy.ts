/**
 * The MLM loss on tfjs-backend-webgpu: per-row cross-entropy of `logits [rows, vocab]` against integer labels (rows
 * labelled -100 give 0), and its gradient, one dispatch each, a workgroup per row (llm.c's
 * `crossentropy_forward` / `crossentropy_softmax_backward`):
 *
 * ```
 * cross_entropy_forward    loss_r = -((x[label] - max x) - log Σ exp(x - max x))     (tf.logSoftmax's arithmetic)
 * cross_entropy_backward   dx_rj  = (exp((x_j - max x) - log Σ exp(x - max x)) - [j = label]) · dy
 * ```
 *
 * The label's score is read at the integer index `row · vocab + label` inside the row's workgroup: no float index
 * (tfjs-webgpu's gather reads wrong values from flattened indices past ~2^24) and no per-row gather.
 *
 * @module
 */
import type { tf } from "../../deps.ts";
import { type ProgramSpec, rowDispatch, rowReductionSource, runProgram } from "./webgpu_kernel.ts";

/** Threads per row. */
const THREADS = 64;

/**
 * WGSL of `cross_entropy_forward` or (`backward`) `cross_entropy_backward`.
 *
 * @example
 * ```ts
 * import { crossEntropySource } from "./webgpu_cross_entropy.ts";
 * if (!crossEntropySource(true).includes("DY[0]")) throw new Error("scaled by the loss gradient");
 * ```
 */
export function crossEntropySource(backward: boolean): string {
  const stats = `${rowReductionSource(THREADS)}
fn main(index : i32) {
  let row = rowIndex();
  let valid = row < uniforms.rows;
  let t = i32(localId.x);
  let n = uniforms.vocab;
  let off = row * n;
  var m = -uniforms.INFINITY;
  if (valid) { for (var j = t; j < n; j = j + ${THREADS}) { m = max(m, L[off + j]); } }
  let xmax = rowMax(m);
  var s = 0.0;
  if (valid) { for (var j = t; j < n; j = j + ${THREADS}) { s = s + exp(L[off + j] - xmax); } }
  let logSum = log(rowSum(s));
  var label = -100;
  if (valid) { label = Y[row]; }`;
  if (backward) {
    return `${stats}
  if (valid) {
    for (var j = t; j < n; j = j + ${THREADS}) {
      var g = 0.0;
      if (label != -100) { g = (exp((L[off + j] - xmax) - logSum) - select(0.0, 1.0, j == label)) * DY[0]; }
      result[off + j] = g;
    }
  }
}`;
  }
  return `${stats}
  if (valid && t == 0) {
    var loss = 0.0;
    if (label != -100) { loss = -((L[off + label] - xmax) - logSum); }
    result[row] = loss;
  }
}`;
}

function spec(backward: boolean, shape: number[], rows: number): ProgramSpec {
  return {
    name: `cross_entropy_${backward ? "backward" : "forward"}`,
    inputs: backward ? ["L", "Y", "DY"] : ["L", "Y"],
    outputShape: shape,
    workgroupSize: THREADS,
    dispatch: rowDispatch(rows),
    uniforms: "rows : i32, vocab : i32,",
    source: crossEntropySource(backward),
  };
}

function check(logits: tf.Tensor, labels: tf.Tensor): void {
  if (logits.rank !== 2 || labels.rank !== 1 || labels.size !== logits.shape[0] || labels.dtype !== "int32") {
    throw new Error(
      `crossEntropy: expected logits [rows, vocab] and int32 labels [rows], got [${logits.shape}] and ` +
        `${labels.dtype} [${labels.shape}]`,
    );
  }
}

/**
 * `cross_entropy_forward`: `-log softmax(logits)[label]` per row, 0 where the label is -100; one dispatch.
 *
 * @example
 * ```ts
 * import { tf } from "../../deps.ts";
 * import { crossEntropyForward } from "./webgpu_cross_entropy.ts";
 * if (tf.getBackend() === "webgpu") crossEntropyForward(tf.zeros([2, 4]), tf.tensor1d([1, -100], "int32")).dispose(); // [log 4, 0]
 * ```
 */
export function crossEntropyForward(logits: tf.Tensor, labels: tf.Tensor): tf.Tensor {
  check(logits, labels);
  const [rows, vocab] = logits.shape;
  return runProgram(spec(false, [rows], rows), [logits, labels], [
    { type: "int32", data: [rows] },
    { type: "int32", data: [vocab] },
  ]);
}

/**
 * `cross_entropy_backward`: `(softmax(logits) - onehot(label)) · dy` per row (zeros where the label is -100), with
 * `dy` the gradient of the summed loss (a scalar tensor); one dispatch.
 *
 * @example
 * ```ts
 * import { tf } from "../../deps.ts";
 * import { crossEntropyBackward } from "./webgpu_cross_entropy.ts";
 * if (tf.getBackend() === "webgpu") crossEntropyBackward(tf.zeros([1, 2]), tf.tensor1d([0], "int32"), tf.scalar(1)).dispose(); // [[-0.5, 0.5]]
 * ```
 */
export function crossEntropyBackward(logits: tf.Tensor, labels: tf.Tensor, dy: tf.Tensor): tf.Tensor {
  check(logits, labels);
  const [rows, vocab] = logits.shape;
  return runProgram(spec(true, logits.shape, rows), [logits, labels, dy], [
    { type: "int32", data: [rows] },
    { type: "int32", data: [vocab] },
  ]);
}
