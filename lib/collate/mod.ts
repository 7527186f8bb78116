/**
 * Masking collators and the fixed evaluation set: {@link createMlmCollator} (HF `DataCollatorForLanguageModeling`,
 * 15 % with 80/10/10), {@link createWholeWordMaskCollator} (the course's whole-word masking), {@link maskOnce} with
 * {@link batchFixed}, {@link saveMasked} and {@link loadMasked} (a deterministic eval set).
 *
 * @example
 * ```ts
 * import { createMlmCollator } from "./mod.ts";
 * const collate = createMlmCollator({ maskTokenId: 103, vocabSize: 30522, specialIds: [0, 100, 101, 102, 103], padTokenId: 0, seed: 1 });
 * const batch = collate([{ input_ids: [101, 2023, 3185, 102] }]);
 * if (batch.shape.join() !== "1,4") throw new Error("unexpected");
 * ```
 *
 * @module
 */
export { type CollatorInput, padBatch, type PaddedBatch, type PadOptions } from "./pad.ts";
export {
  type Collator,
  createMlmCollator,
  type MlmCollatorOptions,
  type ReplaceOptions,
  type RngSource,
} from "./mlm.ts";
export { createWholeWordMaskCollator, type WholeWordMaskCollatorOptions, wordGroups } from "./whole_word.ts";
export {
  batchFixed,
  type BatchFixedOptions,
  loadMasked,
  type MaskedExample,
  maskOnce,
  type MaskOnceOptions,
  saveMasked,
} from "./mask_once.ts";
