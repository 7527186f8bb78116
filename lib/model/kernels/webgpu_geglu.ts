/**
 * GeGLU on tfjs-backend-webgpu, forward and backward, one dispatch each: ModernBERT's MLP splits `mlp.Wi`'s output
 * `h [rows, 2·n]` into `input | gate` and takes `act(input) · gate`. With `a = h[r, j]`, `g = h[r, n + j]`:
 *
 * ```
 * geglu_forward    y[r, j] = act(a) · g                                       [rows, n]
 * geglu_backward   dh[r, j] = dy[r, j] · g · act'(a),  dh[r, n + j] = dy[r, j] · act(a)   [rows, 2·n]
 * ```
 *
 * `act` is GELU, the exact erf form or the tanh one, with the functions of `webgpu_gelu.ts` (tfjs's erf and tanh,
 * the derivative tfjs's gradient gives), so the result equals the tf-op path.
 *
 * @module
 */
import type { tf } from "../../deps.ts";
import { flatDispatch, type ProgramSpec, runProgram } from "./webgpu_kernel.ts";
import { GELU_FUNCTIONS, type GeluKind } from "./webgpu_gelu.ts";

/** Threads per workgroup. */
const THREADS = 64;

/**
 * WGSL of `geglu_forward` (`backward` false) or `geglu_backward`, for the erf or the tanh GELU.
 *
 * @example
 * ```ts
 * import { gegluSource } from "./webgpu_geglu.ts";
 * if (!gegluSource("gelu", true).includes("geluErfGrad")) throw new Error("erf backward");
 * ```
 */
export function gegluSource(kind: GeluKind, backward: boolean): string {
  const f = kind === "gelu" ? "geluErf" : "geluTanh";
  const body = backward
    ? `let r = index / (2 * uniforms.cols);
    let c = index % (2 * uniforms.cols);
    let j = c % uniforms.cols;
    let a = H[r * 2 * uniforms.cols + j];
    let dy = DY[r * uniforms.cols + j];
    if (c < uniforms.cols) {
      result[index] = dy * H[r * 2 * uniforms.cols + uniforms.cols + j] * ${f}Grad(a);
    } else {
      result[index] = dy * ${f}(a);
    }`
    : `let r = index / uniforms.cols;
    let j = index % uniforms.cols;
    result[index] = ${f}(H[r * 2 * uniforms.cols + j]) * H[r * 2 * uniforms.cols + uniforms.cols + j];`;
  return `${GELU_FUNCTIONS}
fn main(index : i32) {
  if (index < uniforms.n) {
    ${body}
  }
}`;
}

function run(kind: GeluKind, backward: boolean, inputs: tf.Tensor[], h: tf.Tensor): tf.Tensor {
  const width = h.shape[h.rank - 1];
  if (width % 2 !== 0) throw new Error(`geglu: expected an even last axis (input | gate), got [${h.shape}]`);
  const shape = backward ? h.shape : [...h.shape.slice(0, -1), width / 2];
  const n = shape.reduce((a, b) => a * b, 1);
  const spec: ProgramSpec = {
    name: `geglu_${backward ? "backward" : "forward"}_${kind === "gelu" ? "erf" : "tanh"}`,
    inputs: backward ? ["H", "DY"] : ["H"],
    outputShape: shape,
    workgroupSize: THREADS,
    dispatch: flatDispatch(n, THREADS),
    uniforms: "n : i32, cols : i32,",
    source: gegluSource(kind, backward),
  };
  return runProgram(spec, inputs, [{ type: "int32", data: [n] }, { type: "int32", data: [width / 2] }]);
}

/**
 * `geglu_forward`: `act(input) · gate` of `h [..., 2·n]` → `[..., n]`; one dispatch.
 *
 * @example
 * ```ts
 * import { tf } from "../../deps.ts";
 * import { gegluForward } from "./webgpu_geglu.ts";
 * if (tf.getBackend() === "webgpu") gegluForward("gelu", tf.ones([2, 4])).dispose(); // [2, 2] of 0.8413
 * ```
 */
export function gegluForward(kind: GeluKind, h: tf.Tensor): tf.Tensor {
  return run(kind, false, [h], h);
}

/**
 * `geglu_backward`: the gradient of `h [..., 2·n]` (input half, then gate half) from `dy [..., n]`; one dispatch.
 *
 * @example
 * ```ts
 * import { tf } from "../../deps.ts";
 * import { gegluBackward } from "./webgpu_geglu.ts";
 * if (tf.getBackend() === "webgpu") gegluBackward("gelu", tf.ones([2, 4]), tf.ones([2, 2])).dispose();
 * ```
 */
export function gegluBackward(kind: GeluKind, h: tf.Tensor, dy: tf.Tensor): tf.Tensor {
  return run(kind, true, [h, dy], h);
}
