/**
 * The safetensors format (https://huggingface.co/docs/safetensors): an 8-byte little-endian header length, a JSON
 * header `{name: {dtype, shape, data_offsets}, "__metadata__": {...}}` padded with spaces to a multiple of 8, then the
 * raw little-endian tensor bytes. Reading turns F32/F16/BF16/F64 into float32 and I32/I64 into int32; writing lays
 * tensors out as the Rust `safetensors` crate (and so HF's `save_pretrained`) does, so a file read and written back
 * is byte-identical.
 *
 * @module
 */
import { writeFileAtomic } from "../fs.ts";

/** One tensor as this project holds it. */
export interface SafeTensor {
  /** Shape, outermost first. */
  shape: number[];
  /** Row-major values (float tensors as float32, integer tensors as int32). */
  data: Float32Array | Int32Array;
}

/** A parsed file: tensors by name and the `__metadata__` strings. */
export interface SafetensorsFile {
  /** Tensors in header order. */
  tensors: Map<string, SafeTensor>;
  /** The `__metadata__` object (HF writes `{format: "pt"}`). */
  metadata: Record<string, string>;
  /** Each tensor's dtype in the file (`F32`, `F16`, `BF16`, ...). */
  dtypes: Map<string, string>;
}

const DTYPE_BYTES: Record<string, number> = { F32: 4, F16: 2, BF16: 2, F64: 8, I32: 4, I64: 8 };
/** Order of the Rust crate's `Dtype` enum, which decides the layout of written files. */
const DTYPE_RANK: Record<string, number> = { F16: 11, BF16: 12, I32: 13, F32: 15, F64: 17, I64: 18 };
const MAX_HEADER = 100_000_000;

/** Options of {@link parseSafetensors}. */
export interface ParseSafetensorsOptions {
  /** File name for error messages. */
  source?: string;
}

/**
 * Parse safetensors bytes. A truncated or corrupt file fails naming the file and what is wrong.
 *
 * @example
 * ```ts
 * import { encodeSafetensors, parseSafetensors } from "./safetensors.ts";
 * const bytes = encodeSafetensors(new Map([["w", { shape: [2], data: new Float32Array([1, 2]) }]]));
 * if (parseSafetensors(bytes).tensors.get("w")!.data[1] !== 2) throw new Error("round trip");
 * ```
 */
export function parseSafetensors(bytes: Uint8Array, options: ParseSafetensorsOptions = {}): SafetensorsFile {
  const source = options.source ?? "safetensors";
  const fail = (what: string): never => {
    throw new Error(`${source}: not a valid safetensors file: ${what}`);
  };
  if (bytes.length < 8) fail(`${bytes.length} bytes, shorter than the 8-byte header length (truncated?)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = Number(view.getBigUint64(0, true));
  if (n > MAX_HEADER) fail(`header length ${n} exceeds ${MAX_HEADER} bytes (corrupt?)`);
  if (8 + n > bytes.length) fail(`header of ${n} bytes but the file has ${bytes.length} bytes (truncated?)`);
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(8, 8 + n)));
  } catch (e) {
    return fail(`header is not valid JSON (${(e as Error).message})`);
  }
  if (header === null || typeof header !== "object" || Array.isArray(header)) fail("header is not a JSON object");
  const dataStart = 8 + n;
  const dataLength = bytes.length - dataStart;
  const tensors = new Map<string, SafeTensor>();
  const dtypes = new Map<string, string>();
  let metadata: Record<string, string> = {};
  const spans: [number, number, string][] = [];
  for (const [name, entry] of Object.entries(header)) {
    if (name === "__metadata__") {
      metadata = entry as Record<string, string>;
      continue;
    }
    const e = entry as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (typeof e?.dtype !== "string" || !(e.dtype in DTYPE_BYTES)) {
      fail(
        `tensor "${name}": unsupported dtype ${JSON.stringify(e?.dtype)} (supported: F32, F16, BF16, F64, I32, I64)`,
      );
    }
    const dtype = e.dtype as string;
    if (!Array.isArray(e.shape) || !e.shape.every((d) => Number.isInteger(d) && d >= 0)) {
      fail(`tensor "${name}": bad shape ${JSON.stringify(e.shape)}`);
    }
    const shape = e.shape as number[];
    const offs = e.data_offsets as number[];
    if (!Array.isArray(offs) || offs.length !== 2 || !offs.every((o) => Number.isInteger(o) && o >= 0)) {
      fail(`tensor "${name}": bad data_offsets ${JSON.stringify(e.data_offsets)}`);
    }
    const [begin, end] = offs;
    const numel = shape.reduce((a, b) => a * b, 1);
    if (end - begin !== numel * DTYPE_BYTES[dtype]) {
      fail(
        `tensor "${name}": data_offsets [${begin}, ${end}] hold ${end - begin} bytes, shape [${shape}] ${dtype} needs ${
          numel * DTYPE_BYTES[dtype]
        }`,
      );
    }
    if (end > dataLength) {
      fail(`tensor "${name}": data ends at byte ${end} but the file holds ${dataLength} data bytes (truncated?)`);
    }
    spans.push([begin, end, name]);
    tensors.set(name, { shape, data: decode(bytes.subarray(dataStart + begin, dataStart + end), dtype) });
    dtypes.set(name, dtype);
  }
  spans.sort((a, b) => a[0] - b[0]);
  let at = 0;
  for (const [begin, end, name] of spans) {
    if (begin !== at) fail(`tensor "${name}" starts at byte ${begin}, expected ${at} (overlapping or gapped data)`);
    at = end;
  }
  if (at !== dataLength) fail(`tensors cover ${at} data bytes but the file holds ${dataLength} (trailing bytes)`);
  return { tensors, metadata, dtypes };
}

/**
 * Read and parse a safetensors file.
 *
 * @example
 * ```ts
 * import { readSafetensors, writeSafetensors } from "./safetensors.ts";
 * const path = await Deno.makeTempFile({ suffix: ".safetensors" });
 * await writeSafetensors(path, new Map([["b", { shape: [1], data: new Float32Array([3]) }]]));
 * if ((await readSafetensors(path)).tensors.get("b")!.data[0] !== 3) throw new Error("round trip");
 * await Deno.remove(path);
 * ```
 */
export async function readSafetensors(path: string): Promise<SafetensorsFile> {
  let file: Deno.FsFile;
  try {
    file = await Deno.open(path, { read: true });
  } catch (e) {
    throw new Error(`${path}: cannot read (${(e as Error).message})`);
  }
  try {
    // Check what the file is before reading it: a device, a FIFO or a file larger than its header says (a symlink to
    // /dev/zero, say) is refused after reading at most its header.
    const info = await file.stat();
    const fail = (what: string): never => {
      throw new Error(`${path}: not a valid safetensors file: ${what}`);
    };
    if (!info.isFile) fail("not a regular file (a device, FIFO or folder, or a link to one)");
    const size = info.size;
    if (size < 8) fail(`${size} bytes, shorter than the 8-byte header length (truncated?)`);
    const lengthBytes = await readExactly(file, 8, path);
    const n = Number(new DataView(lengthBytes.buffer).getBigUint64(0, true));
    if (n > MAX_HEADER) fail(`header length ${n} exceeds ${MAX_HEADER} bytes (corrupt?)`);
    if (8 + n > size) fail(`header of ${n} bytes but the file has ${size} bytes (truncated?)`);
    const headerBytes = await readExactly(file, n, path);
    const dataBytes = dataBytesImplied(headerBytes);
    if (dataBytes === undefined) {
      // Not a JSON object: the parser names what is wrong from the header alone.
      const head = new Uint8Array(8 + n);
      head.set(lengthBytes, 0);
      head.set(headerBytes, 8);
      parseSafetensors(head, { source: path });
      fail("header is not a JSON object");
    }
    const implied = 8 + n + dataBytes!;
    if (implied !== size) {
      fail(
        `its header describes ${implied} bytes in all but the file has ${size} bytes (${
          size > implied ? "trailing bytes" : "truncated?"
        })`,
      );
    }
    const bytes = new Uint8Array(size);
    bytes.set(lengthBytes, 0);
    bytes.set(headerBytes, 8);
    bytes.set(await readExactly(file, size - 8 - n, path), 8 + n);
    return parseSafetensors(bytes, { source: path });
  } finally {
    file.close();
  }
}

/** The data bytes a header describes (the largest `data_offsets` end); undefined when it is not a JSON object. */
function dataBytesImplied(headerBytes: Uint8Array): number | undefined {
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(headerBytes));
  } catch {
    return undefined;
  }
  if (header === null || typeof header !== "object" || Array.isArray(header)) return undefined;
  let end = 0;
  for (const [name, entry] of Object.entries(header)) {
    const offsets = name === "__metadata__" ? undefined : (entry as { data_offsets?: unknown })?.data_offsets;
    if (Array.isArray(offsets) && Number.isSafeInteger(offsets[1])) end = Math.max(end, offsets[1]);
  }
  return end;
}

/** Exactly `n` bytes from the file's current position (fails naming the file when it ends sooner). */
async function readExactly(file: Deno.FsFile, n: number, path: string): Promise<Uint8Array<ArrayBuffer>> {
  const out = new Uint8Array(n);
  let at = 0;
  while (at < n) {
    const got = await file.read(out.subarray(at));
    if (got === null) throw new Error(`${path}: not a valid safetensors file: ended after ${at} of ${n} bytes`);
    at += got;
  }
  return out;
}

/** Options of {@link encodeSafetensors} and {@link writeSafetensors}. */
export interface EncodeSafetensorsOptions {
  /** `__metadata__`; default `{format: "pt"}` as HF writes. */
  metadata?: Record<string, string>;
}

/**
 * Encode tensors (float32 as F32, int32 as I32) in the Rust crate's layout: dtype rank descending then name, header
 * padded with spaces to a multiple of 8.
 *
 * @example
 * ```ts
 * import { encodeSafetensors } from "./safetensors.ts";
 * const bytes = encodeSafetensors(new Map([["x", { shape: [1], data: new Int32Array([7]) }]]));
 * if (bytes.length % 4 !== 0) throw new Error("aligned");
 * ```
 */
export function encodeSafetensors(
  tensors: Map<string, SafeTensor>,
  options: EncodeSafetensorsOptions = {},
): Uint8Array {
  const entries = [...tensors.entries()].map(([name, t]) => {
    const dtype = t.data instanceof Float32Array ? "F32" : "I32";
    const numel = t.shape.reduce((a, b) => a * b, 1);
    if (numel !== t.data.length) {
      throw new Error(`encodeSafetensors: tensor "${name}" has shape [${t.shape}] but ${t.data.length} values`);
    }
    return { name, dtype, t };
  });
  entries.sort((a, b) => DTYPE_RANK[b.dtype] - DTYPE_RANK[a.dtype] || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const header: Record<string, unknown> = { __metadata__: options.metadata ?? { format: "pt" } };
  let offset = 0;
  for (const { name, dtype, t } of entries) {
    header[name] = { dtype, shape: t.shape, data_offsets: [offset, offset + t.data.byteLength] };
    offset += t.data.byteLength;
  }
  let json = JSON.stringify(header);
  json += " ".repeat((8 - (new TextEncoder().encode(json).length % 8)) % 8);
  const headerBytes = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + headerBytes.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  let at = 8 + headerBytes.length;
  for (const { t } of entries) {
    // Little-endian hosts only (every platform Deno runs on).
    out.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), at);
    at += t.data.byteLength;
  }
  return out;
}

/**
 * Write tensors to `path` (to a temporary name beside it, then renamed).
 *
 * @example
 * ```ts
 * import { writeSafetensors } from "./safetensors.ts";
 * const path = await Deno.makeTempFile();
 * await writeSafetensors(path, new Map([["w", { shape: [2, 1], data: new Float32Array([1, 2]) }]]));
 * await Deno.remove(path);
 * ```
 */
export async function writeSafetensors(
  path: string,
  tensors: Map<string, SafeTensor>,
  options: EncodeSafetensorsOptions = {},
): Promise<void> {
  await writeFileAtomic(path, encodeSafetensors(tensors, options));
}

function decode(raw: Uint8Array, dtype: string): Float32Array | Int32Array {
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const n = raw.byteLength / DTYPE_BYTES[dtype];
  switch (dtype) {
    case "F32": {
      const out = new Float32Array(n);
      new Uint8Array(out.buffer).set(raw);
      return out;
    }
    case "I32": {
      const out = new Int32Array(n);
      new Uint8Array(out.buffer).set(raw);
      return out;
    }
    case "F64": {
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) out[i] = view.getFloat64(i * 8, true);
      return out;
    }
    case "I64": {
      const out = new Int32Array(n);
      for (let i = 0; i < n; i++) {
        const v = view.getBigInt64(i * 8, true);
        if (v > 2147483647n || v < -2147483648n) throw new Error(`I64 value ${v} does not fit in int32`);
        out[i] = Number(v);
      }
      return out;
    }
    case "BF16": {
      const bits = new Uint32Array(n);
      for (let i = 0; i < n; i++) bits[i] = view.getUint16(i * 2, true) << 16;
      return new Float32Array(bits.buffer);
    }
    default: { // F16
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) out[i] = halfToFloat(view.getUint16(i * 2, true));
      return out;
    }
  }
}

function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}
