/**
 * The object that holds where a training run stands: Hugging Face's `TrainerState` fields (`global_step`,
 * `epoch`, `best_metric`, `log_history`, `num_input_tokens_seen`, …) and the data position that exact resume needs
 * (epoch, step within it, the per-epoch loss sums, the schedule). It is serialised as HF's `trainer_state.json`
 * ({@link RunState.trainerState}) beside `training_state.json` ({@link RunState.trainingState}: the position, in the
 * `mlm-adapt-training-state/1` format), and rebuilt from a checkpoint by {@link RunState.resume}.
 *
 * @module
 */
import { Rng, type RngState } from "../data/rng.ts";
import type { ResolvedArgs } from "./args.ts";
import { type LogEntry, newTrainerState, round4, type TrainerState } from "../log_schema.ts";
import type { ResumePoint } from "./sink.ts";
import type { GradScalerState } from "./grad_scaler.ts";

/** Where training stands, enough to continue exactly (`training_state.json`). */
export interface TrainingState {
  /** Format marker. */
  format: "mlm-adapt-training-state/1";
  /** Optimizer steps taken. */
  global_step: number;
  /** Epoch being trained (0-based). */
  epoch: number;
  /** Optimizer steps done within `epoch` (equal to `steps_per_epoch` once the epoch is finished). */
  step_in_epoch: number;
  /** Optimizer steps per epoch. */
  steps_per_epoch: number;
  /** Whether `epoch`'s end-of-epoch evaluation has run. */
  epoch_evaluated: boolean;
  /** Seed of the run; every random stream is a fork of `Rng(seed)` named by epoch/step (see plan.ts). */
  seed: number;
  /** `Rng(seed).state()`, for the record. */
  rng_state: RngState;
  /** The schedule: `lr(step)` is recomputed from these on resume. */
  scheduler: { type: "linear"; base_lr: number; warmup_steps: number; total_steps: number; last_lr: number };
  /** Arguments that must match on resume (batch size, accumulation, data size...). */
  args: Record<string, number | string | boolean>;
  /** Mean training loss of each epoch so far, and its step count (for the final table). */
  epoch_losses: { epoch: number; loss_sum: number; steps: number }[];
  /** Real tokens trained on so far. */
  tokens_seen: number;
  /** `--fp16`: the loss scaler's state (torch's `GradScaler.state_dict()`). */
  grad_scaler?: GradScalerState;
  /** `--fp16`: steps skipped on an inf/NaN gradient so far (the schedule and AdamW did not advance on them). */
  skipped_steps?: number;
}

/** Loss sum and step count of one epoch. */
export type EpochLoss = TrainingState["epoch_losses"][number];

/** Arguments that must be the same when resuming (HF snake_case names, as in `training_state.json`). */
function resumeKey(a: ResolvedArgs): Record<string, number> {
  return {
    seed: a.seed,
    per_device_train_batch_size: a.perDeviceTrainBatchSize,
    gradient_accumulation_steps: a.gradientAccumulationSteps,
    train_samples: a.trainSamples,
  };
}

/**
 * Where a run stands. Steps advance with {@link RunState.advance} when taken, their losses are added with
 * {@link RunState.addLoss} when read; epochs advance with {@link RunState.nextEpoch}.
 *
 * @example
 * ```ts
 * import { MLM_DEFAULTS, resolveTrainArgs } from "./args.ts";
 * import { RunState } from "./run_state.ts";
 * const args = resolveTrainArgs({ outputDir: "x", numTrainEpochs: 1 }, { trainSamples: 128, defaults: MLM_DEFAULTS });
 * const s = new RunState(args);
 * s.advance(100);
 * s.addLoss(0, 2);
 * if (s.globalStep !== 1 || s.epochFloat !== 0.5 || s.epochLosses[0].loss_sum !== 2) throw new Error();
 * ```
 */
export class RunState {
  /** The resolved arguments of this session. */
  readonly args: ResolvedArgs;
  /** Optimizer steps taken. */
  globalStep = 0;
  /** Epoch being trained (0-based). */
  epoch = 0;
  /** Steps done within {@link RunState.epoch}. */
  stepInEpoch = 0;
  /** Whether this epoch's end-of-epoch evaluation has run. */
  epochEvaluated = false;
  /** Real (non-pad) tokens trained on. */
  tokensSeen = 0;
  /** Loss sum and step count of each epoch so far (for the table and `train_loss`). */
  epochLosses: EpochLoss[] = [];
  /** Best (lowest) eval loss, HF's `best_metric`. */
  bestMetric: number | null = null;
  /** HF's `log_history`: every step log, evaluation and summary, in order. */
  logHistory: LogEntry[] = [];
  /** Steps a loss scaler skipped (inf/NaN gradient): taken, but the optimizer and the schedule did not advance. */
  skippedSteps = 0;
  /** The loss scaler's state, kept with each checkpoint (`--fp16`); undefined without one. */
  gradScaler: GradScalerState | undefined;
  #trainer: TrainerState;

  /** A fresh run for `args`. */
  constructor(args: ResolvedArgs) {
    this.args = args;
    this.#trainer = newTrainerState({ train_batch_size: args.perDeviceTrainBatchSize });
  }

  /**
   * Continue from a checkpoint: its position, loss sums, log history and best metric; this run's schedule. Fails
   * when the checkpoint was trained with another seed, batch size, accumulation or training-set size.
   */
  static resume(args: ResolvedArgs, ck: ResumePoint): RunState {
    const want = resumeKey(args);
    for (const [k, v] of Object.entries(want)) {
      if (ck.trainingState.args[k] !== v) {
        throw new Error(
          `resumeFromCheckpoint ${ck.name}: it was trained with ${k}=${ck.trainingState.args[k]}, this run has ` +
            `${k}=${v}; resume with the same arguments`,
        );
      }
    }
    const s = new RunState(args);
    const t = ck.trainingState;
    s.globalStep = t.global_step;
    s.epoch = t.epoch;
    s.stepInEpoch = t.step_in_epoch;
    s.epochEvaluated = t.epoch_evaluated;
    s.tokensSeen = t.tokens_seen;
    s.epochLosses = t.epoch_losses.map((e) => ({ ...e }));
    s.bestMetric = ck.trainerState.best_metric;
    s.logHistory = [...ck.trainerState.log_history];
    s.skippedSteps = t.skipped_steps ?? 0;
    s.gradScaler = t.grad_scaler;
    s.#trainer = { ...ck.trainerState };
    return s;
  }

  /** Fractional epoch as HF logs it (rounded to 4 places): 1.0 at the end of the first epoch. */
  get epochFloat(): number {
    return round4(this.epoch + this.stepInEpoch / this.args.stepsPerEpoch);
  }

  /** Optimizer steps applied (taken minus skipped): where the learning-rate schedule stands, as HF's scheduler. */
  get optimizerSteps(): number {
    return this.globalStep - this.skippedSteps;
  }

  /** True when every step of the run is taken. */
  get finished(): boolean {
    return this.globalStep >= this.args.totalSteps || this.epoch >= this.args.numEpochs;
  }

  /** True when the current epoch has no step left (its last step taken, or the run's). */
  get epochDone(): boolean {
    return this.stepInEpoch >= this.args.stepsPerEpoch || this.globalStep >= this.args.totalSteps;
  }

  /** The loss sum of `epoch` (default: the current one), created at its first use. */
  epochLoss(epoch: number = this.epoch): EpochLoss {
    let e = this.epochLosses.find((x) => x.epoch === epoch);
    if (!e) this.epochLosses.push(e = { epoch, loss_sum: 0, steps: 0 });
    return e;
  }

  /** Count one optimizer step taken (enqueued) and the real tokens it trains on; its loss comes later. */
  advance(tokens: number): void {
    this.epochLoss(); // the epoch's entry exists from its first step on
    this.globalStep += 1;
    this.stepInEpoch += 1;
    this.tokensSeen += tokens;
  }

  /** Add the loss of a step of `epoch` (read back after the step was taken). */
  addLoss(epoch: number, loss: number): void {
    const e = this.epochLoss(epoch);
    e.loss_sum += loss;
    e.steps += 1;
  }

  /** Move to the next epoch once the current one is complete (a no-op otherwise). */
  nextEpoch(): void {
    if (this.stepInEpoch < this.args.stepsPerEpoch) return;
    this.epoch += 1;
    this.stepInEpoch = 0;
    this.epochEvaluated = false;
  }

  /** Record an evaluation's eval loss (HF `best_metric` with `metric_for_best_model="loss"`). */
  evaluated(evalLoss: number): void {
    if (this.bestMetric === null || evalLoss < this.bestMetric) this.bestMetric = evalLoss;
    this.epochEvaluated = true;
  }

  /** HF `trainer_state.json`. */
  trainerState(): TrainerState {
    const a = this.args;
    return {
      ...this.#trainer,
      best_metric: this.bestMetric,
      epoch: this.epochFloat,
      global_step: this.globalStep,
      logging_steps: a.loggingSteps,
      max_steps: a.totalSteps,
      num_train_epochs: a.numEpochs,
      save_steps: a.saveSteps,
      num_input_tokens_seen: this.tokensSeen,
      log_history: this.logHistory,
    };
  }

  /** `training_state.json`: the data position, schedule and resume key. */
  trainingState(lastLr: number): TrainingState {
    const a = this.args;
    return {
      format: "mlm-adapt-training-state/1",
      global_step: this.globalStep,
      epoch: this.epoch,
      step_in_epoch: this.stepInEpoch,
      steps_per_epoch: a.stepsPerEpoch,
      epoch_evaluated: this.epochEvaluated,
      seed: a.seed,
      rng_state: new Rng(a.seed).state(),
      scheduler: {
        type: "linear",
        base_lr: a.learningRate,
        warmup_steps: a.warmupSteps,
        total_steps: a.totalSteps,
        last_lr: lastLr,
      },
      args: resumeKey(a),
      epoch_losses: this.epochLosses,
      tokens_seen: this.tokensSeen,
      ...(this.gradScaler ? { grad_scaler: this.gradScaler, skipped_steps: this.skippedSteps } : {}),
    };
  }
}
