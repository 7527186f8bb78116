/**
 * The global gradient norm of `clip_grad_norm_` on tfjs-backend-webgpu in two kernels over flat gradient chunks
 * (`webgpu_flat_buffers.ts`), deterministic (fixed reduction order, no atomics):
 *
 * - `grad_sum_squares` — one dispatch per up to seven chunks (with the partials, eight storage buffers: WebGPU's
 *   default limit per shader stage): workgroup `w` of chunk `c` (256 threads) reads `vec4`s `w·1024 + k·256 + t`
 *   (k = 0..3), each thread sums the squares of its 16 values in order, a tree in workgroup memory sums the 256
 *   threads, and thread 0 writes the pair `(sum, non-finite)` to `Partials[base + c·groupsPerChunk + w]`;
 *   `non-finite` is 1 when any value is NaN or ±Inf, read from the bits (the shader compiler may assume finite floats;
 *   the bits it cannot).
 * - `grad_norm_finalize` — one dispatch, one workgroup: sums every pair (thread `t` takes pairs `t, t + 256, …` in
 *   order, then the same tree), and writes the optimizer's scalars `Scal`: `[0]` the norm `sqrt(Σ g²)·gradScale`, `[1]`
 *   the clip coefficient `min(maxNorm / (norm + 1e-6), 1)·gradScale` (torch's; `gradScale` when `maxNorm` is 0; a loss
 *   scaler's `1 / scale`, else 1), `[2]` the sticky "apply" flag:
 *   1 while it was 1 and the loss, every gradient and the norm are finite, else 0 for good.
 *
 * The tf-op path (`lib/train/clip.ts`) takes the norm of the per-tensor norms in tfjs's reduction order, so the two
 * norms agree to float rounding (the tests hold them within 1e-6 relative), not bit for bit.
 *
 * @module
 */
import type { WebGPUBackendInternals } from "./webgpu_flat_buffers.ts";
import type { tf } from "../../deps.ts";

/** Threads of a workgroup of both kernels. */
const THREADS = 256;
/** `vec4`s one thread of `grad_sum_squares` reads. */
const VEC4_PER_THREAD = 4;
/** Float values one workgroup of `grad_sum_squares` reduces. */
export const VALUES_PER_PARTIAL = THREADS * VEC4_PER_THREAD * 4;

/** Gradient chunks one `grad_sum_squares` dispatch reads (+ the partials: 8 storage buffers). */
export const CHUNKS_PER_SUM = 7;

/** Indices of the optimizer scalars in `Scal` (4 floats). */
export const SCAL = { norm: 0, coef: 1, apply: 2 } as const;

/** True (as WGSL) when the f32 `x` is NaN or ±Inf, from its bits. */
const NON_FINITE_FN = `
fn nonFinite(x : f32) -> bool {
  return (bitcast<u32>(x) & 0x7f800000u) == 0x7f800000u;
}`;

/** The tree sum over `THREADS` values in workgroup memory (sum and non-finite flag); every thread calls it. */
const TREE_FN = `
var<workgroup> partSum : array<f32, ${THREADS}>;
var<workgroup> partBad : array<u32, ${THREADS}>;

fn treeSum(t : u32, sum : f32, bad : u32) {
  partSum[t] = sum;
  partBad[t] = bad;
  workgroupBarrier();
  for (var stride = ${THREADS / 2}u; stride > 0u; stride = stride / 2u) {
    if (t < stride) {
      partSum[t] = partSum[t] + partSum[t + stride];
      partBad[t] = partBad[t] | partBad[t + stride];
    }
    workgroupBarrier();
  }
}`;

/**
 * WGSL of `grad_sum_squares` over `chunks` gradient chunks (tfjs supplies `result` = the partials, `Grad0`, `Grad1`,
 * … as `vec4`s, `uniforms`, and calls `main(index)`, whose index it ignores).
 *
 * @example
 * ```ts
 * import { gradSumSquaresSource } from "./webgpu_grad_norm.ts";
 * if (!gradSumSquaresSource(2).includes("return Grad1[i];")) throw new Error("reads the second chunk");
 * ```
 */
export function gradSumSquaresSource(chunks: number): string {
  if (!Number.isInteger(chunks) || chunks < 1 || chunks > CHUNKS_PER_SUM) {
    throw new Error(`gradSumSquaresSource: chunks must be 1 to ${CHUNKS_PER_SUM}, got ${chunks}`);
  }
  const cases = Array.from({ length: chunks - 1 }, (_, c) => `    case ${c} { return Grad${c}[i]; }`).join("\n");
  return `${NON_FINITE_FN}
${TREE_FN}

fn load(c : i32, i : i32) -> vec4<f32> {
  switch c {
${cases}
    default { return Grad${chunks - 1}[i]; }
  }
}

fn main(index : i32) {
  let t = localIndex;
  let wAll = i32(workgroupId.y * numWorkgroups.x + workgroupId.x);
  let c = wAll / uniforms.groupsPerChunk;
  let w = wAll - c * uniforms.groupsPerChunk;
  var n4 = uniforms.n4Full;
  if (c == ${chunks - 1}) {
    n4 = uniforms.n4Last;
  }
  var sum = 0.0;
  var bad = 0u;
  for (var k = 0; k < ${VEC4_PER_THREAD}; k = k + 1) {
    let i = w * ${THREADS * VEC4_PER_THREAD} + k * ${THREADS} + i32(t);
    if (c < ${chunks} && i < n4) {
      let g = load(c, i);
      sum = sum + g.x * g.x;
      sum = sum + g.y * g.y;
      sum = sum + g.z * g.z;
      sum = sum + g.w * g.w;
      if (nonFinite(g.x) || nonFinite(g.y) || nonFinite(g.z) || nonFinite(g.w)) {
        bad = 1u;
      }
    }
  }
  treeSum(t, sum, bad);
  if (t == 0u && wAll < uniforms.groups) {
    result[2 * (uniforms.base + wAll)] = partSum[0];
    result[2 * (uniforms.base + wAll) + 1] = f32(partBad[0]);
  }
}`;
}

/**
 * WGSL of `grad_norm_finalize` (tfjs supplies `result` = `Scal`, read and written, `Partials`, `Loss`, `uniforms`,
 * and calls `main(index)`, whose index it ignores).
 *
 * @example
 * ```ts
 * import { gradNormFinalizeSource } from "./webgpu_grad_norm.ts";
 * if (!gradNormFinalizeSource().includes("uniforms.maxNorm / (norm + 1e-6)")) throw new Error("torch's coefficient");
 * ```
 */
export function gradNormFinalizeSource(): string {
  return `${NON_FINITE_FN}
${TREE_FN}

fn main(index : i32) {
  let t = localIndex;
  var sum = 0.0;
  var bad = 0u;
  for (var i = i32(t); i < uniforms.partials; i = i + ${THREADS}) {
    sum = sum + Partials[2 * i];
    if (Partials[2 * i + 1] != 0.0) {
      bad = 1u;
    }
  }
  treeSum(t, sum, bad);
  if (t == 0u) {
    let norm = sqrt(partSum[0]) * uniforms.gradScale;
    var coef = 1.0;
    if (uniforms.maxNorm > 0.0) {
      coef = min(uniforms.maxNorm / (norm + 1e-6), 1.0);
    }
    coef = coef * uniforms.gradScale;
    let finite = partBad[0] == 0u && !nonFinite(norm) && !nonFinite(Loss[0]);
    result[${SCAL.norm}] = norm;
    result[${SCAL.coef}] = coef;
    if (!(finite && result[${SCAL.apply}] == 1.0)) {
      result[${SCAL.apply}] = 0.0;
    }
  }
}`;
}

/**
 * Partial pairs `grad_sum_squares` writes for a chunk of `length` values.
 *
 * @example
 * ```ts
 * import { partialsFor } from "./webgpu_grad_norm.ts";
 * if (partialsFor(4096) !== 1 || partialsFor(4100) !== 2) throw new Error("4,096 values a workgroup");
 * ```
 */
export function partialsFor(length: number): number {
  return Math.ceil(length / VALUES_PER_PARTIAL);
}

/**
 * Encode `grad_sum_squares` over up to {@link CHUNKS_PER_SUM} gradient chunks (each a multiple of 4 values long; all
 * but the last of one length, the last no longer), writing chunk `c`'s pairs to `partials` from pair
 * `base + c·partialsFor(grads[0] length)` on.
 *
 * @example
 * ```ts
 * import { tf } from "../../deps.ts";
 * import { webgpuInternals } from "./webgpu_flat_buffers.ts";
 * import { encodeGradSumSquares } from "./webgpu_grad_norm.ts";
 * if (tf.getBackend() === "webgpu") {
 *   const [g, partials] = [tf.tensor([3, 4, 0, 0]), tf.zeros([2])];
 *   encodeGradSumSquares(webgpuInternals("example"), [g], partials, 0);
 *   if (partials.dataSync()[0] !== 25) throw new Error("3² + 4²");
 *   tf.dispose([g, partials]);
 * }
 * ```
 */
export function encodeGradSumSquares(
  backend: WebGPUBackendInternals,
  grads: tf.TensorInfo[],
  partials: tf.TensorInfo,
  base: number,
): void {
  const k = grads.length;
  if (k < 1 || k > CHUNKS_PER_SUM) throw new Error(`encodeGradSumSquares: 1 to ${CHUNKS_PER_SUM} chunks, got ${k}`);
  const full = grads[0].shape[0], last = grads[k - 1].shape[0];
  grads.forEach((g, c) => {
    const n = g.shape[0];
    if (n % 4 !== 0 || (c < k - 1 && n !== full) || n > full) {
      throw new Error(
        `encodeGradSumSquares: chunk ${c} has ${n} values; expected a multiple of 4, ${full} but the last`,
      );
    }
  });
  const groupsPerChunk = partialsFor(full);
  const groups = (k - 1) * groupsPerChunk + partialsFor(last);
  const program = {
    variableNames: grads.map((_, c) => `Grad${c}`),
    outputShape: partials.shape,
    shaderKey: `mlmGradSumSquares${k}`,
    dispatchLayout: { x: [0] },
    dispatch: [groups, 1, 1],
    workgroupSize: [THREADS, 1, 1],
    variableComponents: grads.map(() => 4),
    uniforms: "groupsPerChunk : i32, n4Full : i32, n4Last : i32, groups : i32, base : i32,",
    getUserCode: () => gradSumSquaresSource(k),
  };
  backend.runWebGPUProgram(program, grads, "float32", [
    { type: "int32", data: [groupsPerChunk] },
    { type: "int32", data: [full / 4] },
    { type: "int32", data: [last / 4] },
    { type: "int32", data: [groups] },
    { type: "int32", data: [base] },
  ], partials);
}

/**
 * Encode `grad_norm_finalize`: the first `count` pairs of `partials`, the loss scalar and `maxNorm` (0: no clipping)
 * into `scal` (4 floats; its apply flag is read first, and stays 0 once 0).
 *
 * @example
 * ```ts
 * import { SCAL } from "./webgpu_grad_norm.ts";
 * if (SCAL.apply !== 2) throw new Error("Scal[2] is the apply flag");
 * ```
 */
export function encodeGradNormFinalize(
  backend: WebGPUBackendInternals,
  partials: tf.TensorInfo,
  count: number,
  loss: tf.TensorInfo,
  maxNorm: number,
  scal: tf.TensorInfo,
  gradScale = 1,
): void {
  const program = {
    variableNames: ["Partials", "Loss"],
    outputShape: scal.shape,
    shaderKey: "mlmGradNormFinalize",
    dispatchLayout: { x: [0] },
    dispatch: [1, 1, 1],
    workgroupSize: [THREADS, 1, 1],
    uniforms: "partials : i32, maxNorm : f32, gradScale : f32,",
    getUserCode: gradNormFinalizeSource,
  };
  backend.runWebGPUProgram(program, [partials, loss], "float32", [
    { type: "int32", data: [count] },
    { type: "float32", data: [maxNorm] },
    { type: "float32", data: [gradScale] },
  ], scal);
}
