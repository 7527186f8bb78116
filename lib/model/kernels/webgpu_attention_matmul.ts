/**
 * Attention's two products on tfjs-backend-webgpu, read and written in the projections' own `[batch, seq, heads·d]`
 * layout, so no head split or merge (transpose) runs forward or backward:
 *
 * ```
 * attention scores    s[b, h, i, j] = Σ_d q[b, i, h·d] · k[b, j, h·d]          → [batch, heads, seq, seq]
 * attention context   c[b, i, h·d]  = Σ_j p[b, h, i, j] · v[b, j, h·d]          → [batch, seq, heads·d]
 * backward            dq = ds·k, dk = dsᵀ·q, dp = dc·vᵀ, dv = pᵀ·dc  (the same kernel, other strides)
 * ```
 *
 * With q, k, v packed side by side in one `[batch, seq, 3·heads·d]` tensor (one projection for all three), the same
 * products read them at column offsets 0, heads·d and 2·heads·d (`packedAttention*`), and the backward writes dq, dk
 * and dv into one packed gradient with `attention_backward_qkv`.
 *
 * All six are one program, `attention_matmul`: a thread per output element, the inner dimension added in increasing
 * order (deterministic, no atomics), every operand addressed through (batch, head, row, column) strides given as
 * uniforms. Simple rather than tiled: at the sequence lengths of MLM fine-tuning these products are a small part of a
 * step's work next to the Linear layers.
 *
 * @module
 */
import type { tf } from "../../deps.ts";
import { flatDispatch, runProgram } from "./webgpu_kernel.ts";
import { ENABLE_F16 } from "./webgpu_f16.ts";

/** Threads per workgroup. */
const THREADS = 64;

/** (batch, head, row, column) element strides of one operand. */
export type HeadStrides = [number, number, number, number];

/** WGSL shared by both products: output element `index` → (b, h, i, j), and where row `i` of `a` and column `j` of `b`
 * start. */
const HEAD_INDEX_PROLOGUE = `
  if (index < uniforms.total) {
    let j = index % uniforms.n;
    let r1 = index / uniforms.n;
    let i = r1 % uniforms.m;
    let r2 = r1 / uniforms.m;
    let h = r2 % uniforms.heads;
    let b = r2 / uniforms.heads;
    let a0 = uniforms.aOffset + b * uniforms.aStrides.x + h * uniforms.aStrides.y + i * uniforms.aStrides.z;
    let b0 = uniforms.bOffset + b * uniforms.bStrides.x + h * uniforms.bStrides.y + j * uniforms.bStrides.w;
`;

/** WGSL of `attention_matmul`: `out(b, h, i, j) = Σ_k a(b, h, i, k) · b(b, h, k, j)` through strides. */
export const ATTENTION_MATMUL_SOURCE = `
fn main(index : i32) {${HEAD_INDEX_PROLOGUE}    var acc = 0.0;
    for (var k = 0; k < uniforms.k; k = k + 1) {
      acc = acc + A[a0 + k * uniforms.aStrides.w] * B[b0 + k * uniforms.bStrides.z];
    }
    result[b * uniforms.oStrides.x + h * uniforms.oStrides.y + i * uniforms.oStrides.z + j * uniforms.oStrides.w] = acc;
  }
}`;

/**
 * `attention_matmul_f16` (`--fp16`; a device with `shader-f16`): the same product with each operand rounded to f16
 * and the sum in f32, as the tiled matmul's `half`; an operand beyond f16's range (|x| ≥ 65520) makes the output
 * +inf.
 */
export const ATTENTION_MATMUL_F16_SOURCE = `${ENABLE_F16}
fn main(index : i32) {${HEAD_INDEX_PROLOGUE}    var acc = 0.0;
    var overflow = false;
    for (var k = 0; k < uniforms.k; k = k + 1) {
      let x = A[a0 + k * uniforms.aStrides.w];
      let y = B[b0 + k * uniforms.bStrides.z];
      overflow = overflow || abs(x) >= 65520.0 || abs(y) >= 65520.0;
      acc = acc + f32(f16(clamp(x, -65504.0, 65504.0))) * f32(f16(clamp(y, -65504.0, 65504.0)));
    }
    if (overflow) {
      acc = bitcast<f32>(0x7f800000u);
    }
    result[b * uniforms.oStrides.x + h * uniforms.oStrides.y + i * uniforms.oStrides.z + j * uniforms.oStrides.w] = acc;
  }
}`;

let half = false;

/**
 * Attention's products with half-precision operands (`--fp16`, on a device with `shader-f16`) or in f32 (default);
 * `selectBackend` sets it.
 *
 * @example
 * ```ts
 * import { setAttentionHalf } from "./webgpu_attention_matmul.ts";
 * setAttentionHalf(false);
 * ```
 */
export function setAttentionHalf(on: boolean): void {
  half = on;
}

/** Sizes of one product: `[batch, heads]` of `m × k` by `k × n`. */
interface Product {
  batch: number;
  heads: number;
  m: number;
  n: number;
  k: number;
}

function headMatMul(
  a: tf.Tensor,
  aStrides: HeadStrides,
  b: tf.Tensor,
  bStrides: HeadStrides,
  outShape: number[],
  oStrides: HeadStrides,
  p: Product,
  offsets: [number, number] = [0, 0],
): tf.Tensor {
  const total = p.batch * p.heads * p.m * p.n;
  const spec = {
    name: half ? "attention_matmul_f16" : "attention_matmul",
    inputs: ["A", "B"],
    outputShape: outShape,
    workgroupSize: THREADS,
    dispatch: flatDispatch(total, THREADS),
    uniforms: "aStrides : vec4<i32>, bStrides : vec4<i32>, oStrides : vec4<i32>, total : i32, heads : i32, " +
      "m : i32, n : i32, k : i32, aOffset : i32, bOffset : i32,",
    source: half ? ATTENTION_MATMUL_F16_SOURCE : ATTENTION_MATMUL_SOURCE,
  };
  const int = (data: number[]) => ({ type: "int32" as const, data });
  return runProgram(spec, [a, b], [
    int(aStrides),
    int(bStrides),
    int(oStrides),
    int([total]),
    int([p.heads]),
    int([p.m]),
    int([p.n]),
    int([p.k]),
    int([offsets[0]]),
    int([offsets[1]]),
  ]);
}

/** Sizes of `[batch, seq, heads·d]` projections. */
function sizes(x: tf.Tensor, heads: number): { batch: number; seq: number; width: number; d: number } {
  const [batch, seq, width] = x.shape;
  if (x.rank !== 3 || width % heads !== 0) {
    throw new Error(`attention: expected [batch, seq, heads·d] with ${heads} heads, got [${x.shape}]`);
  }
  return { batch, seq, width, d: width / heads };
}

/** Strides of a `[batch, seq, heads·d]` projection as (b, h, position, d), or as (b, h, d, position). */
function projection(seq: number, width: number, d: number, transposed = false): HeadStrides {
  return transposed ? [seq * width, d, 1, width] : [seq * width, d, width, 1];
}

/** Strides of `[batch, heads, seq, seq]` scores as (b, h, i, j), or as (b, h, j, i). */
function square(heads: number, seq: number, transposed = false): HeadStrides {
  return transposed ? [heads * seq * seq, seq * seq, 1, seq] : [heads * seq * seq, seq * seq, seq, 1];
}

/**
 * `q·kᵀ` per head: `[batch, heads, seq, seq]` scores from `q`, `k` `[batch, seq, heads·d]` (unscaled); one dispatch.
 *
 * @example
 * ```ts
 * import { tf } from "../../deps.ts";
 * import { attentionScores } from "./webgpu_attention_matmul.ts";
 * if (tf.getBackend() === "webgpu") attentionScores(tf.ones([1, 3, 4]), tf.ones([1, 3, 4]), 2).dispose(); // 2s, [1, 2, 3, 3]
 * ```
 */
export function attentionScores(q: tf.Tensor, k: tf.Tensor, heads: number): tf.Tensor {
  const { batch, seq, width, d } = sizes(q, heads);
  return headMatMul(
    q,
    projection(seq, width, d),
    k,
    projection(seq, width, d, true),
    [batch, heads, seq, seq],
    square(
      heads,
      seq,
    ),
    { batch, heads, m: seq, n: seq, k: d },
  );
}

/**
 * `p·v` per head, written as `[batch, seq, heads·d]` (the heads merged); one dispatch.
 *
 * @example
 * ```ts
 * import { tf } from "../../deps.ts";
 * import { attentionContext } from "./webgpu_attention_matmul.ts";
 * if (tf.getBackend() === "webgpu") attentionContext(tf.fill([1, 2, 3, 3], 1 / 3), tf.ones([1, 3, 4]), 2).dispose();
 * ```
 */
export function attentionContext(p: tf.Tensor, v: tf.Tensor, heads: number): tf.Tensor {
  const { batch, seq, width, d } = sizes(v, heads);
  return headMatMul(p, square(heads, seq), v, projection(seq, width, d), v.shape, projection(seq, width, d), {
    batch,
    heads,
    m: seq,
    n: d,
    k: seq,
  });
}

/**
 * The gradients of {@link attentionScores}: `dq = ds·k`, `dk = dsᵀ·q`, shaped like `q` and `k`; two dispatches.
 *
 * @example
 * ```ts
 * import { tf } from "../../deps.ts";
 * import { attentionScoresBackward } from "./webgpu_attention_matmul.ts";
 * if (tf.getBackend() === "webgpu") {
 *   const { dq, dk } = attentionScoresBackward(tf.ones([1, 2, 3, 3]), tf.ones([1, 3, 4]), tf.ones([1, 3, 4]), 2);
 *   tf.dispose([dq, dk]);
 * }
 * ```
 */
export function attentionScoresBackward(
  dScores: tf.Tensor,
  q: tf.Tensor,
  k: tf.Tensor,
  heads: number,
): { dq: tf.Tensor; dk: tf.Tensor } {
  const { batch, seq, width, d } = sizes(q, heads);
  const proj = projection(seq, width, d);
  const product = { batch, heads, m: seq, n: d, k: seq };
  return {
    dq: headMatMul(dScores, square(heads, seq), k, proj, q.shape, proj, product),
    dk: headMatMul(dScores, square(heads, seq, true), q, proj, k.shape, proj, product),
  };
}

/**
 * The gradients of {@link attentionContext}: `dp = dc·vᵀ` `[batch, heads, seq, seq]` and `dv = pᵀ·dc` shaped like
 * `v`; two dispatches.
 *
 * @example
 * ```ts
 * import { tf } from "../../deps.ts";
 * import { attentionContextBackward } from "./webgpu_attention_matmul.ts";
 * if (tf.getBackend() === "webgpu") {
 *   const { dp, dv } = attentionContextBackward(tf.ones([1, 3, 4]), tf.fill([1, 2, 3, 3], 1 / 3), tf.ones([1, 3, 4]), 2);
 *   tf.dispose([dp, dv]);
 * }
 * ```
 */
export function attentionContextBackward(
  dContext: tf.Tensor,
  p: tf.Tensor,
  v: tf.Tensor,
  heads: number,
): { dp: tf.Tensor; dv: tf.Tensor } {
  const { batch, seq, width, d } = sizes(v, heads);
  const proj = projection(seq, width, d);
  return {
    dp: headMatMul(dContext, proj, v, projection(seq, width, d, true), [batch, heads, seq, seq], square(heads, seq), {
      batch,
      heads,
      m: seq,
      n: seq,
      k: d,
    }),
    dv: headMatMul(p, square(heads, seq, true), dContext, proj, v.shape, proj, { batch, heads, m: seq, n: d, k: seq }),
  };
}

/** WGSL of `attention_backward_qkv`: the packed gradient `[dq | dk | dv]`, a thread per element. */
export const ATTENTION_BACKWARD_QKV_SOURCE = `
fn main(index : i32) {
  if (index < uniforms.total) {
    let w = uniforms.width;
    let col = index % (3 * w);
    let i = (index / (3 * w)) % uniforms.seq;
    let b = index / (3 * w * uniforms.seq);
    let part = col / w;
    let h = (col % w) / uniforms.d;
    let dd = (col % w) % uniforms.d;
    let sq = uniforms.seq * uniforms.seq;
    let s0 = (b * uniforms.heads + h) * sq;
    let row = 3 * w;
    let x0 = b * uniforms.seq * row + h * uniforms.d + dd;
    var acc = 0.0;
    if (part == 0) {
      for (var j = 0; j < uniforms.seq; j = j + 1) { acc = acc + DS[s0 + i * uniforms.seq + j] * QKV[x0 + j * row + w]; }
    } else if (part == 1) {
      for (var r = 0; r < uniforms.seq; r = r + 1) { acc = acc + DS[s0 + r * uniforms.seq + i] * QKV[x0 + r * row]; }
    } else {
      let c0 = b * uniforms.seq * w + h * uniforms.d + dd;
      for (var r = 0; r < uniforms.seq; r = r + 1) { acc = acc + PD[s0 + r * uniforms.seq + i] * DC[c0 + r * w]; }
    }
    result[index] = acc;
  }
}`;

/** Sizes of a packed `[batch, seq, 3·heads·d]` q|k|v tensor. */
function packedSizes(qkv: tf.Tensor, heads: number): { batch: number; seq: number; width: number; d: number } {
  const [batch, seq, width3] = qkv.shape;
  if (qkv.rank !== 3 || width3 % (3 * heads) !== 0) {
    throw new Error(`attention: expected packed q|k|v [batch, seq, 3·heads·d] with ${heads} heads, got [${qkv.shape}]`);
  }
  return { batch, seq, width: width3 / 3, d: width3 / 3 / heads };
}

/**
 * `q·kᵀ` per head from packed `qkv` `[batch, seq, 3·heads·d]` (q, k, v side by side): `[batch, heads, seq, seq]`
 * (unscaled); one dispatch.
 *
 * @example
 * ```ts
 * import { tf } from "../../deps.ts";
 * import { packedAttentionScores } from "./webgpu_attention_matmul.ts";
 * if (tf.getBackend() === "webgpu") packedAttentionScores(tf.ones([1, 3, 12]), 2).dispose(); // 2s, [1, 2, 3, 3]
 * ```
 */
export function packedAttentionScores(qkv: tf.Tensor, heads: number): tf.Tensor {
  const { batch, seq, width, d } = packedSizes(qkv, heads);
  const row = 3 * width;
  return headMatMul(
    qkv,
    [seq * row, d, row, 1],
    qkv,
    [seq * row, d, 1, row],
    [batch, heads, seq, seq],
    square(heads, seq),
    { batch, heads, m: seq, n: seq, k: d },
    [0, width],
  );
}

/**
 * `p·v` per head with `v` read from packed `qkv`, written as `[batch, seq, heads·d]`; one dispatch.
 *
 * @example
 * ```ts
 * import { tf } from "../../deps.ts";
 * import { packedAttentionContext } from "./webgpu_attention_matmul.ts";
 * if (tf.getBackend() === "webgpu") packedAttentionContext(tf.fill([1, 2, 3, 3], 1 / 3), tf.ones([1, 3, 12]), 2).dispose();
 * ```
 */
export function packedAttentionContext(p: tf.Tensor, qkv: tf.Tensor, heads: number): tf.Tensor {
  const { batch, seq, width, d } = packedSizes(qkv, heads);
  const row = 3 * width;
  return headMatMul(
    p,
    square(heads, seq),
    qkv,
    [seq * row, d, row, 1],
    [batch, seq, width],
    projection(seq, width, d),
    { batch, heads, m: seq, n: d, k: seq },
    [0, 2 * width],
  );
}

/**
 * `dp = dc·vᵀ` `[batch, heads, seq, seq]` with `v` read from packed `qkv`; one dispatch.
 *
 * @example
 * ```ts
 * import { tf } from "../../deps.ts";
 * import { packedAttentionProbsGrad } from "./webgpu_attention_matmul.ts";
 * if (tf.getBackend() === "webgpu") packedAttentionProbsGrad(tf.ones([1, 3, 4]), tf.ones([1, 3, 12]), 2).dispose();
 * ```
 */
export function packedAttentionProbsGrad(dContext: tf.Tensor, qkv: tf.Tensor, heads: number): tf.Tensor {
  const { batch, seq, width, d } = packedSizes(qkv, heads);
  const row = 3 * width;
  return headMatMul(
    dContext,
    projection(seq, width, d),
    qkv,
    [seq * row, d, 1, row],
    [batch, heads, seq, seq],
    square(heads, seq),
    { batch, heads, m: seq, n: seq, k: d },
    [0, 2 * width],
  );
}

/**
 * `attention_backward_qkv`: the packed gradient `[dq | dk | dv]` `[batch, seq, 3·heads·d]` from the scores' gradient
 * `ds` (scale included), the probabilities after dropout `pd` and the context's gradient `dc`; one dispatch.
 *
 * @example
 * ```ts
 * import { tf } from "../../deps.ts";
 * import { attentionBackwardQkv } from "./webgpu_attention_matmul.ts";
 * if (tf.getBackend() === "webgpu") {
 *   const [ds, pd] = [tf.zeros([1, 2, 3, 3]), tf.fill([1, 2, 3, 3], 1 / 3)];
 *   attentionBackwardQkv(tf.ones([1, 3, 12]), ds, pd, tf.ones([1, 3, 4]), 2).dispose(); // dq = dk = 0, dv = 1
 * }
 * ```
 */
export function attentionBackwardQkv(
  qkv: tf.Tensor,
  dScores: tf.Tensor,
  probs: tf.Tensor,
  dContext: tf.Tensor,
  heads: number,
): tf.Tensor {
  const { seq, width, d } = packedSizes(qkv, heads);
  const total = qkv.size;
  const spec = {
    name: "attention_backward_qkv",
    inputs: ["QKV", "DS", "PD", "DC"],
    outputShape: qkv.shape,
    workgroupSize: THREADS,
    dispatch: flatDispatch(total, THREADS),
    uniforms: "total : i32, seq : i32, heads : i32, d : i32, width : i32,",
    source: ATTENTION_BACKWARD_QKV_SOURCE,
  };
  const int = (x: number) => ({ type: "int32" as const, data: [x] });
  return runProgram(spec, [qkv, dScores, probs, dContext], [int(total), int(seq), int(heads), int(d), int(width)]);
}
