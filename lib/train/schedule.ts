/**
 * Learning-rate schedules, computed per optimizer step exactly as PyTorch's `LambdaLR` does with Hugging Face's
 * `get_linear_schedule_with_warmup` lambda (float64 arithmetic, the same operations in the same order).
 *
 * @module
 */

/** Options of {@link linearScheduleWithWarmup}. */
export interface LinearScheduleOptions {
  /** Peak learning rate (TrainingArguments `learning_rate`). */
  baseLr: number;
  /** Steps of linear warm-up from 0 (`warmup_steps`). */
  warmupSteps: number;
  /** Total optimizer steps; the rate reaches 0 here (`max_steps`). */
  totalSteps: number;
}

/** A learning rate for each optimizer step (0-based: the rate used by the step that follows `step` updates). */
export type Schedule = (step: number) => number;

/**
 * HF `get_linear_schedule_with_warmup`: `step / max(1, warmup)` while warming up, then
 * `max(0, (total - step) / max(1, total - warmup))`, times the base rate.
 *
 * @example
 * ```ts
 * import { linearScheduleWithWarmup } from "./schedule.ts";
 * const lr = linearScheduleWithWarmup({ baseLr: 1e-3, warmupSteps: 1, totalSteps: 5 });
 * if (lr(0) !== 0 || lr(1) !== 1e-3 || lr(2) !== 7.5e-4) throw new Error("unexpected");
 * ```
 */
export function linearScheduleWithWarmup(options: LinearScheduleOptions): Schedule {
  const { baseLr, warmupSteps, totalSteps } = options;
  if (!(baseLr >= 0) || !Number.isFinite(baseLr)) throw new Error(`schedule: baseLr must be >= 0, got ${baseLr}`);
  if (!Number.isInteger(warmupSteps) || warmupSteps < 0) {
    throw new Error(`schedule: warmupSteps must be an integer >= 0, got ${warmupSteps}`);
  }
  if (!Number.isInteger(totalSteps) || totalSteps < 1) {
    throw new Error(`schedule: totalSteps must be an integer >= 1, got ${totalSteps}`);
  }
  return (step: number): number => {
    if (step < warmupSteps) return baseLr * (step / Math.max(1, warmupSteps));
    return baseLr * Math.max(0, (totalSteps - step) / Math.max(1, totalSteps - warmupSteps));
  };
}
