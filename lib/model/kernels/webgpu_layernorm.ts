/**
 * LayerNorm on tfjs-backend-webgpu as four small kernels (llm.c's `layernorm_forward` / `layernorm_backward`, split
 * where a tfjs program's single output forces it), each optionally reading a residual: the input is `x + r`, where
 * `r` has `rRows` rows repeated down `x` (`rRows = rows` for a residual stream, `seq` for position embeddings), so
 * "residual + LayerNorm" costs no separate add. With `dropout` (uniform draws `u` shaped like `x`, see
 * `webgpu_dropout.ts`), the input is `x · floor(u + keep) / keep + r`: the sub-layer's dropout before the residual
 * add runs inside the LayerNorm's kernels too.
 *
 * ```
 * layernorm_forward       a workgroup per row: mean, then biased variance (two passes, as tf.moments), then
 *                         y = (x - mean) · inverseSqrt(var + eps) · w + b
 * layernorm_stats         the same row pass, writing [mean, rstd] per row (for the backward)
 * layernorm_backward      a workgroup per row: g = dy·w, dx = rstd · (g - mean(g) - x̂ · mean(g·x̂))
 * layernorm_param_grads   a thread per column, rows added in increasing order: dw = Σ dy·x̂ (mode 0), db = Σ dy (1)
 * ```
 *
 * Every sum has a fixed order (tree reductions in workgroup memory, or a row loop), no atomics: the same inputs give
 * the same bits on every run. `layers.ts` holds the tf-op reference these are tested against.
 *
 * @module
 */
import type { tf } from "../../deps.ts";
import { flatDispatch, type ProgramSpec, rowDispatch, rowReductionSource, runProgram } from "./webgpu_kernel.ts";

/** Threads per row. */
const THREADS = 64;
/** Threads per workgroup of the column kernel. */
const COLUMN_THREADS = 64;

const UNIFORMS = "rows : i32, cols : i32, rRows : i32, eps : f32, mode : i32, keep : f32,";

/** Which extra inputs a variant reads. */
interface Variant {
  /** A residual `R`. */
  residual: boolean;
  /** Dropout draws `U` for `X`. */
  dropout: boolean;
}

/** WGSL: `xAt(row, c)`, the normalised input (dropout and the residual applied when there are). */
function inputSource(v: Variant): string {
  const x = v.dropout
    ? "X[row * uniforms.cols + c] * (floor(U[row * uniforms.cols + c] + uniforms.keep) / uniforms.keep)"
    : "X[row * uniforms.cols + c]";
  const r = v.residual ? " + R[(row % uniforms.rRows) * uniforms.cols + c]" : "";
  return `
fn xAt(row : i32, c : i32) -> f32 {
  return ${x}${r};
}`;
}

/** WGSL of the row pass shared by forward and stats: `mean` and `rstd` of this workgroup's row. */
const ROW_STATS = `
  let row = rowIndex();
  let valid = row < uniforms.rows;
  let t = i32(localId.x);
  let n = uniforms.cols;
  var s = 0.0;
  if (valid) { for (var c = t; c < n; c = c + ${THREADS}) { s = s + xAt(row, c); } }
  let mean = rowSum(s) / f32(n);
  var q = 0.0;
  if (valid) { for (var c = t; c < n; c = c + ${THREADS}) { let d = xAt(row, c) - mean; q = q + d * d; } }
  let rstd = inverseSqrt(rowSum(q) / f32(n) + uniforms.eps);`;

/**
 * WGSL of `kernel` (`layernorm_forward`, `layernorm_stats`, `layernorm_backward` or `layernorm_param_grads`), with or
 * without the residual input `R`.
 *
 * @example
 * ```ts
 * import { layerNormSource } from "./webgpu_layernorm.ts";
 * if (!layerNormSource("layernorm_backward", { residual: false, dropout: false }).includes("xhat * meanGX")) throw new Error("dx");
 * ```
 */
export function layerNormSource(kernel: LayerNormKernel, variant: Variant): string {
  const head = rowReductionSource(THREADS) + inputSource(variant);
  switch (kernel) {
    case "layernorm_forward":
      return `${head}
fn main(index : i32) {${ROW_STATS}
  if (valid) {
    for (var c = t; c < n; c = c + ${THREADS}) {
      result[row * n + c] = (xAt(row, c) - mean) * rstd * W[c] + B[c];
    }
  }
}`;
    case "layernorm_stats":
      return `${head}
fn main(index : i32) {${ROW_STATS}
  if (valid && t == 0) {
    result[row * 2] = mean;
    result[row * 2 + 1] = rstd;
  }
}`;
    case "layernorm_backward":
      return `${head}
fn main(index : i32) {
  let row = rowIndex();
  let valid = row < uniforms.rows;
  let t = i32(localId.x);
  let n = uniforms.cols;
  var mean = 0.0;
  var rstd = 0.0;
  if (valid) { mean = Stats[row * 2]; rstd = Stats[row * 2 + 1]; }
  var sg = 0.0;
  var sgx = 0.0;
  if (valid) {
    for (var c = t; c < n; c = c + ${THREADS}) {
      let g = DY[row * n + c] * W[c];
      let xhat = (xAt(row, c) - mean) * rstd;
      sg = sg + g;
      sgx = sgx + g * xhat;
    }
  }
  let meanG = rowSum(sg) / f32(n);
  let meanGX = rowSum(sgx) / f32(n);
  if (valid) {
    for (var c = t; c < n; c = c + ${THREADS}) {
      let g = DY[row * n + c] * W[c];
      let xhat = (xAt(row, c) - mean) * rstd;
      result[row * n + c] = rstd * (g - meanG - xhat * meanGX);
    }
  }
}`;
    case "layernorm_param_grads":
      return `${inputSource(variant)}
fn main(index : i32) {
  let c = index;
  if (c < uniforms.cols) {
    var acc = 0.0;
    for (var row = 0; row < uniforms.rows; row = row + 1) {
      let dy = DY[row * uniforms.cols + c];
      if (uniforms.mode == 0) {
        acc = acc + dy * (xAt(row, c) - Stats[row * 2]) * Stats[row * 2 + 1];
      } else {
        acc = acc + dy;
      }
    }
    result[c] = acc;
  }
}`;
  }
}

/** The four LayerNorm kernels. */
export type LayerNormKernel = "layernorm_forward" | "layernorm_stats" | "layernorm_backward" | "layernorm_param_grads";

/** The input of a LayerNorm: `x [rows, cols]` plus, optionally, a residual `r [rRows, cols]` repeated down `x`. */
export interface LayerNormInput {
  /** `[..., cols]`. */
  x: tf.Tensor;
  /** Added to `x` before normalising; its row count divides `x`'s. */
  residual?: tf.Tensor;
  /** Dropout on `x` (before the residual is added): draws shaped like `x` and the keep probability. */
  dropout?: { u: tf.Tensor; keep: number };
}

interface Sizes {
  rows: number;
  cols: number;
  rRows: number;
  keep: number;
  inputs: tf.Tensor[];
  variant: Variant;
}

function sizes(input: LayerNormInput): Sizes {
  const { x, residual, dropout } = input;
  const cols = x.shape[x.shape.length - 1];
  const rows = x.size / cols;
  if (dropout && dropout.u.size !== x.size) throw new Error(`layerNorm: ${dropout.u.size} draws for ${x.size} values`);
  const inputs = dropout ? [x, dropout.u] : [x];
  const variant = { residual: Boolean(residual), dropout: Boolean(dropout) };
  const keep = dropout?.keep ?? 1;
  if (!residual) return { rows, cols, rRows: rows, keep, inputs, variant };
  const rCols = residual.shape[residual.shape.length - 1];
  const rRows = residual.size / rCols;
  if (rCols !== cols || rows % rRows !== 0) {
    throw new Error(`layerNorm: residual of shape [${residual.shape}] does not repeat down input [${x.shape}]`);
  }
  return { rows, cols, rRows, keep, inputs: [...inputs, residual], variant };
}

function spec(kernel: LayerNormKernel, extra: string[], variant: Variant, shape: number[], n: number): ProgramSpec {
  const row = kernel !== "layernorm_param_grads";
  return {
    name: `${kernel}${variant.dropout ? "_dropout" : ""}${variant.residual ? "_residual" : ""}`,
    inputs: ["X", ...(variant.dropout ? ["U"] : []), ...(variant.residual ? ["R"] : []), ...extra],
    outputShape: shape,
    workgroupSize: row ? THREADS : COLUMN_THREADS,
    dispatch: row ? rowDispatch(n) : flatDispatch(n, COLUMN_THREADS),
    uniforms: UNIFORMS,
    source: layerNormSource(kernel, variant),
  };
}

function uniforms(z: Sizes, eps: number, mode = 0) {
  return [
    { type: "int32" as const, data: [z.rows] },
    { type: "int32" as const, data: [z.cols] },
    { type: "int32" as const, data: [z.rRows] },
    { type: "float32" as const, data: [eps] },
    { type: "int32" as const, data: [mode] },
    { type: "float32" as const, data: [z.keep] },
  ];
}

/**
 * `layernorm_forward`: LayerNorm of `x (+ residual)` over the last axis, one dispatch; shaped like `x`.
 *
 * @example
 * ```ts
 * import { tf } from "../../deps.ts";
 * import { layerNormForward } from "./webgpu_layernorm.ts";
 * if (tf.getBackend() === "webgpu") {
 *   const y = layerNormForward({ x: tf.tensor2d([[1, 3]]) }, tf.ones([2]), tf.zeros([2]), 1e-12); // [[-1, 1]]
 *   y.dispose();
 * }
 * ```
 */
export function layerNormForward(input: LayerNormInput, weight: tf.Tensor, bias: tf.Tensor, eps: number): tf.Tensor {
  const z = sizes(input);
  const s = spec("layernorm_forward", ["W", "B"], z.variant, input.x.shape, z.rows);
  return runProgram(s, [...z.inputs, weight, bias], uniforms(z, eps));
}

/**
 * `layernorm_stats`: `[rows, 2]` holding each row's mean and `1 / sqrt(var + eps)`, one dispatch.
 *
 * @example
 * ```ts
 * import { tf } from "../../deps.ts";
 * import { layerNormStats } from "./webgpu_layernorm.ts";
 * if (tf.getBackend() === "webgpu") layerNormStats({ x: tf.tensor2d([[1, 3]]) }, 1e-12).dispose(); // [[2, 1]]
 * ```
 */
export function layerNormStats(input: LayerNormInput, eps: number): tf.Tensor {
  const z = sizes(input);
  const s = spec("layernorm_stats", [], z.variant, [z.rows, 2], z.rows);
  return runProgram(s, z.inputs, uniforms(z, eps));
}

/** The gradients of {@link layerNormBackward}. */
export interface LayerNormGrads {
  /** Of the LayerNorm's input `x (·mask) + r` (so of the residual, before summing repeated rows), shaped like `x`. */
  dx: tf.Tensor;
  /** Of the weight. */
  dWeight: tf.Tensor;
  /** Of the bias. */
  dBias: tf.Tensor;
}

/**
 * `layernorm_backward` and `layernorm_param_grads`: the gradients of a LayerNorm given `dy` and the forward's
 * {@link layerNormStats}; three dispatches.
 *
 * @example
 * ```ts
 * import { tf } from "../../deps.ts";
 * import { layerNormBackward, layerNormStats } from "./webgpu_layernorm.ts";
 * if (tf.getBackend() === "webgpu") {
 *   const x = tf.tensor2d([[1, 3]]), w = tf.ones([2]);
 *   const g = layerNormBackward({ x }, layerNormStats({ x }, 1e-12), w, tf.ones([1, 2]));
 *   tf.dispose([x, w, g.dx, g.dWeight, g.dBias]); // dx ≈ 0: a constant dy has no normalised component
 * }
 * ```
 */
export function layerNormBackward(
  input: LayerNormInput,
  stats: tf.Tensor,
  weight: tf.Tensor,
  dy: tf.Tensor,
): LayerNormGrads {
  const z = sizes(input);
  const u = (mode: number) => uniforms(z, 0, mode);
  const dx = runProgram(spec("layernorm_backward", ["Stats", "W", "DY"], z.variant, input.x.shape, z.rows), [
    ...z.inputs,
    stats,
    weight,
    dy,
  ], u(0));
  const params = (mode: number) =>
    runProgram(spec("layernorm_param_grads", ["Stats", "DY"], z.variant, [z.cols], z.cols), [
      ...z.inputs,
      stats,
      dy,
    ], u(mode));
  return { dx, dWeight: params(0), dBias: params(1) };
}
