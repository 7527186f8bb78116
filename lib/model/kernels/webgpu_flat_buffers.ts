/**
 * Many tensors in a few flat GPU buffers, for the optimizer's multi-tensor kernels (`webgpu_grad_norm.ts`,
 * `webgpu_adamw_flat_kernel.ts`): the layout ({@link FlatLayout}: where each named tensor lies in one flat index space, cut
 * into chunks no larger than a storage-buffer binding) and the copies between tfjs tensors and those chunks, encoded
 * into tfjs-backend-webgpu's own command encoder (`copyBufferToBuffer` and `clearBuffer` are commands, not
 * dispatches), in queue order with the backend's dispatches.
 *
 * The copies use tfjs-backend-webgpu 4.22's internals ({@link WebGPUBackendInternals}): the tensor's `GPUBuffer`
 * (`tensorMap.get(dataId).resource`), the open command encoder, and `commandQueueOwnedIds`, which defers releasing a
 * buffer the unsubmitted encoder still reads (a released buffer may be rewritten by `queue.writeBuffer` before the
 * encoder runs, as `recordAndSubmit` guards against for its own inputs).
 *
 * @module
 */
import { tf } from "../../deps.ts";

/** One named tensor in the flat index space (elements; offsets are multiples of 4 so `vec4` never straddles two). */
export interface FlatSegment {
  /** The tensor's name. */
  name: string;
  /** First flat index. */
  offset: number;
  /** Elements. */
  length: number;
}

/** A run of the flat index space held by one buffer. */
export interface FlatChunk {
  /** First flat index. */
  start: number;
  /** Elements (a multiple of 4). */
  length: number;
}

/** The part of a segment inside one chunk. */
export interface FlatPiece {
  /** Index of the chunk. */
  chunk: number;
  /** Element offset inside the chunk. */
  chunkOffset: number;
  /** Element offset inside the tensor. */
  tensorOffset: number;
  /** Elements. */
  length: number;
}

/** A tensor of {@link FlatLayout}: its name, element count and whether it is in the first (weight-decayed) group. */
export interface FlatTensorSpec {
  /** Name. */
  name: string;
  /** Elements. */
  size: number;
  /** True for the first group (laid out before every tensor of the second). */
  decay: boolean;
}

/**
 * Where each tensor lies in one flat index space: the first group (`decay: true`) first, then the second, each in the
 * given order, every tensor starting at a multiple of 4 (the gaps stay zero), cut into chunks of at most
 * `chunkCapacity` elements (a tensor may span several).
 *
 * @example
 * ```ts
 * import { FlatLayout } from "./webgpu_flat_buffers.ts";
 * const layout = new FlatLayout([
 *   { name: "b", size: 3, decay: false },
 *   { name: "w", size: 10, decay: true },
 * ], 8);
 * if (layout.segment("w").offset !== 0 || layout.segment("b").offset !== 12) throw new Error("decayed group first");
 * if (layout.decayEnd !== 12 || layout.total !== 16) throw new Error("4-aligned");
 * if (layout.chunks.length !== 2 || layout.pieces("w").length !== 2) throw new Error("w spans both chunks");
 * ```
 */
export class FlatLayout {
  /** Tensors in flat order. */
  readonly segments: FlatSegment[];
  /** First flat index of the second group (the end of the decayed one). */
  readonly decayEnd: number;
  /** Elements in all (a multiple of 4). */
  readonly total: number;
  /** The chunks, in order, covering `[0, total)`. */
  readonly chunks: FlatChunk[];
  #byName = new Map<string, FlatSegment>();

  /** Lay out `tensors`; `chunkCapacity` (a multiple of 4, ≥ 4) bounds a chunk's elements. */
  constructor(tensors: FlatTensorSpec[], chunkCapacity: number) {
    if (!Number.isInteger(chunkCapacity) || chunkCapacity < 4 || chunkCapacity % 4 !== 0) {
      throw new Error(`FlatLayout: chunkCapacity must be a positive multiple of 4, got ${chunkCapacity}`);
    }
    this.segments = [];
    let offset = 0;
    let decayEnd = 0;
    for (const group of [true, false]) {
      for (const { name, size, decay } of tensors) {
        if (decay !== group) continue;
        if (!Number.isInteger(size) || size < 0) throw new Error(`FlatLayout: "${name}" has size ${size}`);
        if (this.#byName.has(name)) throw new Error(`FlatLayout: "${name}" appears twice`);
        const segment = { name, offset, length: size };
        this.segments.push(segment);
        this.#byName.set(name, segment);
        offset += Math.ceil(size / 4) * 4;
      }
      if (group) decayEnd = offset;
    }
    this.decayEnd = decayEnd;
    this.total = offset;
    this.chunks = [];
    for (let start = 0; start < offset; start += chunkCapacity) {
      this.chunks.push({ start, length: Math.min(chunkCapacity, offset - start) });
    }
  }

  /** The segment of `name`; throws naming it when absent. */
  segment(name: string): FlatSegment {
    const s = this.#byName.get(name);
    if (!s) throw new Error(`FlatLayout: no tensor "${name}"`);
    return s;
  }

  /** The pieces of `name`'s segment, chunk by chunk. */
  pieces(name: string): FlatPiece[] {
    const { offset, length } = this.segment(name);
    const out: FlatPiece[] = [];
    this.chunks.forEach((c, chunk) => {
      const from = Math.max(offset, c.start), to = Math.min(offset + length, c.start + c.length);
      if (from < to) out.push({ chunk, chunkOffset: from - c.start, tensorOffset: from - offset, length: to - from });
    });
    return out;
  }
}

/** The parts of tfjs-backend-webgpu 4.22's backend the flat buffers use (see the module docs). */
export interface WebGPUBackendInternals {
  /** The device tfjs created. */
  device: GPUDevice;
  /** Backend data by data id; `resource` is the tensor's buffer once on the GPU. */
  tensorMap: { get(dataId: object): { resource?: unknown } | undefined };
  /** Data ids the unsubmitted command encoder uses (their release waits for the submit). */
  commandQueueOwnedIds: WeakSet<object>;
  /** The open command encoder, if any. */
  commandEncoder: GPUCommandEncoder | null;
  /** Open a command encoder unless one is open. */
  ensureCommandEncoderReady(): void;
  /** End the open compute pass, if any. */
  endComputePassEncoder(): void;
  /** Give a tensor a GPU buffer (uploading CPU values, if any). */
  uploadToGPU(dataId: object): void;
  /** A new tensor's data id (no buffer yet). */
  makeTensorInfo(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  /** Compile (cached) and dispatch a program into `output` (a fresh tensor when absent). */
  runWebGPUProgram(
    program: object,
    inputs: tf.TensorInfo[],
    dtype: string,
    uniforms?: { type: string; data: number[] }[],
    output?: tf.TensorInfo,
  ): tf.TensorInfo;
}

/**
 * The active tfjs backend as {@link WebGPUBackendInternals}; `caller` names the function in the error when the
 * active backend is not webgpu.
 *
 * @example
 * ```ts
 * import { tf } from "../../deps.ts";
 * import { webgpuInternals } from "./webgpu_flat_buffers.ts";
 * if (tf.getBackend() === "webgpu") webgpuInternals("example").ensureCommandEncoderReady();
 * ```
 */
export function webgpuInternals(caller: string): WebGPUBackendInternals {
  const name = tf.getBackend();
  if (name !== "webgpu") throw new Error(`${caller}: needs the webgpu backend, the active one is ${name}`);
  return tf.backend() as unknown as WebGPUBackendInternals;
}

/**
 * The `GPUBuffer` of a float32 tensor of the webgpu backend (uploaded first when it holds CPU values), marked as
 * used by the open command encoder. The mark lasts until that encoder is submitted, which any dispatch may do: fetch
 * the buffer again for a copy encoded after a dispatch when the tensor may be disposed before the next submit.
 *
 * @example
 * ```ts
 * import { tf } from "../../deps.ts";
 * import { tensorBuffer, webgpuInternals } from "./webgpu_flat_buffers.ts";
 * if (tf.getBackend() === "webgpu") {
 *   const t = tf.ones([4]);
 *   if (tensorBuffer(webgpuInternals("example"), t, "t").size < 16) throw new Error("4 floats");
 *   t.dispose();
 * }
 * ```
 */
export function tensorBuffer(backend: WebGPUBackendInternals, t: tf.TensorInfo, what: string): GPUBuffer {
  if (t.dtype !== "float32") throw new Error(`${what}: dtype ${t.dtype}, expected float32`);
  const data = backend.tensorMap.get(t.dataId);
  if (!data) throw new Error(`${what}: the tensor is not on the webgpu backend (made under another backend?)`);
  backend.uploadToGPU(t.dataId);
  const buffer = data.resource;
  if (!(buffer instanceof GPUBuffer)) throw new Error(`${what}: the tensor's data is not a GPUBuffer`);
  backend.commandQueueOwnedIds.add(t.dataId);
  return buffer;
}

/**
 * Encode a copy of `elements` float32 values from `src` (at element `srcOffset`) to `dst` (at `dstOffset`) into the
 * backend's command encoder, after everything encoded so far.
 *
 * @example
 * ```ts
 * import { tf } from "../../deps.ts";
 * import { encodeCopy, tensorBuffer, webgpuInternals } from "./webgpu_flat_buffers.ts";
 * if (tf.getBackend() === "webgpu") {
 *   const b = webgpuInternals("example"), src = tf.tensor([1, 2, 3]), dst = tf.zeros([3]);
 *   encodeCopy(b, tensorBuffer(b, src, "src"), 1, tensorBuffer(b, dst, "dst"), 0, 2);
 *   if (dst.dataSync()[1] !== 3) throw new Error("copied [2, 3]");
 *   tf.dispose([src, dst]);
 * }
 * ```
 */
export function encodeCopy(
  backend: WebGPUBackendInternals,
  src: GPUBuffer,
  srcOffset: number,
  dst: GPUBuffer,
  dstOffset: number,
  elements: number,
): void {
  if (elements <= 0) return;
  backend.ensureCommandEncoderReady();
  backend.endComputePassEncoder();
  backend.commandEncoder!.copyBufferToBuffer(src, 4 * srcOffset, dst, 4 * dstOffset, 4 * elements);
}

/**
 * Encode zeroing `elements` float32 values of `buffer` from element `offset`.
 *
 * @example
 * ```ts
 * import { tf } from "../../deps.ts";
 * import { encodeClear, tensorBuffer, webgpuInternals } from "./webgpu_flat_buffers.ts";
 * if (tf.getBackend() === "webgpu") {
 *   const b = webgpuInternals("example"), t = tf.ones([4]);
 *   encodeClear(b, tensorBuffer(b, t, "t"), 0, 4);
 *   if (t.dataSync()[3] !== 0) throw new Error("cleared");
 *   t.dispose();
 * }
 * ```
 */
export function encodeClear(
  backend: WebGPUBackendInternals,
  buffer: GPUBuffer,
  offset: number,
  elements: number,
): void {
  if (elements <= 0) return;
  backend.ensureCommandEncoderReady();
  backend.endComputePassEncoder();
  backend.commandEncoder!.clearBuffer(buffer, 4 * offset, 4 * elements);
}

/**
 * A new float32 tensor of `shape` on the webgpu backend with a GPU buffer of undefined contents, for a copy to fill
 * (tracked by the engine like any op's output).
 *
 * @example
 * ```ts
 * import { tf } from "../../deps.ts";
 * import { emptyTensor, webgpuInternals } from "./webgpu_flat_buffers.ts";
 * if (tf.getBackend() === "webgpu") emptyTensor(webgpuInternals("example"), [2, 3]).dispose();
 * ```
 */
export function emptyTensor(backend: WebGPUBackendInternals, shape: number[]): tf.Tensor {
  const info = backend.makeTensorInfo(shape, "float32");
  backend.uploadToGPU(info.dataId);
  return tf.engine().makeTensorFromTensorInfo(info);
}
