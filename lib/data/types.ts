/**
 * The shapes data takes between the pipeline's steps, with Hugging Face's field names.
 *
 * @module
 */

/** One tokenized text, as HF's fast tokenizer returns it (`word_ids` is `null` for special tokens). */
export interface Encoding {
  /** Token ids, special tokens included. */
  input_ids: number[];
  /** 1 for every real token. */
  attention_mask: number[];
  /** Index of the word each token came from, `null` for special tokens (HF `BatchEncoding.word_ids()`). */
  word_ids: (number | null)[];
}

/** One fixed-size block made by `groupTexts`: `labels` is a copy of `input_ids`. */
export interface Chunk extends Encoding {
  /** Copy of `input_ids` (the masking collator later sets -100 where no loss is taken). */
  labels: number[];
}

/** The label of a position (or row) that takes no loss: PyTorch's `CrossEntropyLoss` `ignore_index`. */
export const IGNORE_INDEX = -100;

/**
 * Positions (or rows) of `batch` that take a loss: labels other than {@link IGNORE_INDEX}.
 *
 * @example
 * ```ts
 * import { countLabels } from "./types.ts";
 * if (countLabels({ labels: Int32Array.of(-100, 7, -100, 3) }) !== 2) throw new Error("two");
 * ```
 */
export function countLabels(batch: { labels: ArrayLike<number> }): number {
  let n = 0;
  for (let i = 0; i < batch.labels.length; i++) if (batch.labels[i] !== IGNORE_INDEX) n++;
  return n;
}

/** A padded batch ready for a masked-LM model: row-major `[batch, seq]` int32 arrays. */
export interface MlmBatch {
  /** Token ids after masking. */
  input_ids: Int32Array;
  /** 1 for real tokens, 0 for padding. */
  attention_mask: Int32Array;
  /** Original id where the loss is taken, -100 elsewhere. */
  labels: Int32Array;
  /** `[batch, seq]`. */
  shape: [number, number];
}
