/**
 * The fixed evaluation set: the course's `insert_random_mask` mapped once over the eval chunks, so every evaluation
 * (and every run with the same seed) scores the same masked inputs. {@link maskOnce} masks, {@link batchFixed} forms
 * batches without further randomness, {@link saveMasked} / {@link loadMasked} keep the set in a small binary file.
 *
 * File format (little-endian): `MLMMASK1`, u32 example count, u32 token total, u32 length per example, then every
 * example's `input_ids` (i32), `attention_mask` (u8) and `labels` (i32) back to back, then a CRC-32 of all before it.
 *
 * @module
 */
import { crc32 } from "./crc32.ts";
import { IGNORE_INDEX, type MlmBatch } from "../data/types.ts";
import type { Collator } from "./mlm.ts";
import type { CollatorInput } from "./pad.ts";
import { writeFileAtomic } from "../fs.ts";

/** One masked example, unpadded. */
export interface MaskedExample {
  /** Token ids after masking. */
  input_ids: Int32Array;
  /** 1 for real tokens. */
  attention_mask: Int32Array;
  /** Original id where the loss is taken, -100 elsewhere. */
  labels: Int32Array;
}

/** Options of {@link maskOnce}. */
export interface MaskOnceOptions {
  /** Examples per collator call (default 1000, `datasets.map(batched=True)`'s batch size). */
  batchSize?: number;
}

/** Options of {@link batchFixed}. */
export interface BatchFixedOptions {
  /** Pad id for batches whose examples differ in length (equal-size chunks need none). */
  padTokenId?: number;
}

const MAGIC = "MLMMASK1";

/**
 * Mask `examples` once with `collator`, `batchSize` examples per call, and return them unpadded (each keeps its own
 * length). A collator made from the same seed gives the same set.
 *
 * @example
 * ```ts
 * import { createMlmCollator } from "./mlm.ts";
 * import { maskOnce } from "./mask_once.ts";
 * const chunks = [{ input_ids: [101, 2023, 3185, 102] }, { input_ids: [101, 2307, 2143, 102] }];
 * const make = () => createMlmCollator({ maskTokenId: 103, vocabSize: 30522, specialIds: [0, 101, 102, 103], padTokenId: 0, seed: 3 });
 * const a = maskOnce(chunks, make(), { batchSize: 1 });
 * const b = maskOnce(chunks, make(), { batchSize: 1 });
 * if (a.length !== 2 || a[1].labels.join() !== b[1].labels.join()) throw new Error("same seed, same set");
 * ```
 */
export function maskOnce(
  examples: readonly CollatorInput[],
  collator: Collator,
  options: MaskOnceOptions = {},
): MaskedExample[] {
  const { batchSize = 1000 } = options;
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new Error(`maskOnce: batchSize must be a positive integer, got ${batchSize}`);
  }
  if (typeof collator !== "function") {
    throw new Error("maskOnce: collator must be a function made by a create*Collator");
  }
  const out: MaskedExample[] = [];
  for (let start = 0; start < examples.length; start += batchSize) {
    const part = examples.slice(start, start + batchSize);
    const batch = collator(part);
    const seq = batch.shape[1];
    part.forEach((example, i) => {
      const from = i * seq, to = from + example.input_ids.length;
      out.push({
        input_ids: batch.input_ids.slice(from, to),
        attention_mask: batch.attention_mask.slice(from, to),
        labels: batch.labels.slice(from, to),
      });
    });
  }
  return out;
}

/**
 * Batches of `batchSize` (the last may be smaller) from a masked set, in order, with no randomness: the same set gives
 * the same batches every time. Examples of unequal length are right-padded (pad id, attention 0, label -100), which
 * needs `padTokenId`.
 *
 * @example
 * ```ts
 * import { batchFixed, type MaskedExample } from "./mask_once.ts";
 * const ex = (id: number): MaskedExample => ({
 *   input_ids: Int32Array.of(101, id, 102),
 *   attention_mask: Int32Array.of(1, 1, 1),
 *   labels: Int32Array.of(-100, 7, -100),
 * });
 * const batches = batchFixed([ex(103), ex(5), ex(103)], 2);
 * if (batches.length !== 2 || batches[1].shape.join() !== "1,3") throw new Error("unexpected");
 * ```
 */
export function batchFixed(
  masked: readonly MaskedExample[],
  batchSize: number,
  options: BatchFixedOptions = {},
): MlmBatch[] {
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new Error(`batchFixed: batchSize must be a positive integer, got ${batchSize}`);
  }
  const { padTokenId } = options;
  const batches: MlmBatch[] = [];
  for (let start = 0; start < masked.length; start += batchSize) {
    const part = masked.slice(start, start + batchSize);
    let seq = 0;
    part.forEach((example, i) => {
      checkMasked(example, `batchFixed: example ${start + i}`);
      seq = Math.max(seq, example.input_ids.length);
    });
    const uneven = part.find((example) => example.input_ids.length !== seq);
    if (uneven && padTokenId === undefined) {
      throw new Error(
        `batchFixed: examples ${start}..${
          start + part.length - 1
        } differ in length (${uneven.input_ids.length} vs ${seq}); pass padTokenId to pad them`,
      );
    }
    const input_ids = new Int32Array(part.length * seq).fill(padTokenId ?? 0);
    const attention_mask = new Int32Array(part.length * seq);
    const labels = new Int32Array(part.length * seq).fill(IGNORE_INDEX);
    part.forEach((example, i) => {
      input_ids.set(example.input_ids, i * seq);
      attention_mask.set(example.attention_mask, i * seq);
      labels.set(example.labels, i * seq);
    });
    batches.push({ input_ids, attention_mask, labels, shape: [part.length, seq] });
  }
  return batches;
}

/**
 * Write a masked set to `path` (a temporary file in the same folder, then renamed).
 *
 * @example
 * ```ts
 * import { loadMasked, saveMasked } from "./mask_once.ts";
 * const path = await Deno.makeTempFile({ suffix: ".mask" });
 * const set = [{ input_ids: Int32Array.of(101, 103, 102), attention_mask: Int32Array.of(1, 1, 1), labels: Int32Array.of(-100, 2307, -100) }];
 * await saveMasked(path, set);
 * const back = await loadMasked(path);
 * if (back[0].labels.join() !== "-100,2307,-100") throw new Error("round trip");
 * ```
 */
export async function saveMasked(path: string, set: readonly MaskedExample[]): Promise<void> {
  let total = 0;
  set.forEach((example, i) => {
    checkMasked(example, `saveMasked: example ${i}`);
    total += example.input_ids.length;
  });
  const size = 16 + 4 * set.length + 9 * total + 4;
  if (set.length > 0xffffffff || total > 0xffffffff) throw new Error(`saveMasked: set too large (${total} tokens)`);
  const bytes = new Uint8Array(size);
  const view = new DataView(bytes.buffer);
  bytes.set(new TextEncoder().encode(MAGIC), 0);
  view.setUint32(8, set.length, true);
  view.setUint32(12, total, true);
  let off = 16;
  for (const example of set) {
    view.setUint32(off, example.input_ids.length, true);
    off += 4;
  }
  for (const example of set) {
    for (const id of example.input_ids) {
      view.setInt32(off, id, true);
      off += 4;
    }
  }
  for (const example of set) {
    bytes.set(example.attention_mask, off);
    off += example.attention_mask.length;
  }
  for (const example of set) {
    for (const label of example.labels) {
      view.setInt32(off, label, true);
      off += 4;
    }
  }
  view.setUint32(off, crc32(bytes.subarray(0, off)), true);

  await writeFileAtomic(path, bytes).catch((e) => {
    throw new Error(`saveMasked: cannot write ${path} (${(e as Error).message})`);
  });
}

/**
 * Read a masked set written by {@link saveMasked}. A file that is not one, is truncated or corrupt fails naming it.
 *
 * @example
 * ```ts
 * import { loadMasked } from "./mask_once.ts";
 * const path = await Deno.makeTempFile({ suffix: ".mask" });
 * await Deno.writeTextFile(path, "not a masked set");
 * let message = "";
 * await loadMasked(path).catch((e) => (message = e.message));
 * if (!message.includes(path)) throw new Error("the error names the file");
 * ```
 */
export async function loadMasked(path: string): Promise<MaskedExample[]> {
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(path);
  } catch (e) {
    throw new Error(`${path}: cannot read masked eval set (${(e as Error).message})`);
  }
  if (bytes.length < 8 || new TextDecoder().decode(bytes.subarray(0, 8)) !== MAGIC) {
    throw new Error(`${path}: not a masked eval set (expected the ${MAGIC} header written by saveMasked)`);
  }
  if (bytes.length < 20) throw new Error(`${path}: truncated masked eval set (${bytes.length} bytes)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const count = view.getUint32(8, true);
  const total = view.getUint32(12, true);
  const size = 16 + 4 * count + 9 * total + 4;
  if (bytes.length !== size) {
    throw new Error(
      `${path}: ${
        bytes.length < size ? "truncated" : "corrupt"
      } masked eval set: header says ${count} examples and ${total} tokens (${size} bytes), file has ${bytes.length} bytes`,
    );
  }
  const stored = view.getUint32(size - 4, true);
  if (crc32(bytes.subarray(0, size - 4)) !== stored) {
    throw new Error(`${path}: corrupt masked eval set (CRC-32 mismatch)`);
  }
  const lengths: number[] = [];
  let off = 16, sum = 0;
  for (let i = 0; i < count; i++, off += 4) sum += lengths[i] = view.getUint32(off, true);
  if (sum !== total) throw new Error(`${path}: corrupt masked eval set (lengths sum to ${sum}, header says ${total})`);
  const ids = new Int32Array(total), mask = new Int32Array(total), labels = new Int32Array(total);
  for (let i = 0; i < total; i++, off += 4) ids[i] = view.getInt32(off, true);
  for (let i = 0; i < total; i++) mask[i] = bytes[off++];
  for (let i = 0; i < total; i++, off += 4) labels[i] = view.getInt32(off, true);
  const set: MaskedExample[] = [];
  let start = 0;
  for (const length of lengths) {
    const end = start + length;
    set.push({
      input_ids: ids.slice(start, end),
      attention_mask: mask.slice(start, end),
      labels: labels.slice(start, end),
    });
    start = end;
  }
  return set;
}

function checkMasked(example: MaskedExample, where: string): void {
  if (example === null || typeof example !== "object") throw new Error(`${where}: expected a masked example object`);
  for (const field of ["input_ids", "attention_mask", "labels"] as const) {
    const values = example[field];
    if (values === undefined || values === null || typeof values.length !== "number") {
      throw new Error(`${where}: missing ${field}`);
    }
    if (values.length !== example.input_ids?.length) {
      throw new Error(`${where}: ${field} has ${values.length} entries, input_ids has ${example.input_ids.length}`);
    }
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      const ok = field === "attention_mask" ? v === 0 || v === 1 : Number.isInteger(v) &&
        (field === "labels" ? v === IGNORE_INDEX || (v >= 0 && v < 2 ** 31) : v >= 0 && v < 2 ** 31);
      if (!ok) throw new Error(`${where}: ${field}[${i}] = ${v} is not a valid ${field} value`);
    }
  }
}
