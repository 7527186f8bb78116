/**
 * A register-tiled fp32 matmul for tfjs-backend-webgpu's `BatchMatMul` and `_FusedMatMul` (with a bias and no
 * activation: the Linear layers' forward, the bias added as each output is stored), registered by
 * {@link registerTiledMatMul} (`selectBackend` does it on non-fallback adapters unless told `matmul: "tfjs"`).
 *
 * The kernel is the one `../shared/gpu/README.md` measured at 17.8–23 TFLOP/s on the H100 (tfjs's own: 2.5–3.9):
 * workgroup 16×16, a 128×128 output tile per workgroup, K staged 16 at a time through workgroup memory (A transposed
 * into `array<f32, 2048>`, B as `array<vec4f, 512>`), each thread holding an 8×8 block as 16 `vec4f` accumulators
 * updated with `fma`. The accumulators are named variables and the k- and row-loops are unrolled when the source is
 * generated: on that stack a dynamically indexed private array is kept out of registers and runs ~10× slower. Loads
 * are bounds-checked (zero outside), stores guarded, so any M, N, K works; transposed operands are read in place; a
 * batch of 1 broadcasts against the other operand's batch, as tfjs does. Each output is one thread's own sum over K in
 * increasing order: no atomics, the same bits on every run.
 *
 * @module
 */
import { tf } from "../../deps.ts";
import { KernelOverride, type WebGPUBackendLike } from "./webgpu_kernel.ts";
import { ENABLE_F16 } from "./webgpu_f16.ts";

/** Output tile edge per workgroup. */
const TILE = 128;
/** K values staged per iteration. */
const TILE_K = 16;

/** Options of {@link tiledMatMulSource}. */
export interface TiledMatMulSourceOptions {
  /** A is stored `[batch, K, M]` rather than `[batch, M, K]`. */
  transposeA: boolean;
  /** B is stored `[batch, N, K]` rather than `[batch, K, N]`. */
  transposeB: boolean;
  /** Add `Bias[n]` (binding `Bias`, `[N]`) to every output (default false). */
  bias?: boolean;
  /**
   * Half-precision operands (`--fp16`; needs a device with `shader-f16`, `webgpu_f16.ts`): A and B are rounded to f16
   * as they are staged (`As` and `Bs` hold f16, half the workgroup memory), each product and the sum over K stay f32.
   * An operand beyond f16's range (|x| ≥ 65520, which rounds to inf) makes the workgroup's outputs +inf, so that a
   * loss scaler sees the overflow as float16 arithmetic would produce it.
   */
  half?: boolean;
}

/**
 * The WGSL body (tfjs supplies the bindings `A`, `B`, `result`, the `uniforms` struct with `aShape`, `bShape` and
 * `M`, `N`, `K`, and the `_start` entry point that calls `main()`).
 *
 * @example
 * ```ts
 * import { tiledMatMulSource } from "./webgpu_matmul.ts";
 * const src = tiledMatMulSource({ transposeA: false, transposeB: true });
 * if (!src.includes("acc7_1") || src.includes("array<vec4<f32>, 16>")) throw new Error("named accumulators");
 * ```
 */
export function tiledMatMulSource(options: TiledMatMulSourceOptions): string {
  const { transposeA, transposeB } = options;
  const lines: string[] = [];
  const emit = (s: string) => lines.push(s);
  // A(m, k) and B(k, n) of this batch, zero outside the matrix
  const readA = transposeA
    ? "A[offA + k * uniforms.M + m]" // [batch, K, M]
    : "A[offA + m * uniforms.K + k]"; // [batch, M, K]
  const readB = transposeB
    ? "B[offB + n * uniforms.K + k]" // [batch, N, K]
    : "B[offB + k * uniforms.N + n]"; // [batch, K, N]
  const half = Boolean(options.half);
  const store = half ? "f16" : "f32"; // the staged operands' type
  if (half) emit(ENABLE_F16);
  emit(`var<workgroup> As : array<${store}, ${TILE_K * TILE}>;`);
  emit(`var<workgroup> Bs : array<vec4<${store}>, ${(TILE_K * TILE) / 4}>;`);
  if (half) emit("var<workgroup> overflow : atomic<u32>;");
  emit("fn main() {");
  emit("  let tx = i32(localId.x);");
  emit("  let ty = i32(localId.y);");
  emit("  let t = ty * 16 + tx;");
  emit("  let batch = i32(workgroupId.z);");
  emit(`  let row0 = i32(workgroupId.y) * ${TILE};`);
  emit(`  let col0 = i32(workgroupId.x) * ${TILE};`);
  emit("  let offA = (batch % uniforms.aShape[0]) * uniforms.M * uniforms.K;");
  emit("  let offB = (batch % uniforms.bShape[0]) * uniforms.K * uniforms.N;");
  for (let i = 0; i < 8; i++) for (let j = 0; j < 2; j++) emit(`  var acc${i}_${j} = vec4<f32>(0.0);`);
  emit(`  for (var k0 = 0; k0 < uniforms.K; k0 = k0 + ${TILE_K}) {`);
  // stage A: 128 rows × 16 k, 8 values per thread; coalesced along the contiguous axis
  for (let r = 0; r < 8; r++) {
    emit("    {");
    emit(`      let e = t + ${256 * r};`);
    if (transposeA) emit(`      let mm = e % ${TILE}; let kk = e / ${TILE};`);
    else emit(`      let mm = e / ${TILE_K}; let kk = e % ${TILE_K};`);
    emit("      let m = row0 + mm; let k = k0 + kk;");
    emit("      var v = 0.0;");
    emit(`      if (m < uniforms.M && k < uniforms.K) { v = ${readA}; }`);
    if (half) emit("      if (abs(v) >= 65520.0) { atomicOr(&overflow, 1u); v = 0.0; }");
    emit(`      As[kk * ${TILE} + mm] = ${half ? "f16(v)" : "v"};`);
    emit("    }");
  }
  // stage B: 16 k × 128 columns
  for (let r = 0; r < 8; r++) {
    emit("    {");
    emit(`      let e = t + ${256 * r};`);
    if (transposeB) emit(`      let nn = e / ${TILE_K}; let kk = e % ${TILE_K};`);
    else emit(`      let nn = e % ${TILE}; let kk = e / ${TILE};`);
    emit("      let n = col0 + nn; let k = k0 + kk;");
    emit("      var v = 0.0;");
    emit(`      if (n < uniforms.N && k < uniforms.K) { v = ${readB}; }`);
    if (half) emit("      if (abs(v) >= 65520.0) { atomicOr(&overflow, 1u); v = 0.0; }");
    emit(`      Bs[kk * ${TILE / 4} + nn / 4][nn % 4] = ${half ? "f16(v)" : "v"};`);
    emit("    }");
  }
  emit("    workgroupBarrier();");
  for (let kk = 0; kk < TILE_K; kk++) {
    emit(`    {`);
    const wide = (x: string) => half ? `vec4<f32>(${x})` : x;
    emit(`      let b0 = ${wide(`Bs[${kk * (TILE / 4)} + tx * 2]`)};`);
    emit(`      let b1 = ${wide(`Bs[${kk * (TILE / 4)} + tx * 2 + 1]`)};`);
    for (let i = 0; i < 8; i++) {
      emit(`      let a${i} = vec4<f32>(${half ? "f32" : ""}(As[${kk * TILE} + ty * 8 + ${i}]));`);
      emit(`      acc${i}_0 = fma(a${i}, b0, acc${i}_0);`);
      emit(`      acc${i}_1 = fma(a${i}, b1, acc${i}_1);`);
    }
    emit(`    }`);
  }
  emit("    workgroupBarrier();");
  emit("  }");
  emit("  let outOff = batch * uniforms.M * uniforms.N;");
  // +inf on every output of a workgroup that staged an operand beyond f16's range
  emit(`  let poison = ${half ? "select(0.0, bitcast<f32>(0x7f800000u), atomicLoad(&overflow) != 0u)" : "0.0"};`);
  for (let i = 0; i < 8; i++) {
    emit(`  if (row0 + ty * 8 + ${i} < uniforms.M) {`);
    emit(`    let base = outOff + (row0 + ty * 8 + ${i}) * uniforms.N;`);
    for (let j = 0; j < 2; j++) {
      for (let c = 0; c < 4; c++) {
        emit(
          `    if (col0 + tx * 8 + ${4 * j + c} < uniforms.N) { result[base + col0 + tx * 8 + ${
            4 * j + c
          }] = acc${i}_${j}[${c}]${options.bias ? ` + Bias[col0 + tx * 8 + ${4 * j + c}]` : ""}${
            half ? " + poison" : ""
          }; }`,
        );
      }
    }
    emit("  }");
  }
  emit("}");
  return lines.join("\n");
}

/** A tfjs WebGPU program computing `[batch, M, N]` from 3-D `A` and `B`. */
function program(batch: number, m: number, n: number, options: TiledMatMulSourceOptions): object {
  return {
    variableNames: options.bias ? ["A", "B", "Bias"] : ["A", "B"],
    outputShape: [batch, m, n],
    shaderKey: `mlmTiledMatMul_${options.transposeA}_${options.transposeB}_${Boolean(options.bias)}_${
      Boolean(options.half)
    }`,
    dispatchLayout: { x: [2], y: [1], z: [0] },
    dispatch: [Math.ceil(n / TILE), Math.ceil(m / TILE), batch],
    workgroupSize: [16, 16, 1],
    uniforms: "M : i32, N : i32, K : i32,",
    getUserCode: () => tiledMatMulSource(options),
  };
}

let minSize = 0;
let minEdge = 0;
let half = false;

function reshape(backend: unknown, x: tf.TensorInfo, shape: number[]): tf.TensorInfo {
  const k = tf.getKernel("Reshape", "webgpu")!;
  return k.kernelFunc({ inputs: { x }, backend: backend as tf.KernelBackend, attrs: { shape } }) as tf.TensorInfo;
}

type KernelArgs = { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap };

/** The tiled product of `a` and `b` (plus `bias`), or `undefined` where the tiled kernel does not apply. */
function tiled(args: KernelArgs, bias?: tf.TensorInfo): tf.TensorInfo | undefined {
  const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
  const { transposeA, transposeB } = args.attrs as { transposeA: boolean; transposeB: boolean };
  const ra = a.shape.length, rb = b.shape.length;
  const m = transposeA ? a.shape[ra - 1] : a.shape[ra - 2];
  const k = transposeA ? a.shape[ra - 2] : a.shape[ra - 1];
  const n = transposeB ? b.shape[rb - 2] : b.shape[rb - 1];
  const kb = transposeB ? b.shape[rb - 1] : b.shape[rb - 2];
  const outerA = a.shape.slice(0, -2), outerB = b.shape.slice(0, -2);
  const batchA = outerA.reduce((x, y) => x * y, 1);
  const batchB = outerB.reduce((x, y) => x * y, 1);
  const simpleBatch = outerA.join() === outerB.join() || batchA === 1 || batchB === 1;
  if (
    k !== kb || !simpleBatch || a.dtype !== "float32" || b.dtype !== "float32" || m * n * k < minSize || m < minEdge ||
    n < minEdge ||
    m * n * k === 0 || (bias && (bias.dtype !== "float32" || bias.shape.reduce((x, y) => x * y, 1) !== n))
  ) {
    return undefined;
  }
  const batch = Math.max(batchA, batchB);
  const outerDims = tf.backend_util.assertAndGetBroadcastShape(outerA, outerB);
  const backend = args.backend as WebGPUBackendLike;
  const a3 = reshape(backend, a, [batchA, ...a.shape.slice(-2)]);
  const b3 = reshape(backend, b, [batchB, ...b.shape.slice(-2)]);
  const inputs = bias ? [a3, b3, bias] : [a3, b3];
  const out = backend.runWebGPUProgram(
    program(batch, m, n, { transposeA, transposeB, bias: Boolean(bias), half }),
    inputs,
    "float32",
    [
      { type: "int32", data: [m] },
      { type: "int32", data: [n] },
      { type: "int32", data: [k] },
    ],
  );
  const shaped = reshape(backend, out, [...outerDims, m, n]);
  for (const t of [a3, b3, out]) backend.disposeData(t.dataId);
  return shaped;
}

function batchMatMul(args: KernelArgs) {
  return tiled(args) ?? override.original!.kernelFunc(args as Parameters<tf.KernelFunc>[0]);
}

/** `_FusedMatMul` with a bias and no activation (a Linear layer); any other fused product goes to tfjs. */
function fusedMatMul(args: KernelArgs) {
  const { bias, preluActivationWeights } = args.inputs as Record<string, tf.TensorInfo | undefined>;
  const { activation } = args.attrs as { activation?: string };
  const plain = bias && !preluActivationWeights && (activation === undefined || activation === "linear");
  return (plain ? tiled(args, bias) : undefined) ??
    fusedOverride.original!.kernelFunc(args as Parameters<tf.KernelFunc>[0]);
}

/** Options of {@link registerTiledMatMul}. */
export interface RegisterTiledMatMulOptions {
  /** Products with `M·N·K` below this go to tfjs's own kernels (default 0: every float32 matmul). */
  minSize?: number;
  /**
   * Products with `M` or `N` below this go to tfjs's own kernels (default 0). On a software adapter a 128-wide tile
   * mostly empty costs more than tfjs's smaller tiles save: `selectBackend` passes 128 there.
   */
  minEdge?: number;
  /** Half-precision operands, f32 accumulation (`--fp16`; the device must have `shader-f16`). Default false. */
  half?: boolean;
}

const override = new KernelOverride("BatchMatMul", batchMatMul);
const fusedOverride = new KernelOverride("_FusedMatMul", fusedMatMul);

/**
 * Route tfjs-backend-webgpu's `BatchMatMul`, and `_FusedMatMul` with a bias and no activation, through the tiled
 * kernel (float32, batch equal or broadcast from 1); everything else still goes to tfjs's kernels. Call after the
 * WebGPU backend module is loaded. Idempotent.
 *
 * @example
 * ```ts
 * import { registerTiledMatMul, unregisterTiledMatMul } from "./webgpu_matmul.ts";
 * import { tf } from "../../deps.ts";
 * if (tf.getKernel("BatchMatMul", "webgpu")) {
 *   registerTiledMatMul();
 *   unregisterTiledMatMul();
 * }
 * ```
 */
export function registerTiledMatMul(options: RegisterTiledMatMulOptions = {}): void {
  minSize = options.minSize ?? 0;
  minEdge = options.minEdge ?? 0;
  half = options.half ?? false;
  override.register("registerTiledMatMul");
  fusedOverride.register("registerTiledMatMul");
}

/**
 * Put tfjs's own `BatchMatMul` and `_FusedMatMul` back (no-op when the tiled kernel is not registered).
 *
 * @example
 * ```ts
 * import { unregisterTiledMatMul } from "./webgpu_matmul.ts";
 * unregisterTiledMatMul();
 * ```
 */
export function unregisterTiledMatMul(): void {
  override.unregister();
  fusedOverride.unregister();
}

/**
 * Whether {@link registerTiledMatMul} is in effect.
 *
 * @example
 * ```ts
 * import { tiledMatMulRegistered } from "./webgpu_matmul.ts";
 * console.log(tiledMatMulRegistered());
 * ```
 */
export function tiledMatMulRegistered(): boolean {
  return override.registered();
}
