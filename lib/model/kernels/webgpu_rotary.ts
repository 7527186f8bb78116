/**
 * Rotary position embedding on tfjs-backend-webgpu, forward and backward, one dispatch each, on the packed projection
 * `qkv [batch, seq, 3·hidden]` (q | k | v, each `heads × headDim`, as ModernBERT's `attn.Wqkv` writes it): q and k
 * are rotated, v is copied, so the packed attention kernels read the result in place. With `cos`, `sin`
 * `[seq, headDim]` (both halves of a head hold the same angles) and `h = headDim / 2`:
 *
 * ```
 * rotary_forward    y[i] = x[i]·cos[i] + (i < h ? -x[i + h] : x[i - h])·sin[i]          (HF apply_rotary_pos_emb)
 * rotary_backward   dx[i] = dy[i]·cos[i] + (i < h ? dy[i + h]·sin[i + h] : -(dy[i - h]·sin[i - h]))
 * ```
 *
 * Each output is the same two products and one sum as the tf-op path (`x·cos + rotate_half(x)·sin` and its autograd
 * gradient), so the two agree to the rounding of that sum.
 *
 * @module
 */
import type { tf } from "../../deps.ts";
import { flatDispatch, type ProgramSpec, runProgram } from "./webgpu_kernel.ts";

/** Threads per workgroup. */
const THREADS = 64;

/**
 * WGSL of `rotary_forward` (`backward` false) or `rotary_backward`.
 *
 * @example
 * ```ts
 * import { rotarySource } from "./webgpu_rotary.ts";
 * if (!rotarySource(true).includes("SIN[t + half]")) throw new Error("the partner's angle");
 * ```
 */
export function rotarySource(backward: boolean): string {
  const value = backward
    ? `var other = 0.0;
    if (i < half) { other = X[index + half] * SIN[t + half]; } else { other = -(X[index - half] * SIN[t - half]); }
    result[index] = X[index] * COS[t] + other;`
    : `var partner = 0.0;
    if (i < half) { partner = -X[index + half]; } else { partner = X[index - half]; }
    result[index] = X[index] * COS[t] + partner * SIN[t];`;
  return `
fn main(index : i32) {
  if (index < uniforms.n) {
    let width = 3 * uniforms.hidden;
    let c = index % width;
    if (c >= 2 * uniforms.hidden) {
      result[index] = X[index];
      return;
    }
    let i = c % uniforms.headDim;
    let half = uniforms.headDim / 2;
    let t = ((index / width) % uniforms.seq) * uniforms.headDim + i;
    ${value}
  }
}`;
}

function run(backward: boolean, x: tf.Tensor, cos: tf.Tensor, sin: tf.Tensor, heads: number): tf.Tensor {
  const [, seq, width] = x.shape;
  const hidden = width / 3, headDim = hidden / heads;
  if (x.rank !== 3 || width % 3 !== 0 || cos.size !== seq * headDim || sin.size !== cos.size || headDim % 2 !== 0) {
    throw new Error(
      `rotary: expected qkv [batch, seq, 3·heads·headDim] with an even headDim and cos, sin [seq, headDim], got ` +
        `[${x.shape}], [${cos.shape}], [${sin.shape}] for ${heads} heads`,
    );
  }
  const spec: ProgramSpec = {
    name: `rotary_${backward ? "backward" : "forward"}`,
    inputs: ["X", "COS", "SIN"],
    outputShape: x.shape,
    workgroupSize: THREADS,
    dispatch: flatDispatch(x.size, THREADS),
    uniforms: "n : i32, hidden : i32, headDim : i32, seq : i32,",
    source: rotarySource(backward),
  };
  return runProgram(spec, [x, cos, sin], [
    { type: "int32", data: [x.size] },
    { type: "int32", data: [hidden] },
    { type: "int32", data: [headDim] },
    { type: "int32", data: [seq] },
  ]);
}

/**
 * `rotary_forward`: q and k of the packed `qkv` rotated by the position angles (`cos`, `sin` `[seq, headDim]`), v
 * copied; one dispatch.
 *
 * @example
 * ```ts
 * import { tf } from "../../deps.ts";
 * import { rotaryForward } from "./webgpu_rotary.ts";
 * if (tf.getBackend() === "webgpu") rotaryForward(tf.ones([1, 1, 6]), tf.zeros([1, 2]), tf.ones([1, 2]), 1).dispose();
 * ```
 */
export function rotaryForward(qkv: tf.Tensor, cos: tf.Tensor, sin: tf.Tensor, heads: number): tf.Tensor {
  return run(false, qkv, cos, sin, heads);
}

/**
 * `rotary_backward`: the gradient of the packed `qkv` from the gradient `dy` of the rotated one; one dispatch.
 *
 * @example
 * ```ts
 * import { tf } from "../../deps.ts";
 * import { rotaryBackward } from "./webgpu_rotary.ts";
 * if (tf.getBackend() === "webgpu") rotaryBackward(tf.ones([1, 1, 6]), tf.zeros([1, 2]), tf.ones([1, 2]), 1).dispose();
 * ```
 */
export function rotaryBackward(dy: tf.Tensor, cos: tf.Tensor, sin: tf.Tensor, heads: number): tf.Tensor {
  return run(true, dy, cos, sin, heads);
}
