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
 * All six are one program, `attention_matmul`: a thread per output element, the inner dimension added in increasing
 * order (deterministic, no atomics), every operand addressed through (batch, head, row, column) strides given as
 * uniforms. Simple rather than tiled: at the sequence lengths of MLM fine-tuning these products are a small part of a
 * step's work next to the Linear layers.
 *
 * @module
 */
import type { tf } from "../../deps.ts";
import { flatDispatch, runProgram } from "./webgpu_kernel.ts";

/** Threads per workgroup. */
const THREADS = 64;

/** (batch, head, row, column) element strides of one operand. */
export type HeadStrides = [number, number, number, number];

/** WGSL of `attention_matmul`: `out(b, h, i, j) = Σ_k a(b, h, i, k) · b(b, h, k, j)` through strides. */
export const ATTENTION_MATMUL_SOURCE = `
fn main(index : i32) {
  if (index < uniforms.total) {
    let j = index % uniforms.n;
    let r1 = index / uniforms.n;
    let i = r1 % uniforms.m;
    let r2 = r1 / uniforms.m;
    let h = r2 % uniforms.heads;
    let b = r2 / uniforms.heads;
    let a0 = b * uniforms.aStrides.x + h * uniforms.aStrides.y + i * uniforms.aStrides.z;
    let b0 = b * uniforms.bStrides.x + h * uniforms.bStrides.y + j * uniforms.bStrides.w;
    var acc = 0.0;
    for (var k = 0; k < uniforms.k; k = k + 1) {
      acc = acc + A[a0 + k * uniforms.aStrides.w] * B[b0 + k * uniforms.bStrides.z];
    }
    result[b * uniforms.oStrides.x + h * uniforms.oStrides.y + i * uniforms.oStrides.z + j * uniforms.oStrides.w] = acc;
  }
}`;

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
): tf.Tensor {
  const total = p.batch * p.heads * p.m * p.n;
  const spec = {
    name: "attention_matmul",
    inputs: ["A", "B"],
    outputShape: outShape,
    workgroupSize: THREADS,
    dispatch: flatDispatch(total, THREADS),
    uniforms: "aStrides : vec4<i32>, bStrides : vec4<i32>, oStrides : vec4<i32>, total : i32, heads : i32, " +
      "m : i32, n : i32, k : i32,",
    source: ATTENTION_MATMUL_SOURCE,
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
