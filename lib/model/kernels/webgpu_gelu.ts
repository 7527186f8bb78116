/**
 * Bias + GELU on tfjs-backend-webgpu: `y = gelu(x + b)` over `x [rows, cols]` with `b [cols]` (the first FFN / MLM
 * transform Linear's bias, so the matmul before it carries none), and its backward `dx = dy · gelu'(x + b)` (the
 * bias gradient is the column sum of `dx`). One thread per element, one dispatch each.
 *
 * `gelu` is HF's exact GELU, `0.5·x·(1 + erf(x/√2))`, with tfjs's erf (Abramowitz–Stegun 7.1.26, |error| ≤ 1.5e-7)
 * so that it equals the tf-op path; its derivative is the exact one, `0.5·(1 + erf(x/√2)) + x·exp(-x²/2)/√(2π)`, as
 * tfjs's erf gradient gives. `gelu_new` / `gelu_pytorch_tanh` is the tanh form,
 * `0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))`, with tfjs's overflow-safe tanh.
 *
 * @module
 */
import type { tf } from "../../deps.ts";
import { flatDispatch, type ProgramSpec, runProgram } from "./webgpu_kernel.ts";

/** Threads per workgroup. */
const THREADS = 64;

/** The GELU forms with a fused kernel (HF `ACT2FN` names). */
export type GeluKind = "gelu" | "gelu_new" | "gelu_pytorch_tanh";

/**
 * Whether `name` (an HF activation) has a fused kernel here.
 *
 * @example
 * ```ts
 * import { isFusedGelu } from "./webgpu_gelu.ts";
 * if (!isFusedGelu("gelu") || isFusedGelu("relu")) throw new Error("GELU forms only");
 * ```
 */
export function isFusedGelu(name: string): name is GeluKind {
  return name === "gelu" || name === "gelu_new" || name === "gelu_pytorch_tanh";
}

/** WGSL of both GELU forms and their derivatives (`geluErf`, `geluErfGrad`, `geluTanh`, `geluTanhGrad`). */
export const GELU_FUNCTIONS = `
fn erfApprox(a : f32) -> f32 {
  let t = 1.0 / (1.0 + 0.3275911 * abs(a));
  return sign(a) * (1.0 - (((((1.061405429 * t + -1.453152027) * t) + 1.421413741) * t + -0.284496736) * t +
    0.254829592) * t * exp(-abs(a) * abs(a)));
}
fn tanhSafe(a : f32) -> f32 {
  let e2x = exp(-2.0 * abs(a));
  return sign(a) * (1.0 - e2x) / (1.0 + e2x);
}
fn geluErf(x : f32) -> f32 {
  return x * 0.5 * (erfApprox(x * ${Math.SQRT1_2}) + 1.0);
}
fn geluErfGrad(x : f32) -> f32 {
  return 0.5 * (erfApprox(x * ${Math.SQRT1_2}) + 1.0) + x * exp(-0.5 * x * x) * ${1 / Math.sqrt(2 * Math.PI)};
}
fn geluTanh(x : f32) -> f32 {
  let inner = (x + x * x * x * 0.044715) * ${Math.sqrt(2 / Math.PI)};
  return x * 0.5 * (tanhSafe(inner) + 1.0);
}
fn geluTanhGrad(x : f32) -> f32 {
  let th = tanhSafe((x + x * x * x * 0.044715) * ${Math.sqrt(2 / Math.PI)});
  return 0.5 * (th + 1.0) + 0.5 * x * (1.0 - th * th) * ${Math.sqrt(2 / Math.PI)} * (1.0 + 3.0 * 0.044715 * x * x);
}`;

/**
 * WGSL of `bias_gelu_forward` (`backward` false) or `bias_gelu_backward`, for the erf or the tanh form.
 *
 * @example
 * ```ts
 * import { biasGeluSource } from "./webgpu_gelu.ts";
 * if (!biasGeluSource("gelu", true).includes("geluErfGrad")) throw new Error("erf backward");
 * ```
 */
export function biasGeluSource(kind: GeluKind, backward: boolean): string {
  const f = kind === "gelu" ? "geluErf" : "geluTanh";
  const value = backward ? `DY[index] * ${f}Grad(pre)` : `${f}(pre)`;
  return `${GELU_FUNCTIONS}
fn main(index : i32) {
  if (index < uniforms.n) {
    let pre = X[index] + B[index % uniforms.cols];
    result[index] = ${value};
  }
}`;
}

function run(kind: GeluKind, backward: boolean, inputs: tf.Tensor[], shape: number[]): tf.Tensor {
  const n = inputs[0].size, cols = shape[shape.length - 1];
  const spec: ProgramSpec = {
    name: `bias_gelu_${backward ? "backward" : "forward"}_${kind === "gelu" ? "erf" : "tanh"}`,
    inputs: backward ? ["X", "B", "DY"] : ["X", "B"],
    outputShape: shape,
    workgroupSize: THREADS,
    dispatch: flatDispatch(n, THREADS),
    uniforms: "n : i32, cols : i32,",
    source: biasGeluSource(kind, backward),
  };
  return runProgram(spec, inputs, [{ type: "int32", data: [n] }, { type: "int32", data: [cols] }]);
}

/**
 * `bias_gelu_forward`: `gelu(x + bias)`, bias along the last axis; one dispatch.
 *
 * @example
 * ```ts
 * import { tf } from "../../deps.ts";
 * import { biasGeluForward } from "./webgpu_gelu.ts";
 * if (tf.getBackend() === "webgpu") biasGeluForward("gelu", tf.ones([2, 3]), tf.zeros([3])).dispose(); // 0.8413
 * ```
 */
export function biasGeluForward(kind: GeluKind, x: tf.Tensor, bias: tf.Tensor): tf.Tensor {
  return run(kind, false, [x, bias], x.shape);
}

/**
 * `bias_gelu_backward`: `dy · gelu'(x + bias)`, the gradient of both `x` and (summed over rows) `bias`; one dispatch.
 *
 * @example
 * ```ts
 * import { tf } from "../../deps.ts";
 * import { biasGeluBackward } from "./webgpu_gelu.ts";
 * if (tf.getBackend() === "webgpu") biasGeluBackward("gelu", tf.zeros([2]), tf.zeros([2]), tf.ones([2])).dispose(); // 0.5
 * ```
 */
export function biasGeluBackward(kind: GeluKind, x: tf.Tensor, bias: tf.Tensor, dy: tf.Tensor): tf.Tensor {
  return run(kind, true, [x, bias, dy], x.shape);
}
