/**
 * The whole-word masking collator of the Hugging Face course chapter ("Fine-tuning a masked language model",
 * `whole_word_masking_data_collator`), with its labels right: tokens are grouped into words by `word_ids`, each word is
 * chosen with probability `wwmProbability`, every token of a chosen word is masked, and labels keep the original id
 * only at masked positions (-100 elsewhere). As in the course, a masked token becomes `[MASK]`; HF's 80/10/10 split is
 * available through `maskReplaceProb` / `randomReplaceProb` (applied per token, as HF's `DataCollatorForWholeWordMask`
 * does). Examples are padded like the random-token collator's; padding belongs to no word.
 *
 * @module
 */
import { IGNORE_INDEX, type MlmBatch } from "../data/types.ts";
import {
  checkProbability,
  checkReplaceOptions,
  type Collator,
  replaceToken,
  resolveRng,
  type RngSource,
} from "./mlm.ts";
import { type CollatorInput, padBatch } from "./pad.ts";

/** Options of {@link createWholeWordMaskCollator}. */
export interface WholeWordMaskCollatorOptions extends RngSource {
  /** Id of `[MASK]`. */
  maskTokenId: number;
  /** Id written into padding. */
  padTokenId: number;
  /** Probability that a word is chosen (default 0.2, the course's `wwm_probability`). */
  wwmProbability?: number;
  /** Probability that a masked token becomes `[MASK]` (default 1: the course masks every token of a chosen word). */
  maskReplaceProb?: number;
  /** Probability that a masked token becomes a random id (default 0); needs `vocabSize`. */
  randomReplaceProb?: number;
  /** Vocabulary size: random ids are drawn from `[0, vocabSize)`, and every input id must be below it. */
  vocabSize?: number;
  /** Round the padded length up to a multiple of this. */
  padToMultipleOf?: number;
}

/**
 * The course's word grouping: token positions per word, in order. A word starts wherever a non-null word id differs
 * from the last non-null one seen; `null` (special tokens) belongs to no word and does not reset that comparison, so
 * a word cut by a chunk boundary is a word of its own, and — exactly as in the course — a one-word review followed by
 * a review starting with word 0 (`0, null, null, 0`) makes one group.
 *
 * @example
 * ```ts
 * import { wordGroups } from "./whole_word.ts";
 * const groups = wordGroups([null, 0, 1, 1, 2, null, null, 0, 0]);
 * if (JSON.stringify(groups) !== "[[1],[2,3],[4],[7,8]]") throw new Error("unexpected");
 * ```
 */
export function wordGroups(word_ids: ArrayLike<number | null>): number[][] {
  const groups: number[][] = [];
  let current: number | null = null;
  for (let i = 0; i < word_ids.length; i++) {
    const id = word_ids[i];
    if (id === null) continue;
    if (id !== current) {
      current = id;
      groups.push([]);
    }
    groups[groups.length - 1].push(i);
  }
  return groups;
}

/**
 * A whole-word masking collator. Every example needs `word_ids` (kept by tokenization and `groupTexts`); labels come
 * from the example's `labels` where present (the course reads them; they equal `input_ids` for chunks), else from
 * `input_ids`. `word_ids` are dropped from the batch. Each call advances the generator.
 *
 * @example
 * ```ts
 * import { createWholeWordMaskCollator } from "./whole_word.ts";
 * const collate = createWholeWordMaskCollator({ maskTokenId: 103, padTokenId: 0, wwmProbability: 1, seed: 0 });
 * const batch = collate([{ input_ids: [101, 2307, 2143, 102], word_ids: [null, 0, 0, null] }]);
 * if (batch.input_ids.join() !== "101,103,103,102") throw new Error("the whole word is masked");
 * if (batch.labels.join() !== "-100,2307,2143,-100") throw new Error("labels only where masked");
 * ```
 */
export function createWholeWordMaskCollator(options: WholeWordMaskCollatorOptions): Collator {
  const who = "createWholeWordMaskCollator";
  const {
    maskTokenId,
    padTokenId,
    wwmProbability = 0.2,
    maskReplaceProb = 1,
    randomReplaceProb = 0,
    vocabSize,
    padToMultipleOf,
  } = options;
  checkProbability(wwmProbability, "wwmProbability", who);
  if (vocabSize !== undefined && (!Number.isInteger(vocabSize) || vocabSize < 1)) {
    throw new Error(`${who}: vocabSize must be a positive integer, got ${vocabSize}`);
  }
  const replace = { maskTokenId, vocabSize, maskReplaceProb, randomReplaceProb };
  checkReplaceOptions(replace, who);
  const rng = resolveRng(options, who);

  return function collateWholeWord(examples: readonly CollatorInput[]): MlmBatch {
    const padded = padBatch(examples, { padTokenId, padToMultipleOf, vocabSize });
    const [batch, seq] = padded.shape;
    const input_ids = padded.input_ids;
    const labels = new Int32Array(batch * seq).fill(IGNORE_INDEX);
    for (let b = 0; b < batch; b++) {
      const example = examples[b];
      const wordIds = checkWordIds(example, b, who);
      const source = checkLabels(example, b, who);
      const row = b * seq;
      for (const group of wordGroups(wordIds)) {
        if (!(rng.random() < wwmProbability)) continue;
        for (const t of group) {
          labels[row + t] = source[t];
          input_ids[row + t] = replaceToken(input_ids[row + t], rng, replace);
        }
      }
    }
    return { input_ids, attention_mask: padded.attention_mask, labels, shape: [batch, seq] };
  };
}

function checkWordIds(example: CollatorInput, index: number, who: string): ArrayLike<number | null> {
  const wordIds = example.word_ids;
  if (wordIds === undefined || wordIds === null) {
    throw new Error(
      `${who}: example ${index} has no word_ids; whole-word masking needs them (keep word_ids when tokenizing and grouping)`,
    );
  }
  if (wordIds.length !== example.input_ids.length) {
    throw new Error(
      `${who}: example ${index}: word_ids has ${wordIds.length} entries, input_ids has ${example.input_ids.length}`,
    );
  }
  for (let i = 0; i < wordIds.length; i++) {
    const w = wordIds[i];
    if (w !== null && (!Number.isInteger(w) || w < 0)) {
      throw new Error(`${who}: example ${index}: word_ids[${i}] = ${w}, expected null or a non-negative integer`);
    }
  }
  return wordIds;
}

function checkLabels(example: CollatorInput, index: number, who: string): ArrayLike<number> {
  const labels = example.labels;
  if (labels === undefined || labels === null) return example.input_ids;
  if (labels.length !== example.input_ids.length) {
    throw new Error(
      `${who}: example ${index}: labels has ${labels.length} entries, input_ids has ${example.input_ids.length}`,
    );
  }
  for (let i = 0; i < labels.length; i++) {
    if (!Number.isInteger(labels[i])) {
      throw new Error(`${who}: example ${index}: labels[${i}] = ${labels[i]}, expected an integer`);
    }
  }
  return labels;
}
