/**
 * The wasm backend's `BatchMatMul` runs 10–20× slower when an operand is transposed (1–2 GFLOP/s against 23). This
 * wrapper transposes such an operand with the backend's own `Transpose` kernel first, then multiplies untransposed.
 * It covers the backward pass too, whose matmuls are the transposed ones.
 *
 * @module
 */
import { tf } from "../../deps.ts";

interface WasmBackend {
  disposeData(dataId: unknown): boolean;
}

let original: tf.KernelConfig | undefined;

function transposeLast2(x: tf.TensorInfo, backend: unknown): tf.TensorInfo {
  const rank = x.shape.length;
  const perm = [...Array(rank - 2).keys(), rank - 1, rank - 2];
  const t = tf.getKernel("Transpose", "wasm")!;
  return t.kernelFunc({ inputs: { x }, backend: backend as tf.KernelBackend, attrs: { perm } }) as tf.TensorInfo;
}

function kernel(args: { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap }): tf.TensorInfo {
  const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
  const { transposeA, transposeB } = args.attrs as { transposeA: boolean; transposeB: boolean };
  const at = transposeA ? transposeLast2(a, args.backend) : a;
  const bt = transposeB ? transposeLast2(b, args.backend) : b;
  const out = original!.kernelFunc({
    inputs: { a: at, b: bt },
    backend: args.backend as tf.KernelBackend,
    attrs: { ...args.attrs, transposeA: false, transposeB: false },
  }) as tf.TensorInfo;
  if (at !== a) (args.backend as WasmBackend).disposeData(at.dataId);
  if (bt !== b) (args.backend as WasmBackend).disposeData(bt.dataId);
  return out;
}

/**
 * Wrap the wasm backend's registered `BatchMatMul` (keeps its setup function). Call after the wasm backend module is
 * imported; idempotent.
 *
 * @example
 * ```ts
 * import { registerWasmMatMul } from "./wasm_matmul.ts";
 * registerWasmMatMul(); // no-op until the wasm backend is loaded
 * ```
 */
export function registerWasmMatMul(): void {
  const existing = tf.getKernel("BatchMatMul", "wasm");
  if (!existing || existing.kernelFunc === kernel) return;
  original = existing;
  tf.unregisterKernel("BatchMatMul", "wasm");
  tf.registerKernel({
    kernelName: "BatchMatMul",
    backendName: "wasm",
    setupFunc: existing.setupFunc,
    kernelFunc: kernel as tf.KernelFunc,
  });
}
