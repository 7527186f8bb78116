/**
 * Half-precision storage on tfjs-backend-webgpu, for the activations `--fp16` keeps for the backward. tfjs has no
 * 16-bit dtype, so a _packed_ tensor is an int32 tensor of `ceil(n / 2)` words, each holding two IEEE binary16 values
 * (element `2i` in the low 16 bits, `2i + 1` in the high): half the bytes of the float32 tensor it stands for.
 *
 * `half_pack` rounds float32 to the nearest binary16 (ties to even, as PyTorch's `.half()` and `Math.f16round`):
 * beyond f16's range (|x| ≥ 65520) gives ±inf, NaN stays NaN, tiny values become f16 subnormals. `half_unpack`
 * widens back exactly (every binary16 is a float32). Both convert with integer operations, so the bits do not depend
 * on how a GPU implements WGSL's `pack2x16float`, which leaves overflow and subnormals to the implementation.
 * `half_keep_mask` stores a dropout mask as halves of 0 and 1, which the dropout kernels read in place of the draws:
 * `floor(m + keep)` is `m` for any keep probability below 1.
 *
 * @module
 */
import type { tf } from "../../deps.ts";
import { flatDispatch, runProgram } from "./webgpu_kernel.ts";

/** Threads per workgroup. */
const THREADS = 64;

/**
 * WGSL of the two conversions: `toHalf(v : f32) -> u32` (the binary16 bits in the low 16) and
 * `fromHalf(h : u32) -> f32`.
 *
 * @example
 * ```ts
 * import { HALF_CONVERSIONS } from "./webgpu_half.ts";
 * if (!HALF_CONVERSIONS.includes("fn toHalf") || !HALF_CONVERSIONS.includes("fn fromHalf")) throw new Error("both");
 * ```
 */
export const HALF_CONVERSIONS = `
fn toHalf(v : f32) -> u32 {
  let b = bitcast<u32>(v);
  let sign = (b >> 16u) & 0x8000u;
  let a = b & 0x7fffffffu;
  if (a > 0x7f800000u) { return sign | 0x7e00u; }  // NaN
  if (a >= 0x477ff000u) { return sign | 0x7c00u; } // |v| >= 65520 rounds to inf
  if (a >= 0x38800000u) {                           // a normal half: rebias the exponent, round the low 13 bits
    return sign | ((a - 0x38000000u + 0xfffu + ((a >> 13u) & 1u)) >> 13u);
  }
  if (a <= 0x33000000u) { return sign; }            // at most 2^-25: rounds to zero (the tie too)
  let e = a >> 23u;                                 // a subnormal half: the 24-bit mantissa shifted, ties to even
  let m = (a & 0x7fffffu) | 0x800000u;
  let s = 126u - e;
  let q = m >> s;
  let rest = m & ((1u << s) - 1u);
  let halfway = 1u << (s - 1u);
  return sign | (q + select(0u, 1u, rest > halfway || (rest == halfway && (q & 1u) == 1u)));
}
fn fromHalf(h : u32) -> f32 {
  let sign = (h & 0x8000u) << 16u;
  let e = (h >> 10u) & 0x1fu;
  let m = h & 0x3ffu;
  if (e == 0x1fu) { return bitcast<f32>(sign | 0x7f800000u | (m << 13u)); }
  if (e == 0u) { return bitcast<f32>(sign | bitcast<u32>(f32(m) * 5.9604644775390625e-8)); } // m · 2^-24
  return bitcast<f32>(sign | ((e + 112u) << 23u) | (m << 13u));
}`;

/**
 * WGSL of `half_pack` (one thread per output word; `mask` set: the dropout mask `floor(x + keep)` instead of `x`).
 *
 * @example
 * ```ts
 * import { halfPackSource } from "./webgpu_half.ts";
 * if (!halfPackSource(true).includes("floor(")) throw new Error("the mask as the dropout kernels compute it");
 * ```
 */
export function halfPackSource(mask: boolean): string {
  const value = (i: string) => mask ? `floor(X[${i}] + uniforms.keep)` : `X[${i}]`;
  return `${HALF_CONVERSIONS}
fn main(index : i32) {
  if (index < uniforms.words) {
    let i = index * 2;
    var high = 0u;
    if (i + 1 < uniforms.n) { high = toHalf(${value("i + 1")}); }
    result[index] = bitcast<i32>(toHalf(${value("i")}) | (high << 16u));
  }
}`;
}

/**
 * WGSL of `half_unpack` (one thread per output element).
 *
 * @example
 * ```ts
 * import { HALF_UNPACK_SOURCE } from "./webgpu_half.ts";
 * if (!HALF_UNPACK_SOURCE.includes("fromHalf(")) throw new Error("widened");
 * ```
 */
export const HALF_UNPACK_SOURCE = `${HALF_CONVERSIONS}
fn main(index : i32) {
  if (index < uniforms.n) {
    let word = bitcast<u32>(H[index / 2]);
    result[index] = fromHalf((word >> (16u * u32(index % 2))) & 0xffffu);
  }
}`;

function pack(x: tf.Tensor, keep: number | undefined): tf.Tensor {
  if (x.dtype !== "float32") throw new Error(`halfPack: expected a float32 tensor, got ${x.dtype}`);
  const words = Math.ceil(x.size / 2);
  const spec = {
    name: keep === undefined ? "half_pack" : "half_keep_mask",
    inputs: ["X"],
    outputShape: [words],
    workgroupSize: THREADS,
    dispatch: flatDispatch(words, THREADS),
    uniforms: "n : i32, words : i32, keep : f32,",
    source: halfPackSource(keep !== undefined),
    dtype: "int32" as const,
  };
  return runProgram(spec, [x], [
    { type: "int32", data: [x.size] },
    { type: "int32", data: [words] },
    { type: "float32", data: [keep ?? 0] },
  ]);
}

/**
 * `half_pack`: `x` (float32) rounded to binary16, packed two to an int32 word (see the module doc); one dispatch.
 *
 * @example
 * ```ts
 * import { tf } from "../../deps.ts";
 * import { halfPack, halfUnpack } from "./webgpu_half.ts";
 * if (tf.getBackend() === "webgpu") {
 *   const h = halfPack(tf.tensor1d([1, 1 / 3, 70000]));
 *   const x = halfUnpack(h, [3]); // [1, 0.333251953125, Infinity]
 *   tf.dispose([h, x]);
 * }
 * ```
 */
export function halfPack(x: tf.Tensor): tf.Tensor {
  return pack(x, undefined);
}

/**
 * `half_keep_mask`: the dropout mask `floor(u + keep)` (0 dropped, 1 kept) of draws `u`, packed as halves; one
 * dispatch. Unpacked, it stands for `u` in every dropout kernel (see the module doc).
 *
 * @example
 * ```ts
 * import { tf } from "../../deps.ts";
 * import { halfKeepMask, halfUnpack } from "./webgpu_half.ts";
 * if (tf.getBackend() === "webgpu") {
 *   const m = halfKeepMask(tf.tensor1d([0.05, 0.5]), 0.9);
 *   const u = halfUnpack(m, [2]); // [0, 1]
 *   tf.dispose([m, u]);
 * }
 * ```
 */
export function halfKeepMask(u: tf.Tensor, keep: number): tf.Tensor {
  if (!(keep > 0 && keep < 1)) throw new Error(`halfKeepMask: keep must be in (0, 1), got ${keep}`);
  return pack(u, keep);
}

/**
 * `half_unpack`: the float32 tensor of `shape` that packed halves `h` stand for; one dispatch.
 *
 * @example
 * ```ts
 * import { tf } from "../../deps.ts";
 * import { halfPack, halfUnpack } from "./webgpu_half.ts";
 * if (tf.getBackend() === "webgpu") {
 *   const h = halfPack(tf.ones([2, 3]));
 *   const x = halfUnpack(h, [2, 3]);
 *   tf.dispose([h, x]);
 * }
 * ```
 */
export function halfUnpack(h: tf.Tensor, shape: number[]): tf.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  if (h.dtype !== "int32" || h.size !== Math.ceil(n / 2)) {
    throw new Error(
      `halfUnpack: expected ${Math.ceil(n / 2)} int32 words for shape [${shape}], got ${h.size} ${h.dtype}`,
    );
  }
  const spec = {
    name: "half_unpack",
    inputs: ["H"],
    outputShape: shape,
    workgroupSize: THREADS,
    dispatch: flatDispatch(n, THREADS),
    uniforms: "n : i32,",
    source: HALF_UNPACK_SOURCE,
  };
  return runProgram(spec, [h], [{ type: "int32", data: [n] }]);
}
