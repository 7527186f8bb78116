/**
 * Seeded selection on in-memory arrays (tokenized chunks fit in memory): {@link shuffle}, {@link select} and
 * {@link trainTestSplit}, shaped like Hugging Face `Dataset.shuffle`, `.select` and `.train_test_split`. Every
 * permutation is numpy's `np.random.default_rng(seed).permutation(n)` ({@link numpyPermutation}), which is what
 * `datasets` draws: the same seed picks the same members in the same order as Python does.
 *
 * @module
 */
import { numpyPermutation, type NumpySeed } from "./numpy_random.ts";

/** Options of {@link shuffle}. */
export interface ShuffleOptions {
  /** Seed of the permutation, as `Dataset.shuffle(seed=…)` (a non-negative integer). */
  seed: NumpySeed;
}

/**
 * A new array holding `items` in the order HF `Dataset.shuffle(seed=…)` gives (numpy's
 * `default_rng(seed).permutation(n)`); `items` is not changed.
 *
 * @example
 * ```ts
 * import { shuffle } from "./split.ts";
 * // datasets: Dataset.from_dict({"x": list(range(10))}).shuffle(seed=42)["x"]
 * const a = shuffle([0, 1, 2, 3, 4, 5, 6, 7, 8, 9], { seed: 42 });
 * if (a.join() !== "5,6,0,7,3,2,4,9,1,8") throw new Error(`unexpected ${a}`);
 * ```
 */
export function shuffle<T>(items: readonly T[], options: ShuffleOptions): T[] {
  const order = numpyPermutation(items.length, options.seed);
  return order.map((i) => items[i]);
}

/** A contiguous range for {@link select}: `count` items from `start`. */
export interface SelectRange {
  /** First index (default 0). */
  start?: number;
  /** How many items. */
  count: number;
}

/**
 * The items at `indices` (in that order, repeats allowed), or `count` items from `start`, as HF `Dataset.select`.
 * An index out of range fails naming it and the length.
 *
 * @example
 * ```ts
 * import { select } from "./split.ts";
 * const xs = ["a", "b", "c", "d"];
 * if (select(xs, [3, 0]).join() !== "d,a") throw new Error("indices");
 * if (select(xs, { start: 1, count: 2 }).join() !== "b,c") throw new Error("range");
 * ```
 */
export function select<T>(items: readonly T[], which: readonly number[] | SelectRange): T[] {
  const n = items.length;
  if (Array.isArray(which)) {
    return (which as readonly number[]).map((i, at) => {
      if (!Number.isInteger(i) || i < 0 || i >= n) {
        throw new Error(`select: indices[${at}] = ${i} is not an index into ${n} items (0..${n - 1})`);
      }
      return items[i];
    });
  }
  const { start = 0, count } = which as SelectRange;
  if (!Number.isInteger(start) || start < 0 || !Number.isInteger(count) || count < 0 || start + count > n) {
    throw new Error(`select: range start=${start} count=${count} does not fit in ${n} items`);
  }
  return items.slice(start, start + count);
}

/** Options of {@link trainTestSplit}; sizes are counts (integers ≥ 1) or fractions in (0, 1). */
export interface TrainTestSplitOptions {
  /** Train size; default: every item not in the test set. */
  trainSize?: number;
  /** Test size; default: the rest after `trainSize`, or 0.25 when neither is given (as HF). */
  testSize?: number;
  /** Seed of the permutation (required when `shuffle` is true), as `train_test_split(seed=…)`. */
  seed?: NumpySeed;
  /** Shuffle before splitting (default true, as HF); when false, train is the first items and test the next. */
  shuffle?: boolean;
}

/** The two parts made by {@link trainTestSplit}. */
export interface TrainTestSplit<T> {
  /** Training items. */
  train: T[];
  /** Held-out items. */
  test: T[];
}

function checkSize(name: string, size: number | undefined, n: number): void {
  if (size === undefined) return;
  const isCount = Number.isInteger(size) && size >= 1;
  const isFraction = size > 0 && size < 1;
  if (!isCount && !isFraction) {
    throw new Error(`trainTestSplit: ${name}=${size} should be a count >= 1 or a fraction in (0, 1)`);
  }
  if (isCount && size >= n) {
    throw new Error(`trainTestSplit: ${name}=${size} should be smaller than the number of items n=${n}`);
  }
}

/**
 * Split `items` into train and test sets as HF `Dataset.train_test_split`: one permutation of the indices,
 * numpy's `default_rng(seed).permutation(n)`; test = its first `testSize` entries, train = the next `trainSize` —
 * the same members, in the same order, as `datasets` picks with that seed. Fractions round as HF does (test up,
 * train down). Fails when the sizes do not fit in `items` or the train set would be empty.
 *
 * @example
 * ```ts
 * import { trainTestSplit } from "./split.ts";
 * const items = Array.from({ length: 100 }, (_, i) => i);
 * const { train, test } = trainTestSplit(items, { trainSize: 80, testSize: 0.1, seed: 42 });
 * if (train.length !== 80 || test.length !== 10) throw new Error("unexpected");
 * ```
 */
export function trainTestSplit<T>(items: readonly T[], options: TrainTestSplitOptions): TrainTestSplit<T> {
  const n = items.length;
  const { trainSize } = options;
  const testSize = options.testSize ?? (trainSize === undefined ? 0.25 : undefined);
  checkSize("trainSize", trainSize, n);
  checkSize("testSize", testSize, n);
  if (trainSize !== undefined && testSize !== undefined && trainSize < 1 && testSize < 1 && trainSize + testSize > 1) {
    throw new Error(
      `trainTestSplit: trainSize=${trainSize} + testSize=${testSize} = ${trainSize + testSize} exceeds 1`,
    );
  }
  let nTest = testSize === undefined ? undefined : testSize < 1 ? Math.ceil(testSize * n) : testSize;
  let nTrain = trainSize === undefined ? undefined : trainSize < 1 ? Math.floor(trainSize * n) : trainSize;
  if (nTrain === undefined) nTrain = n - nTest!;
  if (nTest === undefined) nTest = n - nTrain;
  if (nTrain + nTest > n) {
    throw new Error(
      `trainTestSplit: trainSize (${trainSize} → ${nTrain}) + testSize (${testSize} → ${nTest}) = ${
        nTrain + nTest
      } items, more than the n=${n} items given`,
    );
  }
  if (nTrain === 0) {
    throw new Error(
      `trainTestSplit: with n=${n}, trainSize=${trainSize} and testSize=${testSize} the train set would be empty`,
    );
  }
  if (options.shuffle === false) {
    return { train: items.slice(0, nTrain), test: items.slice(nTrain, nTrain + nTest) };
  }
  if (options.seed === undefined) throw new Error("trainTestSplit: seed is required (or pass shuffle: false)");
  const order = numpyPermutation(n, options.seed);
  return {
    train: order.slice(nTest, nTest + nTrain).map((i) => items[i]),
    test: order.slice(0, nTest).map((i) => items[i]),
  };
}
