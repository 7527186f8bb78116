/**
 * Right-padding of a list of examples into row-major `[batch, seq]` int32 arrays, as `tokenizer.pad` does for the
 * Hugging Face collators: `input_ids` padded with the pad id, `attention_mask` with 0, the length rounded up to a
 * multiple when asked. Every collator in this directory starts here, so input checking lives here too.
 *
 * @module
 */

/** One example a collator accepts: a `Chunk`, an `Encoding`, or anything with `input_ids`. */
export interface CollatorInput {
  /** Token ids (special tokens included). */
  input_ids: ArrayLike<number>;
  /** 1 for real tokens, 0 for padding; all 1 when absent. */
  attention_mask?: ArrayLike<number>;
  /** Word index of each token, `null` for special tokens (needed by whole-word masking only). */
  word_ids?: ArrayLike<number | null>;
  /** Ignored by the random-token collator (it rebuilds labels from `input_ids`, as HF does with `mlm=True`). */
  labels?: ArrayLike<number>;
  /** 1 where a token may never be masked (HF `return_special_tokens_mask=True`); overrides the special-id rule. */
  special_tokens_mask?: ArrayLike<number>;
}

/** Options of {@link padBatch}. */
export interface PadOptions {
  /** Id written into padded positions of `input_ids`. */
  padTokenId: number;
  /** Round the padded length up to a multiple of this (HF `pad_to_multiple_of`). */
  padToMultipleOf?: number;
  /** When given, every id must be below it (checked with the rest of the input). */
  vocabSize?: number;
}

/** The result of {@link padBatch}. */
export interface PaddedBatch {
  /** `[batch, seq]` ids, padded with the pad id. */
  input_ids: Int32Array;
  /** `[batch, seq]`, the example's mask (or 1) on real positions, 0 on padding. */
  attention_mask: Int32Array;
  /** Unpadded length of each example. */
  lengths: number[];
  /** `[batch, seq]`. */
  shape: [number, number];
}

/**
 * Check one example's fields (ids are non-negative integers, parallel fields have the ids' length) and throw an error
 * naming the example, the field and the position otherwise. `vocabSize`, when given, bounds the ids.
 *
 * @example
 * ```ts
 * import { checkExample } from "./pad.ts";
 * checkExample({ input_ids: [101, 7592, 102] }, 0, 30522); // fine
 * let failed = false;
 * try {
 *   checkExample({ input_ids: [101, -1] }, 4);
 * } catch (e) {
 *   failed = (e as Error).message.includes("example 4: input_ids[1]");
 * }
 * if (!failed) throw new Error("expected a clear error");
 * ```
 */
export function checkExample(example: CollatorInput, index: number, vocabSize?: number): void {
  const where = `example ${index}`;
  if (example === null || typeof example !== "object") {
    throw new Error(`${where}: expected an object with input_ids, got ${example === null ? "null" : typeof example}`);
  }
  const ids = example.input_ids;
  if (ids === undefined || ids === null || typeof ids.length !== "number") {
    throw new Error(`${where}: missing input_ids (expected an array of token ids)`);
  }
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i];
    if (!Number.isInteger(id) || id < 0) {
      throw new Error(`${where}: input_ids[${i}] = ${id}, expected a non-negative integer token id`);
    }
    if (vocabSize !== undefined && id >= vocabSize) {
      throw new Error(`${where}: input_ids[${i}] = ${id} is outside the vocabulary (vocabSize ${vocabSize})`);
    }
  }
  for (const field of ["attention_mask", "special_tokens_mask"] as const) {
    const values = example[field];
    if (values === undefined || values === null) continue;
    if (values.length !== ids.length) {
      throw new Error(`${where}: ${field} has ${values.length} entries, input_ids has ${ids.length}`);
    }
    for (let i = 0; i < values.length; i++) {
      if (values[i] !== 0 && values[i] !== 1) {
        throw new Error(`${where}: ${field}[${i}] = ${values[i]}, expected 0 or 1`);
      }
    }
  }
}

/**
 * Pad `examples` on the right to the longest one (rounded up to `padToMultipleOf`), checking each example first.
 *
 * @example
 * ```ts
 * import { padBatch } from "./pad.ts";
 * const b = padBatch([{ input_ids: [101, 7, 102] }, { input_ids: [101, 102] }], { padTokenId: 0, padToMultipleOf: 4 });
 * if (b.shape.join() !== "2,4" || b.input_ids.join() !== "101,7,102,0,101,102,0,0") throw new Error("unexpected");
 * if (b.attention_mask.join() !== "1,1,1,0,1,1,0,0") throw new Error("unexpected mask");
 * ```
 */
export function padBatch(examples: readonly CollatorInput[], options: PadOptions): PaddedBatch {
  const { padTokenId, padToMultipleOf, vocabSize } = options;
  if (!Array.isArray(examples) || examples.length === 0) {
    throw new Error(`collate: expected a non-empty array of examples, got ${describe(examples)}`);
  }
  if (!Number.isInteger(padTokenId) || padTokenId < 0) {
    throw new Error(`collate: padTokenId must be a non-negative integer, got ${padTokenId}`);
  }
  if (padToMultipleOf !== undefined && (!Number.isInteger(padToMultipleOf) || padToMultipleOf < 1)) {
    throw new Error(`collate: padToMultipleOf must be a positive integer, got ${padToMultipleOf}`);
  }
  let longest = 0;
  const lengths = examples.map((example, i) => {
    checkExample(example, i, vocabSize);
    longest = Math.max(longest, example.input_ids.length);
    return example.input_ids.length;
  });
  const seq = padToMultipleOf ? Math.ceil(longest / padToMultipleOf) * padToMultipleOf : longest;
  const batch = examples.length;
  const input_ids = new Int32Array(batch * seq).fill(padTokenId);
  const attention_mask = new Int32Array(batch * seq);
  for (let b = 0; b < batch; b++) {
    const { input_ids: ids, attention_mask: mask } = examples[b];
    const row = b * seq;
    for (let t = 0; t < ids.length; t++) {
      input_ids[row + t] = ids[t];
      attention_mask[row + t] = mask ? mask[t] : 1;
    }
  }
  return { input_ids, attention_mask, lengths, shape: [batch, seq] };
}

function describe(value: unknown): string {
  if (Array.isArray(value)) return "an empty array";
  return value === null ? "null" : typeof value;
}
