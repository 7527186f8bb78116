/**
 * The masking a masked-LM run trains and evaluates with, chosen once from its options: the course's random-token
 * collator (80/10/10 at `mlmProbability`) or, with `wwmProbability`, whole-word masking; and the eval set masked once
 * with the run's `eval-mask` fork (`plan.ts`), so `finetune`, `evaluate`, the demo and the page score the same masks.
 *
 * @module
 */
import type { Rng } from "../data/rng.ts";
import type { Chunk, MlmBatch } from "../data/types.ts";
import { type Collator, createMlmCollator } from "../collate/mlm.ts";
import { createWholeWordMaskCollator } from "../collate/whole_word.ts";
import { batchFixed, maskOnce } from "../collate/mask_once.ts";
import { evalMaskRng } from "./plan.ts";

/** The ids a collator needs from the tokenizer. */
export interface MaskingTokenizer {
  /** `[MASK]`'s id. */
  maskTokenId: number;
  /** `[PAD]`'s id. */
  padTokenId: number;
  /** Vocabulary size (random replacements are drawn below it). */
  vocabSize: number;
  /** Ids never masked by the random-token collator. */
  allSpecialIds: number[];
}

/** How tokens are picked for masking. */
export interface MaskingOptions {
  /** Masking probability of the random-token collator (the course: 0.15). */
  mlmProbability: number;
  /** When set, whole-word masking with this word probability (the course: 0.2) instead. */
  wwmProbability?: number;
}

/**
 * The collator of `masking`, drawing from `rng`.
 *
 * @example
 * ```ts
 * import { Rng } from "../data/rng.ts";
 * import { maskingCollator } from "./masking.ts";
 * const ids = { maskTokenId: 4, padTokenId: 0, vocabSize: 50, allSpecialIds: [0, 1, 2, 3, 4] };
 * const collate = maskingCollator(ids, { mlmProbability: 1 }, new Rng(0));
 * const b = collate([{ input_ids: [1, 9, 9, 2], attention_mask: [1, 1, 1, 1], word_ids: [], labels: [1, 9, 9, 2] }]);
 * if (b.labels.join() !== "-100,9,9,-100") throw new Error(b.labels.join());
 * ```
 */
export function maskingCollator(tokenizer: MaskingTokenizer, masking: MaskingOptions, rng: Rng): Collator {
  if (masking.wwmProbability !== undefined) {
    return createWholeWordMaskCollator({
      maskTokenId: tokenizer.maskTokenId,
      padTokenId: tokenizer.padTokenId,
      vocabSize: tokenizer.vocabSize,
      wwmProbability: masking.wwmProbability,
      rng,
    });
  }
  return createMlmCollator({
    maskTokenId: tokenizer.maskTokenId,
    vocabSize: tokenizer.vocabSize,
    specialIds: tokenizer.allSpecialIds,
    padTokenId: tokenizer.padTokenId,
    mlmProbability: masking.mlmProbability,
    rng,
  });
}

/**
 * The eval set masked once with `evalMaskRng(seed)` and cut into batches of `batchSize` rows: the same batches in
 * every evaluation and every run with this seed.
 *
 * @example
 * ```ts
 * import { maskedEvalBatches } from "./masking.ts";
 * const ids = { maskTokenId: 4, padTokenId: 0, vocabSize: 50, allSpecialIds: [0, 1, 2, 3, 4] };
 * const chunk = { input_ids: [1, 9, 8, 2], attention_mask: [1, 1, 1, 1], word_ids: [], labels: [1, 9, 8, 2] };
 * const a = maskedEvalBatches([chunk, chunk, chunk], ids, { mlmProbability: 0.5 }, { seed: 1, batchSize: 2 });
 * const b = maskedEvalBatches([chunk, chunk, chunk], ids, { mlmProbability: 0.5 }, { seed: 1, batchSize: 2 });
 * if (a.length !== 2 || a[0].labels.join() !== b[0].labels.join()) throw new Error("fixed masks");
 * ```
 */
export function maskedEvalBatches(
  test: readonly Chunk[],
  tokenizer: MaskingTokenizer,
  masking: MaskingOptions,
  options: { seed: number; batchSize: number },
): MlmBatch[] {
  const collate = maskingCollator(tokenizer, masking, evalMaskRng(options.seed));
  return batchFixed(maskOnce(test, collate), options.batchSize, { padTokenId: tokenizer.padTokenId });
}
