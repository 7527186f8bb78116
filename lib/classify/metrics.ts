/**
 * Classification metrics as Hugging Face `evaluate` computes them: `accuracy` (fraction of exact matches) and `f1`
 * — for two classes the F1 of the positive class (label 1; `average="binary"`, `evaluate`'s default), for more the
 * unweighted mean of the per-class F1s (`average="macro"`). A class never predicted nor present scores 0 (sklearn's
 * `zero_division` default).
 *
 * @module
 */

/**
 * Fraction of `predictions` equal to `references`.
 *
 * @example
 * ```ts
 * import { accuracy } from "./metrics.ts";
 * if (accuracy([1, 0, 1, 1], [1, 1, 1, 0]) !== 0.5) throw new Error("unexpected");
 * ```
 */
export function accuracy(predictions: ArrayLike<number>, references: ArrayLike<number>): number {
  checkLengths(predictions, references);
  let right = 0;
  for (let i = 0; i < references.length; i++) if (predictions[i] === references[i]) right++;
  return right / references.length;
}

/** Options of {@link f1Score}. */
export interface F1Options {
  /** Number of classes (binary F1 when 2, macro F1 above). */
  numLabels: number;
}

/**
 * F1: binary (positive class 1) for two labels, macro-averaged for more.
 *
 * @example
 * ```ts
 * import { f1Score } from "./metrics.ts";
 * // tp = 2, fp = 1, fn = 1 → precision 2/3, recall 2/3, F1 2/3
 * if (Math.abs(f1Score([1, 1, 1, 0, 0], [1, 1, 0, 1, 0], { numLabels: 2 }) - 2 / 3) > 1e-12) throw new Error("binary");
 * ```
 */
export function f1Score(predictions: ArrayLike<number>, references: ArrayLike<number>, options: F1Options): number {
  checkLengths(predictions, references);
  const k = options.numLabels;
  const classF1 = (c: number): number => {
    let tp = 0, fp = 0, fn = 0;
    for (let i = 0; i < references.length; i++) {
      const p = predictions[i] === c, r = references[i] === c;
      if (p && r) tp++;
      else if (p) fp++;
      else if (r) fn++;
    }
    return tp === 0 ? 0 : (2 * tp) / (2 * tp + fp + fn);
  };
  if (k === 2) return classF1(1);
  let sum = 0;
  for (let c = 0; c < k; c++) sum += classF1(c);
  return sum / k;
}

function checkLengths(predictions: ArrayLike<number>, references: ArrayLike<number>): void {
  if (predictions.length !== references.length) {
    throw new Error(`metrics: ${predictions.length} predictions for ${references.length} references`);
  }
  if (references.length === 0) throw new Error("metrics: no examples");
}
