/**
 * Tokenization and batching for sequence classification: each text is encoded with truncation to `maxLength`
 * (special tokens included, the final `[SEP]` kept, as HF `truncation=True, max_length`), and batches are padded
 * dynamically to their longest row (HF `DataCollatorWithPadding`).
 *
 * @module
 */
import { padBatch } from "../collate/pad.ts";
import type { ClassificationBatch } from "../model/sequence_classification.ts";
import type { LabelledText } from "./data.ts";

/** One encoded row. */
export interface ClassificationExample {
  /** Token ids, special tokens included, at most `maxLength`. */
  input_ids: number[];
  /** Class id. */
  label: number;
}

/** What {@link encodeExamples} needs of a tokenizer (`Tokenizer` from `lib/tokenize` has it). */
export interface ExampleTokenizer {
  /** Encode one text, truncating to `maxLength` tokens. */
  encode(text: string, options: { maxLength?: number }): { input_ids: number[] };
}

/** Options of {@link encodeExamples}. */
export interface EncodeExamplesOptions {
  /** Truncate each text to this many tokens (special tokens included). */
  maxLength: number;
}

/**
 * Encode labelled texts with truncation.
 *
 * @example
 * ```ts
 * import { encodeExamples } from "./batch.ts";
 * const tok = { encode: (t: string, o: { maxLength?: number }) => ({ input_ids: [2, ...t.split(" ").map((w) => w.length), 3].slice(0, o.maxLength) }) };
 * const [ex] = encodeExamples([{ text: "a bb ccc", label: 1 }], tok, { maxLength: 4 });
 * if (ex.input_ids.length !== 4 || ex.label !== 1) throw new Error("truncated");
 * ```
 */
export function encodeExamples(
  items: readonly LabelledText[],
  tokenizer: ExampleTokenizer,
  options: EncodeExamplesOptions,
): ClassificationExample[] {
  if (!Number.isInteger(options.maxLength) || options.maxLength < 2) {
    throw new Error(`--max-length: expected an integer >= 2, got ${options.maxLength}`);
  }
  return items.map((item) => ({
    input_ids: tokenizer.encode(item.text, { maxLength: options.maxLength }).input_ids,
    label: item.label,
  }));
}

/** Options of {@link collateClassification}. */
export interface CollateClassificationOptions {
  /** Id written into padded positions. */
  padTokenId: number;
}

/**
 * Pad a list of examples to the longest one and stack their labels.
 *
 * @example
 * ```ts
 * import { collateClassification } from "./batch.ts";
 * const b = collateClassification([{ input_ids: [2, 7, 3], label: 1 }, { input_ids: [2, 3], label: 0 }], { padTokenId: 0 });
 * if (b.shape.join() !== "2,3" || b.input_ids.join() !== "2,7,3,2,3,0" || b.labels.join() !== "1,0") throw new Error("padded");
 * ```
 */
export function collateClassification(
  examples: readonly ClassificationExample[],
  options: CollateClassificationOptions,
): ClassificationBatch {
  const padded = padBatch(examples, { padTokenId: options.padTokenId });
  return {
    input_ids: padded.input_ids,
    attention_mask: padded.attention_mask,
    labels: Int32Array.from(examples, (e) => e.label),
    shape: padded.shape,
  };
}

/** Options of {@link batchInOrder}. */
export interface BatchInOrderOptions extends CollateClassificationOptions {
  /** Rows per batch (the last may be shorter). */
  batchSize: number;
}

/**
 * Consecutive batches of `examples` in their order (the evaluation set).
 *
 * @example
 * ```ts
 * import { batchInOrder } from "./batch.ts";
 * const ex = [1, 2, 3].map((n) => ({ input_ids: [2, n + 4, 3], label: n % 2 }));
 * if (batchInOrder(ex, { batchSize: 2, padTokenId: 0 }).map((b) => b.shape[0]).join() !== "2,1") throw new Error("batches");
 * ```
 */
export function batchInOrder(
  examples: readonly ClassificationExample[],
  options: BatchInOrderOptions,
): ClassificationBatch[] {
  if (!Number.isInteger(options.batchSize) || options.batchSize < 1) {
    throw new Error(`--per-device-eval-batch-size: expected an integer >= 1, got ${options.batchSize}`);
  }
  const out: ClassificationBatch[] = [];
  for (let i = 0; i < examples.length; i += options.batchSize) {
    out.push(collateClassification(examples.slice(i, i + options.batchSize), options));
  }
  return out;
}
