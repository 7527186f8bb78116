/**
 * The random-token masking collator: Hugging Face `DataCollatorForLanguageModeling(mlm=True)` (`torch_call` +
 * `torch_mask_tokens`). Examples are padded to the longest (rounded up to `padToMultipleOf`); each position that is
 * not a special token is selected with probability `mlmProbability`; labels keep the original id at selected
 * positions and -100 elsewhere; a selected token becomes `[MASK]` with probability `maskReplaceProb`, else a uniformly
 * random id in `[0, vocabSize)` with probability `randomReplaceProb / (1 - maskReplaceProb)`, else stays. Special
 * tokens (every id in `specialIds`, plus the mask and pad ids) and padding are never selected. An incoming `labels`
 * field is ignored and `word_ids` dropped, as in HF. Draws come from a seeded {@link Rng}, so the same seed gives the
 * same batches (torch's draws differ; every rule and rate is the same).
 *
 * @module
 */
import { IGNORE_INDEX, type MlmBatch } from "../data/types.ts";
import { Rng } from "../data/rng.ts";
import { type CollatorInput, padBatch } from "./pad.ts";

/** A collator: examples in, one padded, masked batch out. Each call advances its generator. */
export type Collator = (examples: readonly CollatorInput[]) => MlmBatch;

/** Where a collator's randomness comes from: a seed (a fresh {@link Rng}) or a generator it continues. */
export interface RngSource {
  /** Seed of a fresh generator. */
  seed?: number;
  /** A generator to draw from (and advance); save `rng.state()` to resume. */
  rng?: Rng;
}

/** How a selected token is replaced (HF `mask_replace_prob`, `random_replace_prob`). */
export interface ReplaceOptions {
  /** Id of `[MASK]`. */
  maskTokenId: number;
  /** Random replacements are drawn from `[0, vocabSize)` (HF `len(tokenizer)`); needed when `randomReplaceProb > 0`. */
  vocabSize?: number;
  /** Probability that a selected token becomes `[MASK]`. */
  maskReplaceProb: number;
  /** Probability that a selected token becomes a random id. */
  randomReplaceProb: number;
}

/** Options of {@link createMlmCollator}. */
export interface MlmCollatorOptions extends RngSource {
  /** Id of `[MASK]`. */
  maskTokenId: number;
  /** Vocabulary size: random replacements are drawn from `[0, vocabSize)`, and every input id must be below it. */
  vocabSize: number;
  /** Ids never selected (HF `all_special_ids`: `[UNK]`, `[SEP]`, `[PAD]`, `[CLS]`, `[MASK]`); mask and pad are added. */
  specialIds: readonly number[];
  /** Id written into padding. */
  padTokenId: number;
  /** Probability that a non-special token is selected (default 0.15). */
  mlmProbability?: number;
  /** Probability that a selected token becomes `[MASK]` (default 0.8). */
  maskReplaceProb?: number;
  /** Probability that a selected token becomes a random id (default 0.1); the rest stay unchanged. */
  randomReplaceProb?: number;
  /** Round the padded length up to a multiple of this. */
  padToMultipleOf?: number;
}

/**
 * The generator named by `source`: a fresh one from `seed`, or `rng` itself. Exactly one must be given.
 *
 * @example
 * ```ts
 * import { Rng } from "../data/rng.ts";
 * import { resolveRng } from "./mlm.ts";
 * const rng = new Rng(1);
 * if (resolveRng({ rng }, "demo") !== rng) throw new Error("continues the given generator");
 * if (resolveRng({ seed: 7 }, "demo").random() !== new Rng(7).random()) throw new Error("seeded");
 * ```
 */
export function resolveRng(source: RngSource, who: string): Rng {
  if (source.rng !== undefined && source.seed !== undefined) throw new Error(`${who}: pass seed or rng, not both`);
  if (source.rng !== undefined) {
    if (!(source.rng instanceof Rng)) throw new Error(`${who}: rng must be an Rng from lib/data/rng.ts`);
    return source.rng;
  }
  if (source.seed === undefined) throw new Error(`${who}: pass a seed (or an rng); masking is always seeded`);
  return new Rng(source.seed);
}

/**
 * Check the replacement probabilities as HF's `DataCollatorForLanguageModeling.__post_init__` does.
 *
 * @example
 * ```ts
 * import { checkReplaceOptions } from "./mlm.ts";
 * checkReplaceOptions({ maskTokenId: 103, vocabSize: 30522, maskReplaceProb: 0.8, randomReplaceProb: 0.1 }, "demo");
 * let failed = false;
 * try {
 *   checkReplaceOptions({ maskTokenId: 103, maskReplaceProb: 0.8, randomReplaceProb: 0.3 }, "demo");
 * } catch {
 *   failed = true;
 * }
 * if (!failed) throw new Error("0.8 + 0.3 > 1 must fail");
 * ```
 */
export function checkReplaceOptions(options: ReplaceOptions, who: string): void {
  const { maskTokenId, vocabSize, maskReplaceProb, randomReplaceProb } = options;
  if (!Number.isInteger(maskTokenId) || maskTokenId < 0) {
    throw new Error(`${who}: maskTokenId must be a non-negative integer, got ${maskTokenId}`);
  }
  if (maskReplaceProb + randomReplaceProb > 1) {
    throw new Error(
      `${who}: the sum of maskReplaceProb and randomReplaceProb should not exceed 1 (got ${maskReplaceProb} + ${randomReplaceProb})`,
    );
  }
  checkProbability(maskReplaceProb, "maskReplaceProb", who);
  checkProbability(randomReplaceProb, "randomReplaceProb", who);
  if (randomReplaceProb > 0 && maskReplaceProb < 1 && (!Number.isInteger(vocabSize) || (vocabSize as number) < 1)) {
    throw new Error(`${who}: vocabSize must be a positive integer when randomReplaceProb > 0, got ${vocabSize}`);
  }
}

/**
 * Throw unless `value` is a number in [0, 1].
 *
 * @example
 * ```ts
 * import { checkProbability } from "./mlm.ts";
 * checkProbability(0.15, "mlmProbability", "demo");
 * ```
 */
export function checkProbability(value: number, name: string, who: string): void {
  if (typeof value !== "number" || !(value >= 0 && value <= 1)) {
    throw new Error(`${who}: ${name} should be between 0 and 1, got ${value}`);
  }
}

/**
 * The id a selected token takes: `[MASK]` with probability `maskReplaceProb`; else, with probability
 * `randomReplaceProb / (1 - maskReplaceProb)`, a uniform id in `[0, vocabSize)` (which may equal the original, as in
 * HF); else the original. Draws one or two uniforms (plus one integer for a random id) from `rng`.
 *
 * @example
 * ```ts
 * import { Rng } from "../data/rng.ts";
 * import { replaceToken } from "./mlm.ts";
 * const id = replaceToken(2307, new Rng(0), { maskTokenId: 103, maskReplaceProb: 1, randomReplaceProb: 0 });
 * if (id !== 103) throw new Error("always [MASK] when maskReplaceProb is 1");
 * ```
 */
export function replaceToken(original: number, rng: Rng, options: ReplaceOptions): number {
  const { maskTokenId, vocabSize, maskReplaceProb, randomReplaceProb } = options;
  if (rng.random() < maskReplaceProb) return maskTokenId;
  if (maskReplaceProb === 1 || randomReplaceProb === 0) return original;
  if (rng.random() < randomReplaceProb / (1 - maskReplaceProb)) return rng.int(vocabSize as number);
  return original;
}

/**
 * A random-token masking collator (HF `DataCollatorForLanguageModeling`, `mlm=True`). Each call pads the examples,
 * masks them, and advances the generator.
 *
 * @example
 * ```ts
 * import { createMlmCollator } from "./mlm.ts";
 * const collate = createMlmCollator({
 *   maskTokenId: 103, vocabSize: 30522, specialIds: [0, 100, 101, 102, 103], padTokenId: 0, seed: 42,
 * });
 * const batch = collate([
 *   { input_ids: [101, 1045, 2293, 2023, 3185, 102] },
 *   { input_ids: [101, 2307, 102] },
 * ]);
 * if (batch.shape.join() !== "2,6") throw new Error("padded to the longest");
 * if (batch.labels[0] !== -100 || batch.labels[9] !== -100) throw new Error("[CLS] and padding are never selected");
 * ```
 */
export function createMlmCollator(options: MlmCollatorOptions): Collator {
  const who = "createMlmCollator";
  const {
    maskTokenId,
    vocabSize,
    specialIds,
    padTokenId,
    mlmProbability = 0.15,
    maskReplaceProb = 0.8,
    randomReplaceProb = 0.1,
    padToMultipleOf,
  } = options;
  checkProbability(mlmProbability, "mlmProbability", who);
  if (!Number.isInteger(vocabSize) || vocabSize < 1) {
    throw new Error(`${who}: vocabSize must be a positive integer, got ${vocabSize}`);
  }
  const replace: ReplaceOptions = { maskTokenId, vocabSize, maskReplaceProb, randomReplaceProb };
  checkReplaceOptions(replace, who);
  if (!Array.isArray(specialIds) || specialIds.some((id) => !Number.isInteger(id) || id < 0)) {
    throw new Error(`${who}: specialIds must be an array of non-negative integer ids, got ${String(specialIds)}`);
  }
  const special = new Set<number>([...specialIds, maskTokenId, padTokenId]);
  const rng = resolveRng(options, who);

  return function collateMlm(examples: readonly CollatorInput[]): MlmBatch {
    const padded = padBatch(examples, { padTokenId, padToMultipleOf, vocabSize });
    const [batch, seq] = padded.shape;
    const given = examples.filter((e) => e.special_tokens_mask != null).length;
    if (given !== 0 && given !== batch) {
      throw new Error(`${who}: ${given} of ${batch} examples have special_tokens_mask; give it for all or none`);
    }
    const input_ids = padded.input_ids;
    const labels = new Int32Array(batch * seq).fill(IGNORE_INDEX);
    for (let b = 0; b < batch; b++) {
      const length = padded.lengths[b];
      const specialMask = examples[b].special_tokens_mask;
      const row = b * seq;
      for (let t = 0; t < length; t++) {
        const p = row + t;
        const isSpecial = specialMask ? specialMask[t] === 1 : special.has(input_ids[p]);
        if (isSpecial || !(rng.random() < mlmProbability)) continue;
        labels[p] = input_ids[p];
        input_ids[p] = replaceToken(input_ids[p], rng, replace);
      }
    }
    return { input_ids, attention_mask: padded.attention_mask, labels, shape: [batch, seq] };
  };
}
