/**
 * `UnsortedSegmentSum` for the cpu and wasm backends: one pass over the rows in plain JavaScript. It is the gradient
 * of `gather` (the embedding lookup). The wasm backend has no such kernel at all, and the cpu backend's builds one
 * tensor per segment (~45 s for a 2000×128 table).
 *
 * @module
 */
import { tf } from "../../deps.ts";

/** The part of the cpu and wasm backends this kernel uses. */
interface JsBackend {
  readSync(dataId: unknown): ArrayLike<number>;
  makeTensorInfo?(shape: number[], dtype: string, values: Float32Array | Int32Array): tf.TensorInfo;
  makeOutput?(shape: number[], dtype: string): tf.TensorInfo;
  typedArrayFromHeap?(info: tf.TensorInfo): Float32Array | Int32Array;
}

/**
 * Sum the rows of `x` (values) into `numSegments` rows chosen by `segmentIds`; ids outside `[0, numSegments)` are
 * dropped, as TensorFlow does.
 *
 * @example
 * ```ts
 * import { segmentSum } from "./segment_sum.ts";
 * const out = segmentSum(new Float32Array([1, 2, 3, 4]), new Int32Array([1, 1]), { numSegments: 2, rowSize: 2 });
 * if (out[2] !== 4 || out[3] !== 6) throw new Error("rows 0 and 1 summed into segment 1");
 * ```
 */
export function segmentSum(
  x: ArrayLike<number>,
  segmentIds: ArrayLike<number>,
  options: { numSegments: number; rowSize: number; out?: Float32Array | Int32Array },
): Float32Array | Int32Array {
  const { numSegments, rowSize } = options;
  const out = options.out ?? new Float32Array(numSegments * rowSize);
  out.fill(0);
  for (let r = 0; r < segmentIds.length; r++) {
    const s = segmentIds[r];
    if (s < 0 || s >= numSegments) continue;
    const o = s * rowSize, i = r * rowSize;
    for (let c = 0; c < rowSize; c++) out[o + c] += x[i + c];
  }
  return out;
}

function kernel(args: { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap }): tf.TensorInfo {
  const { x, segmentIds } = args.inputs as { x: tf.TensorInfo; segmentIds: tf.TensorInfo };
  const numSegments = (args.attrs as { numSegments: number }).numSegments;
  const backend = args.backend as JsBackend;
  const rowSize = x.shape.slice(segmentIds.shape.length).reduce((a, b) => a * b, 1);
  const outShape = [numSegments, ...x.shape.slice(segmentIds.shape.length)];
  const xs = backend.readSync(x.dataId);
  const ids = backend.readSync(segmentIds.dataId);
  if (backend.makeOutput && backend.typedArrayFromHeap) { // wasm: write straight into the heap
    const out = backend.makeOutput(outShape, x.dtype);
    segmentSum(xs, ids, { numSegments, rowSize, out: backend.typedArrayFromHeap(out) });
    return out;
  }
  const values = x.dtype === "int32" ? new Int32Array(numSegments * rowSize) : new Float32Array(numSegments * rowSize);
  segmentSum(xs, ids, { numSegments, rowSize, out: values });
  return backend.makeTensorInfo!(outShape, x.dtype, values);
}

/**
 * Register the kernel for `backendName` (`"cpu"` or `"wasm"`), replacing any registered one. Idempotent.
 *
 * @example
 * ```ts
 * import { registerSegmentSum } from "./segment_sum.ts";
 * registerSegmentSum("cpu");
 * ```
 */
export function registerSegmentSum(backendName: "cpu" | "wasm"): void {
  const existing = tf.getKernel("UnsortedSegmentSum", backendName);
  if (existing?.kernelFunc === kernel) return;
  if (existing) tf.unregisterKernel("UnsortedSegmentSum", backendName);
  tf.registerKernel({ kernelName: "UnsortedSegmentSum", backendName, kernelFunc: kernel as tf.KernelFunc });
}
