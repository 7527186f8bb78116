/**
 * tfjs-backend-webgpu's `BatchMatMul` without its float-atomic path. For a single matrix with a long inner dimension
 * (K ≥ 2000) and few output tiles, tfjs 4.22 picks `MatMulSplitKProgram`, which adds partial sums into the output
 * with atomics in whatever order the GPU runs them, so the same product can differ in the last bits from run to run.
 * That is the shape of a weight gradient (`xᵀ·dy` over batch × seq rows) in a small model, so training would not
 * repeat. This override sends exactly those calls to tfjs's `MatMulSmallOutputSizeProgram` — the program tfjs uses
 * for the same few-tiles case when K is shorter — and leaves every other call untouched.
 *
 * @module
 */
import { tf } from "../../deps.ts";
import { KernelOverride } from "./webgpu_kernel.ts";

/** tfjs-backend-webgpu's `MatMulProgramType.MatMulSmallOutputSizeProgram`. */
const SMALL_OUTPUT_SIZE_PROGRAM = 2;
const FLAG = "WEBGPU_MATMUL_PROGRAM_TYPE";

/** The inputs of tfjs's choice in `batchMatMulImpl`. */
export interface MatMulShapeInfo {
  /** Shape of `a`. */
  aShape: number[];
  /** Shape of `b`. */
  bShape: number[];
  /** `a` is read transposed. */
  transposeA: boolean;
  /** `b` is read transposed. */
  transposeB: boolean;
  /** The backend's `thresholdToIncreaseWorkgroups` (8 unless an Intel Gen12+ GPU: 16), or the flag's value. */
  threshold: number;
}

/**
 * Whether tfjs 4.22 would run this product with `MatMulSplitKProgram` (its rule in `batchMatMulImpl`).
 *
 * @example
 * ```ts
 * import { usesSplitK } from "./webgpu_matmul_no_atomics.ts";
 * const grad = { aShape: [4096, 64], bShape: [4096, 64], transposeA: true, transposeB: false, threshold: 8 };
 * if (!usesSplitK(grad)) throw new Error("a small model's weight gradient is split over K");
 * if (usesSplitK({ ...grad, aShape: [4096, 768], bShape: [4096, 768] })) throw new Error("768² has many tiles");
 * ```
 */
export function usesSplitK(info: MatMulShapeInfo): boolean {
  const { aShape, bShape, transposeA, transposeB, threshold } = info;
  const ra = aShape.length, rb = bShape.length;
  const m = transposeA ? aShape[ra - 1] : aShape[ra - 2];
  const n = transposeB ? bShape[rb - 2] : bShape[rb - 1];
  const k = transposeB ? bShape[rb - 1] : bShape[rb - 2];
  const batch = Math.max(
    aShape.slice(0, -2).reduce((x, y) => x * y, 1),
    bShape.slice(0, -2).reduce((x, y) => x * y, 1),
  );
  const tiles = batch * Math.ceil(m / 32) * Math.ceil(n / 32);
  const fewWorkgroups = tiles <= threshold || (m <= 8 && tiles <= threshold * 2);
  return fewWorkgroups && batch * m * n > 128 && batch === 1 && k >= 2000;
}

function batchMatMul(args: { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap }) {
  const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
  const { transposeA, transposeB } = args.attrs as { transposeA: boolean; transposeB: boolean };
  const env = tf.env();
  const forced = env.getNumber(FLAG);
  const flagThreshold = env.getNumber("WEBGPU_THRESHOLD_TO_INCREASE_WORKGROUPS_FOR_MATMUL");
  const threshold = flagThreshold > 0
    ? flagThreshold
    : (args.backend as { thresholdToIncreaseWorkgroups?: number }).thresholdToIncreaseWorkgroups ?? 8;
  const run = () => override.original!.kernelFunc(args as Parameters<tf.KernelFunc>[0]) as tf.TensorInfo;
  if (forced >= 0 || !usesSplitK({ aShape: a.shape, bShape: b.shape, transposeA, transposeB, threshold })) return run();
  env.set(FLAG, SMALL_OUTPUT_SIZE_PROGRAM);
  try {
    return run();
  } finally {
    env.set(FLAG, forced);
  }
}

const override = new KernelOverride("BatchMatMul", batchMatMul);

/**
 * Route tfjs-backend-webgpu's `BatchMatMul` through this override (the split-K calls only; everything else goes to
 * tfjs's kernel as before). Call after the WebGPU backend module is loaded (`selectBackend("webgpu")` does).
 * Idempotent; register it before the tiled matmul (`registerTiledMatMul`) so that the tiled kernel's fallback goes through it.
 *
 * @example
 * ```ts
 * import { registerMatMulWithoutAtomics } from "./webgpu_matmul_no_atomics.ts";
 * import { tf } from "../../deps.ts";
 * if (tf.getKernel("BatchMatMul", "webgpu")) registerMatMulWithoutAtomics();
 * ```
 */
export function registerMatMulWithoutAtomics(): void {
  override.register("registerMatMulWithoutAtomics");
}

/**
 * Put tfjs's own `BatchMatMul` back (a no-op when this override is not the registered kernel).
 *
 * @example
 * ```ts
 * import { unregisterMatMulWithoutAtomics } from "./webgpu_matmul_no_atomics.ts";
 * unregisterMatMulWithoutAtomics();
 * ```
 */
export function unregisterMatMulWithoutAtomics(): void {
  override.unregister();
}

/**
 * Whether {@link registerMatMulWithoutAtomics} is in effect (and not covered by another override).
 *
 * @example
 * ```ts
 * import { matMulWithoutAtomicsRegistered } from "./webgpu_matmul_no_atomics.ts";
 * console.log(matMulWithoutAtomicsRegistered());
 * ```
 */
export function matMulWithoutAtomicsRegistered(): boolean {
  return override.registered();
}
