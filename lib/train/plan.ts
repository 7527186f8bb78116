/**
 * The step plan: which rows each optimizer step trains on, and every random stream of a run. Each stream is a fork
 * of `Rng(seed)` named by one constant of {@link SEED_STREAMS}, so every draw is a pure function of (seed, step) and
 * a checkpoint only has to hold the weights, AdamW's moments and the run state to continue bit for bit:
 *
 * - the epoch's row order: `Rng(seed).fork("epoch", e)` ({@link epochOrder});
 * - micro-batch `k` of step `s` is masked with `Rng(seed).fork("collate", s, k)` ({@link collateRng});
 * - its dropout draws from `Rng(seed).fork("dropout", s, k)` ({@link dropoutRng});
 * - the eval set is masked once with `Rng(seed).fork("eval-mask")` ({@link evalMaskRng}).
 *
 * @module
 */
import { permutation, Rng } from "../data/rng.ts";

/** The names of a run's random streams (forks of `Rng(seed)`). */
export const SEED_STREAMS = {
  /** Per-epoch permutation of the training rows. */
  epoch: "epoch",
  /** Masking of one micro-batch. */
  collate: "collate",
  /** Dropout of one micro-batch. */
  dropout: "dropout",
  /** The eval set's one masking. */
  evalMask: "eval-mask",
} as const;

/**
 * The order of the training rows in epoch `epoch`.
 *
 * @example
 * ```ts
 * import { epochOrder } from "./plan.ts";
 * const a = epochOrder(42, 0, 5), b = epochOrder(42, 1, 5);
 * if ([...a].sort().join() !== "0,1,2,3,4" || a.join() === b.join()) throw new Error("a permutation per epoch");
 * ```
 */
export function epochOrder(seed: number, epoch: number, rows: number): Int32Array {
  return Int32Array.from(permutation(rows, new Rng(seed).fork(SEED_STREAMS.epoch, epoch)));
}

/**
 * The masking stream of micro-batch `k` of step `step` (0-based).
 *
 * @example
 * ```ts
 * import { collateRng } from "./plan.ts";
 * if (collateRng(42, 3, 0).random() !== collateRng(42, 3, 0).random()) throw new Error("a pure function of (seed, step)");
 * ```
 */
export function collateRng(seed: number, step: number, k: number): Rng {
  return new Rng(seed).fork(SEED_STREAMS.collate, step, k);
}

/**
 * The dropout stream of micro-batch `k` of step `step` (0-based).
 *
 * @example
 * ```ts
 * import { collateRng, dropoutRng } from "./plan.ts";
 * if (dropoutRng(42, 3, 0).random() === collateRng(42, 3, 0).random()) throw new Error("distinct streams");
 * ```
 */
export function dropoutRng(seed: number, step: number, k: number): Rng {
  return new Rng(seed).fork(SEED_STREAMS.dropout, step, k);
}

/**
 * The stream that masks the eval set once (the same masks in every evaluation and every run with this seed).
 *
 * @example
 * ```ts
 * import { evalMaskRng } from "./plan.ts";
 * if (evalMaskRng(1).random() !== evalMaskRng(1).random()) throw new Error("fixed");
 * ```
 */
export function evalMaskRng(seed: number): Rng {
  return new Rng(seed).fork(SEED_STREAMS.evalMask);
}

export { countLabels, IGNORE_INDEX } from "../data/types.ts";

/** What a training batch must hold: labels (-100 where no loss is taken) and the attention mask. */
export interface LabelledBatch {
  /** 1 for real tokens, 0 for padding. */
  attention_mask: Int32Array;
  /** Target ids, -100 where no loss is taken. */
  labels: Int32Array;
}

/**
 * Real (non-pad) tokens of a batch: the sum of its attention mask.
 *
 * @example
 * ```ts
 * import { realTokens } from "./plan.ts";
 * if (realTokens({ attention_mask: Int32Array.of(1, 1, 0) }) !== 2) throw new Error("two");
 * ```
 */
export function realTokens(batch: { attention_mask: Int32Array }): number {
  let n = 0;
  for (const m of batch.attention_mask) n += m;
  return n;
}

/** Where a step sits in its epoch, for {@link stepBatches}. */
export interface StepPosition {
  /** Optimizer steps taken before this one (0-based step number). */
  globalStep: number;
  /** Steps taken in this epoch before this one. */
  stepInEpoch: number;
}

/** The sizes {@link stepBatches} cuts an epoch with. */
export interface StepShape {
  /** Seed of the run. */
  seed: number;
  /** Rows per micro-batch. */
  perDeviceTrainBatchSize: number;
  /** Micro-batches per step. */
  gradientAccumulationSteps: number;
  /** Micro-batches per epoch (the last may be short). */
  batchesPerEpoch: number;
}

/**
 * The micro-batches of the step at `at`, cut from the epoch's `order` of `rows` and collated each with its
 * {@link collateRng} fork; and their real tokens.
 *
 * @example
 * ```ts
 * import { stepBatches } from "./plan.ts";
 * const rows = [10, 11, 12, 13, 14];
 * const collate = () => (xs: readonly number[]) => ({ attention_mask: Int32Array.of(...xs.map(() => 1)), labels: Int32Array.of(...xs) });
 * const shape = { seed: 0, perDeviceTrainBatchSize: 2, gradientAccumulationSteps: 2, batchesPerEpoch: 3 };
 * const { batches, tokens } = stepBatches(rows, [4, 3, 2, 1, 0], { globalStep: 1, stepInEpoch: 1 }, shape, collate);
 * if (batches.length !== 1 || batches[0].labels.join() !== "10" || tokens !== 1) throw new Error("the short last step");
 * ```
 */
export function stepBatches<E, B extends LabelledBatch>(
  rows: readonly E[],
  order: ArrayLike<number>,
  at: StepPosition,
  shape: StepShape,
  makeCollator: (rng: Rng) => (examples: readonly E[]) => B,
): { batches: B[]; tokens: number } {
  const { perDeviceTrainBatchSize: bs, gradientAccumulationSteps: accum, batchesPerEpoch, seed } = shape;
  const first = at.stepInEpoch * accum;
  const batches: B[] = [];
  let tokens = 0;
  for (let k = 0; k < Math.min(accum, batchesPerEpoch - first); k++) {
    const b = first + k, end = Math.min(rows.length, (b + 1) * bs);
    const examples: E[] = [];
    for (let i = b * bs; i < end; i++) examples.push(rows[order[i]]);
    const batch = makeCollator(collateRng(seed, at.globalStep, k))(examples);
    tokens += realTokens(batch);
    batches.push(batch);
  }
  return { batches, tokens };
}
