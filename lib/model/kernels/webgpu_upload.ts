/**
 * Uploads of CPU-held tensors through `GPUQueue.writeBuffer` for tfjs-backend-webgpu 4.22.
 *
 * The backend's own `uploadToGPU` copies every tensor that holds CPU values (inputs, `ones` made by the gradients of
 * `sum`/`mean`, constants) through a buffer created with `mappedAtCreation` and a `MAP_WRITE` staging buffer. On the
 * H100 machine (Deno 2.9.6, Vulkan) `getMappedRange` of such a buffer takes ~2 s per 50 MB, against ~20 ms for
 * `queue.writeBuffer`, and a DistilBERT-base training step spends ~90 % of its time there (`../shared/gpu/README.md`).
 *
 * {@link installWriteBufferUpload} replaces `WebGPUBackend.prototype.uploadToGPU` with a copy of 4.22's method that
 * differs only in the copy: the storage buffer is taken from the backend's pool unmapped, with the same usage
 * (`STORAGE | COPY_SRC | COPY_DST`), and the values are written with `queue.writeBuffer`; afterwards the CPU copy is
 * dropped, as before. Ordering is the same as the original's: a pooled buffer is never referenced by the unsubmitted
 * command encoder (the backend defers releasing buffers it has recorded until it submits), and `writeBuffer` is
 * ordered after every earlier submission on the queue and before the encoder that will read the tensor.
 *
 * @module
 */

/** The parts of tfjs-backend-webgpu's `TensorData` this override reads and writes. */
interface TensorData {
  dtype: string;
  shape: number[];
  values: ArrayLike<number> | null | undefined;
  resource: unknown;
}

/** The parts of `WebGPUBackend` the override uses. */
interface WebGPUBackendLike {
  queue: GPUQueue;
  tensorMap: { get(dataId: object): TensorData };
  bufferManager: {
    acquireBuffer(size: number, usage: number, mappedAtCreation?: boolean, reuse?: boolean): GPUBuffer;
  };
}

/** The exports of `npm:@tensorflow/tfjs-backend-webgpu@4.22.0` this module needs. */
export interface WebgpuBackendModule {
  /** The backend class whose prototype carries `uploadToGPU`. */
  // deno-lint-ignore no-explicit-any
  WebGPUBackend: { prototype: any };
}

type UploadFn = (this: WebGPUBackendLike, dataId: object) => void;

const originals = new WeakMap<object, UploadFn>();

/**
 * 4.22's `uploadToGPU`, with `queue.writeBuffer` in place of the mapped staging buffers. Tensors of other dtypes
 * than float32/int32/bool (which the GPU stores as 4-byte words) go to the original method.
 */
function uploadWithWriteBuffer(this: WebGPUBackendLike, dataId: object): void {
  const tensorData = this.tensorMap.get(dataId);
  if (tensorData.resource != null) return; // already on the GPU
  const { dtype } = tensorData;
  if (dtype !== "float32" && dtype !== "int32" && dtype !== "bool") {
    const original = originals.get(Object.getPrototypeOf(this));
    if (!original) throw new Error(`uploadToGPU: no original method to upload dtype ${dtype}`);
    return original.call(this, dataId);
  }
  const length = tensorData.shape.reduce((a, b) => a * b, 1);
  const size = 4 * length; // GPUBytesPerElement: 4 for float32, int32 and bool
  const usage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;
  const buffer = this.bufferManager.acquireBuffer(size, usage, false);
  const values = tensorData.values;
  if (values) {
    const words = asWords(values, dtype === "float32" ? "float32" : "int32", length);
    if (size > 0) this.queue.writeBuffer(buffer, 0, words.buffer as ArrayBuffer, words.byteOffset, size);
    tensorData.values = null; // once uploaded, the values are not kept on the CPU (as 4.22 does)
  }
  tensorData.resource = buffer;
}

/**
 * `values` as exactly `length` 4-byte words of `kind`: the array itself when it already is one, else a converted
 * copy (bool tensors hold a `Uint8Array`; a short array is zero-padded, as the original's `set` into a fresh mapping).
 *
 * @example
 * ```ts
 * import { asWords } from "./webgpu_upload.ts";
 * const w = asWords(new Uint8Array([1, 0, 1]), "int32", 3);
 * if (!(w instanceof Int32Array) || w[2] !== 1) throw new Error("bool becomes int32");
 * const f = new Float32Array([1, 2]);
 * if (asWords(f, "float32", 2) !== f) throw new Error("no copy when already float32");
 * ```
 */
export function asWords(
  values: ArrayLike<number>,
  kind: "float32" | "int32",
  length: number,
): Float32Array | Int32Array {
  if (values.length > length) {
    throw new Error(`uploadToGPU: ${values.length} values for a tensor of ${length} elements`);
  }
  const Ctor = kind === "float32" ? Float32Array : Int32Array;
  if (values instanceof Ctor && values.length === length) return values;
  const out = new Ctor(length);
  out.set(values);
  return out;
}

/**
 * Make tfjs-backend-webgpu upload CPU-held tensors with `queue.writeBuffer` (see the module docs). Idempotent;
 * returns true when it changed the method now. Pass the module `importTfWebgpu()` resolves to.
 *
 * @example
 * ```ts
 * import { installWriteBufferUpload, uninstallWriteBufferUpload, writeBufferUploadInstalled } from "./webgpu_upload.ts";
 * class WebGPUBackend {
 *   uploadToGPU(_dataId: object): void {}
 * }
 * const mod = { WebGPUBackend };
 * installWriteBufferUpload(mod);
 * if (!writeBufferUploadInstalled(mod)) throw new Error("installed");
 * uninstallWriteBufferUpload(mod);
 * if (writeBufferUploadInstalled(mod)) throw new Error("restored");
 * ```
 */
export function installWriteBufferUpload(mod: WebgpuBackendModule): boolean {
  const proto = mod.WebGPUBackend.prototype;
  if (proto.uploadToGPU === uploadWithWriteBuffer) return false;
  if (typeof proto.uploadToGPU !== "function") {
    throw new Error("installWriteBufferUpload: WebGPUBackend.prototype.uploadToGPU is missing (expected tfjs 4.22)");
  }
  originals.set(proto, proto.uploadToGPU);
  proto.uploadToGPU = uploadWithWriteBuffer;
  return true;
}

/**
 * Put tfjs-backend-webgpu's own (mapped staging buffer) upload back. Returns true when it changed the method now.
 *
 * @example
 * ```ts
 * import { uninstallWriteBufferUpload } from "./webgpu_upload.ts";
 * class WebGPUBackend {
 *   uploadToGPU(_dataId: object): void {}
 * }
 * if (uninstallWriteBufferUpload({ WebGPUBackend })) throw new Error("nothing was installed");
 * ```
 */
export function uninstallWriteBufferUpload(mod: WebgpuBackendModule): boolean {
  const proto = mod.WebGPUBackend.prototype;
  const original = originals.get(proto);
  if (!original || proto.uploadToGPU !== uploadWithWriteBuffer) return false;
  proto.uploadToGPU = original;
  return true;
}

/**
 * Whether {@link installWriteBufferUpload} is in effect for `mod`.
 *
 * @example
 * ```ts
 * import { writeBufferUploadInstalled } from "./webgpu_upload.ts";
 * class WebGPUBackend {
 *   uploadToGPU(_dataId: object): void {}
 * }
 * if (writeBufferUploadInstalled({ WebGPUBackend })) throw new Error("not installed");
 * ```
 */
export function writeBufferUploadInstalled(mod: WebgpuBackendModule): boolean {
  return mod.WebGPUBackend.prototype.uploadToGPU === uploadWithWriteBuffer;
}
