/**
 * The training loop of the course's `Trainer` run, with exact resume, shared by the masked LM ({@link train}) and the
 * sequence classifier (`lib/classify/train.ts`), which brings its own rows, collator and evaluation.
 *
 * Per epoch the training rows are permuted by `Rng(seed).fork("epoch", e)`; optimizer step `s` collates its
 * micro-batch `k` with `Rng(seed).fork("collate", s, k)` and draws dropout from `Rng(seed).fork("dropout", s, k)`.
 * Every random draw is therefore a pure function of (seed, step), and a checkpoint only has to hold the weights,
 * AdamW's moments and the {@link RunState} to continue bit for bit.
 *
 * Each step is {@link trainStep}; after each epoch (and at the last step) the eval set is scored. Logs go to
 * `metrics.jsonl` (header, step lines, eval lines, summary) and `trainer_state.json`; checkpoints follow
 * `save_strategy`; a progress bar is drawn on a TTY. Aborting the signal saves a checkpoint after the current step.
 *
 * @module
 */
import { tf } from "../deps.ts";
import { permutation, Rng } from "../data/rng.ts";
import type { Chunk, MlmBatch } from "../data/types.ts";
import { AdamW } from "./adamw.ts";
import { type ArgDefaults, MLM_DEFAULTS, type ResolvedArgs, resolveTrainArgs, type TrainArgs } from "./args.ts";
import {
  enqueueTrainStep,
  type LabelledBatch,
  readTrainStep,
  type TrainableModel,
  trainableParams,
  type TrainStepResult,
} from "./step.ts";
import { linearScheduleWithWarmup, type Schedule } from "./schedule.ts";
import { type EvalResult, evaluateMlm } from "./evaluate.ts";
import { listCheckpoints, loadCheckpoint, restoreWeights, saveCheckpoint } from "./checkpoint.ts";
import { RunState } from "./run_state.ts";
import {
  appendJsonl,
  type EpochRow,
  epochRows,
  evalTimings,
  formatEpochTable,
  headerLine,
  type LogEntry,
  round4,
  type RunHeaderInfo,
  summaryLine,
  writeTrainerState,
} from "./metrics.ts";
import { ProgressBar } from "./progress.ts";

export { stepsPerEpoch, type TrainArgs } from "./args.ts";
export {
  type TrainableModel,
  trainableParams,
  trainStep,
  type TrainStepOptions,
  type TrainStepResult,
} from "./step.ts";

/** A masking collator (from `lib/collate`). */
export type BatchCollator = (examples: readonly Chunk[]) => MlmBatch;

/** How a training run saves, stops, reports and logs (shared by {@link TrainInputs} and {@link TrainingLoop}). */
export interface RunHooks {
  /** Write the model (config, weights, tokenizer files) into a folder. */
  saveModel: (dir: string) => Promise<void>;
  /** Aborting (Ctrl-C) saves a checkpoint after the current step and returns with `interrupted`. */
  signal?: AbortSignal;
  /** Progress bar: `true` forces it, `false` hides it; default: on a TTY. */
  progress?: boolean;
  /** Lines of human-readable output (default: console.log). */
  log?: (line: string) => void;
  /** Called after every optimizer step (tests use it to interrupt). */
  onStep?: (step: number) => void;
  /** The header line written first to `metrics.jsonl` ({@link headerLine}); none when absent. */
  runHeader?: RunHeaderInfo;
}

/** What the masked-LM loop trains on and how it saves. */
export interface TrainInputs extends RunHooks {
  /** Training chunks. */
  train: readonly Chunk[];
  /** Eval batches, masked once. */
  evalBatches: readonly MlmBatch[];
  /** A collator drawing from `rng` (called once per micro-batch with a fresh fork). */
  makeCollator: (rng: Rng) => BatchCollator;
}

/** The result of a training run ({@link train}, the classifier's `trainClassifier`); `R` is one evaluation. */
export interface TrainResult<R = EvalResult> {
  /** Optimizer steps taken in total. */
  globalStep: number;
  /** One row per evaluation (all sessions of the run). */
  epochs: EpochRow[];
  /** The table, formatted ({@link formatEpochTable}). */
  table: string;
  /** Every evaluation of this session, in order. */
  evals: R[];
  /** Training throughput (real tokens per second) of this session. */
  tokensPerSecond: number;
  /** Seconds of training in this session. */
  trainRuntime: number;
  /** Set when the run stopped on the signal; the checkpoint written. */
  interrupted?: string;
}

/** Thrown when a training loss is NaN or infinite; names the step and the last good checkpoint. */
export class NonFiniteLossError extends Error {}

/** What {@link runTraining}'s evaluation hook is told. */
export interface EvaluateContext {
  /** Fractional epoch reached (rounded to 4 places, as logged). */
  epoch: number;
  /** Optimizer steps taken. */
  step: number;
}

/** What an evaluation hands back to {@link runTraining}. */
export interface LoopEvaluation<R> {
  /** The full result, kept in `evals`. */
  result: R;
  /**
   * Fields of the eval line of `metrics.jsonl` (see `metrics.ts`), between `epoch` and `train_loss`, `step`; must
   * hold `eval_loss` (the best metric).
   */
  fields: LogEntry;
  /** The human-readable line after `epoch E: `. */
  line: string;
}

/** What {@link runTraining} trains on, how it evaluates, logs and saves; `E` is a training row, `B` a batch. */
export interface TrainingLoop<E, B extends LabelledBatch, R> extends RunHooks {
  /** Training rows. */
  train: readonly E[];
  /** A collator for one micro-batch, given the fork `Rng(seed).fork("collate", step, k)` (it may ignore it). */
  makeCollator: (rng: Rng) => (examples: readonly E[]) => B;
  /** Score the eval set (after every epoch and at the last step). */
  evaluate: (context: EvaluateContext) => Promise<LoopEvaluation<R>>;
  /** Defaults of the arguments that differ by task (default: the masked LM's). */
  defaults?: ArgDefaults;
}

function realTokens(batch: { attention_mask: Int32Array }): number {
  let n = 0;
  for (const m of batch.attention_mask) n += m;
  return n;
}

/** The micro-batches of the step `state` is at, from the epoch's `order`, and their real tokens. */
function stepBatches<E, B extends LabelledBatch>(
  loop: TrainingLoop<E, B, unknown>,
  state: RunState,
  order: Int32Array | number[],
): { batches: B[]; tokens: number } {
  const { perDeviceTrainBatchSize: bs, gradientAccumulationSteps: accum, batchesPerEpoch, seed } = state.args;
  const n = loop.train.length, first = state.stepInEpoch * accum;
  const batches: B[] = [];
  let tokens = 0;
  for (let k = 0; k < Math.min(accum, batchesPerEpoch - first); k++) {
    const b = first + k;
    const examples = Array.from(order.slice(b * bs, Math.min(n, (b + 1) * bs)), (i) => loop.train[i]);
    const batch = loop.makeCollator(new Rng(seed).fork("collate", state.globalStep, k))(examples);
    tokens += realTokens(batch);
    batches.push(batch);
  }
  return { batches, tokens };
}

/** A step taken (enqueued) whose numbers are not read yet, with what its log line needs. */
interface TakenStep {
  /** Its numbers, being read (the read is issued when the step is enqueued, and awaited one step later). */
  result: Promise<TrainStepResult>;
  /** Its number (1-based, as logged). */
  step: number;
  /** Its epoch (0-based) and the fractional epoch after it. */
  epoch: number;
  epochFloat: number;
  /** Real tokens it trained on. */
  tokens: number;
  /** When it was enqueued (`performance.now()`). */
  startedAt: number;
}

/** What a {@link RunRecorder} works with. */
interface RecorderParts<R> {
  state: RunState;
  loop: TrainingLoop<unknown, LabelledBatch, R>;
  optimizer: AdamW;
  schedule: Schedule;
  progress: ProgressBar;
  log: (line: string) => void;
}

/** The run's outputs: `metrics.jsonl`, `trainer_state.json`, checkpoints, evaluations and step logs. */
class RunRecorder<R> {
  readonly evals: R[] = [];
  lastCheckpoint: string | undefined;
  #interval = { lossSum: 0, steps: 0, tokens: 0, withoutLabels: 0, start: 0 };

  readonly state: RunState;
  readonly loop: TrainingLoop<unknown, LabelledBatch, R>;
  readonly optimizer: AdamW;
  readonly schedule: Schedule;
  readonly progress: ProgressBar;
  readonly log: (line: string) => void;

  constructor(parts: RecorderParts<R>) {
    this.state = parts.state;
    this.loop = parts.loop;
    this.optimizer = parts.optimizer;
    this.schedule = parts.schedule;
    this.progress = parts.progress;
    this.log = parts.log;
  }

  get metricsPath(): string {
    return `${this.state.args.outputDir}/metrics.jsonl`;
  }

  async record(entry: LogEntry): Promise<void> {
    this.state.logHistory.push(entry);
    await appendJsonl(this.metricsPath, entry);
  }

  /**
   * Read a taken step's numbers (the loss, gradient norm and applied flag) and log them: its loss into the run state,
   * the progress bar, and the step line every `logging_steps`. Throws {@link NonFiniteLossError} when it was not
   * applied.
   */
  async read(taken: TakenStep): Promise<void> {
    const r = await taken.result;
    if (!r.applied) throw this.nonFinite(r, taken.step);
    const s = this.state, iv = this.#interval;
    s.addLoss(taken.epoch, r.loss);
    if (iv.steps === 0) iv.start = taken.startedAt;
    iv.lossSum += r.loss;
    iv.steps += 1;
    iv.tokens += taken.tokens;
    iv.withoutLabels += r.batchesWithoutLabels;
    this.progress.update({ step: taken.step, loss: r.loss, lr: this.schedule(taken.step - 1), tokens: taken.tokens });
    if (taken.step % s.args.loggingSteps === 0) {
      await this.record({
        epoch: taken.epochFloat,
        grad_norm: r.gradNorm,
        learning_rate: this.schedule(taken.step),
        loss: round4(iv.lossSum / iv.steps),
        step: taken.step,
        tokens_per_second: Math.round(iv.tokens / Math.max(1e-9, (performance.now() - iv.start) / 1000)),
        batches_without_labels: iv.withoutLabels,
      });
      this.#interval = { lossSum: 0, steps: 0, tokens: 0, withoutLabels: 0, start: 0 };
    }
  }

  async evaluate(): Promise<void> {
    const s = this.state, epoch = s.epochFloat, current = s.epochLoss();
    const ev = await this.loop.evaluate({ epoch, step: s.globalStep });
    this.evals.push(ev.result);
    const trainLoss = current.steps > 0 ? current.loss_sum / current.steps : null;
    await this.record({ epoch, ...ev.fields, train_loss: trainLoss, step: s.globalStep });
    s.evaluated(Number(ev.fields.eval_loss));
    this.progress.done();
    this.log(`epoch ${epoch}: ${ev.line}`);
  }

  async checkpoint(): Promise<string> {
    const optState = this.optimizer.state();
    try {
      this.lastCheckpoint = await saveCheckpoint(this.state.args.outputDir, {
        saveModel: this.loop.saveModel,
        optimizer: optState,
        trainerState: this.state.trainerState(),
        trainingState: this.state.trainingState(this.schedule(this.state.globalStep)),
        saveTotalLimit: this.state.args.saveTotalLimit,
      });
    } finally {
      tf.dispose([...optState.m.values(), ...optState.v.values()]);
    }
    return this.lastCheckpoint;
  }

  /** Whether `save_strategy` asks for a checkpoint now. */
  get saveDue(): boolean {
    const s = this.state, a = s.args;
    return (a.saveStrategy === "steps" && s.globalStep % a.saveSteps === 0) ||
      (a.saveStrategy === "epoch" && s.epochDone);
  }

  async interrupt(): Promise<string> {
    this.progress.done();
    const at = `checkpoint-${this.state.globalStep}`;
    const dir = this.lastCheckpoint?.endsWith(at) ? this.lastCheckpoint : await this.checkpoint();
    this.log(`interrupted: saved ${dir}; continue with --resume-from-checkpoint ${dir}`);
    return dir;
  }

  nonFinite(r: TrainStepResult, step: number): NonFiniteLossError {
    this.progress.done();
    return new NonFiniteLossError(
      `training loss is ${r.loss} (gradient norm ${r.gradNorm}) at step ${step}; ` +
        "stopped without applying it. " +
        (this.lastCheckpoint
          ? `The last good checkpoint is ${this.lastCheckpoint}.`
          : "No checkpoint was written yet.") +
        " Try a lower --learning-rate or --max-grad-norm.",
    );
  }
}

/** The run state: fresh, or from `resumeFromCheckpoint` (weights and optimizer restored too). */
async function startState(
  a: ResolvedArgs,
  params: Map<string, tf.Variable>,
  optimizer: AdamW,
  log: (line: string) => void,
): Promise<RunState> {
  if (!a.resumeFromCheckpoint) return new RunState(a);
  const ck = await loadCheckpoint(a.resumeFromCheckpoint);
  const state = RunState.resume(a, ck);
  const sch = ck.trainingState.scheduler;
  if (sch.base_lr !== a.learningRate || sch.warmup_steps !== a.warmupSteps || sch.total_steps !== a.totalSteps) {
    log(
      `note: the checkpoint's schedule (lr ${sch.base_lr}, warmup ${sch.warmup_steps}, total ${sch.total_steps}) ` +
        `differs from this run's (lr ${a.learningRate}, warmup ${a.warmupSteps}, total ${a.totalSteps}); using this run's`,
    );
  }
  await restoreWeights(params, ck.dir);
  optimizer.loadState(ck.optimizer);
  tf.dispose([...ck.optimizer.m.values(), ...ck.optimizer.v.values()]);
  log(`resuming from ${ck.dir} at step ${state.globalStep} (epoch ${state.epoch}, step ${state.stepInEpoch} of it)`);
  return state;
}

/**
 * The training loop shared by the masked-LM {@link train} and the classifier's `trainClassifier`: train `model` in
 * place with exact resume; write the header, step, eval and summary lines of `metrics.jsonl`, `trainer_state.json`,
 * checkpoints and finally the model into `args.outputDir`. What differs between tasks comes in `loop`: the rows and
 * their collator, the evaluation and the argument defaults; the loss is the model's.
 *
 * @example
 * ```ts ignore
 * const r = await runTraining(model, { outputDir: "runs/x" }, {
 *   train: rows, makeCollator: () => (rows) => collate(rows), saveModel: (dir) => save(model, dir),
 *   evaluate: async ({ epoch }) => ({ result: {}, fields: { eval_loss: 1 }, line: `eval ${epoch}` }),
 * });
 * ```
 */
export async function runTraining<E, B extends LabelledBatch, R>(
  model: TrainableModel<B>,
  args: TrainArgs,
  loop: TrainingLoop<E, B, R>,
): Promise<TrainResult<R>> {
  const log = loop.log ?? ((line: string) => console.log(line));
  const a = resolveTrainArgs(args, { trainSamples: loop.train.length, defaults: loop.defaults ?? MLM_DEFAULTS });
  const schedule = linearScheduleWithWarmup({
    baseLr: a.learningRate,
    warmupSteps: a.warmupSteps,
    totalSteps: a.totalSteps,
  });
  const optimizer = new AdamW(trainableParams(model), {
    lr: a.learningRate,
    betas: [a.adamBeta1, a.adamBeta2],
    eps: a.adamEpsilon,
    weightDecay: a.weightDecay,
  });
  try {
    await Deno.mkdir(a.outputDir, { recursive: true });
    const state = await startState(a, model.params, optimizer, log);
    const progress = new ProgressBar({ total: a.totalSteps, force: loop.progress });
    const run = new RunRecorder({ state, loop: loop as RecorderParts<R>["loop"], optimizer, schedule, progress, log });
    run.lastCheckpoint = (await listCheckpoints(a.outputDir)).at(-1)?.dir;
    if (loop.runHeader) await appendJsonl(run.metricsPath, headerLine(loop.runHeader));
    // A checkpoint taken at the very end of an epoch may predate that epoch's evaluation.
    if (state.epochDone && !state.epochEvaluated && state.globalStep > 0) await run.evaluate();
    state.nextEpoch();

    // The loop. Each step is enqueued before the previous one is read (its loss and gradient norm arrive one step
    // late, while the device runs this one); before an evaluation, a checkpoint or a stop the step is read at once.
    const t0 = performance.now(), startStep = state.globalStep, startTokens = state.tokensSeen;
    let interrupted: string | undefined, taken: TakenStep | undefined;
    while (!state.finished && !interrupted) {
      const order = permutation(loop.train.length, new Rng(a.seed).fork("epoch", state.epoch));
      while (!state.epochDone && !interrupted) {
        const step = state.globalStep, epoch = state.epoch, startedAt = performance.now();
        const { batches, tokens } = stepBatches(loop, state, order);
        const pending = enqueueTrainStep(model, batches, {
          optimizer,
          lr: schedule(step),
          maxGradNorm: a.maxGradNorm,
          training: true,
          rngFor: (k) => new Rng(a.seed).fork("dropout", step, k),
        });
        state.advance(tokens);
        loop.onStep?.(state.globalStep);
        const previous = taken;
        const result = readTrainStep(pending);
        result.catch(() => {}); // awaited below or in the next step; a failure surfaces there
        taken = { result, step: step + 1, epoch, epochFloat: state.epochFloat, tokens, startedAt };
        if (previous) await run.read(previous);
        if (!state.epochDone && !run.saveDue && !loop.signal?.aborted) continue;
        await run.read(taken);
        taken = undefined;
        if (state.epochDone) await run.evaluate();
        if (run.saveDue) await run.checkpoint();
        if (loop.signal?.aborted) interrupted = await run.interrupt();
      }
      if (!interrupted) state.nextEpoch();
    }
    progress.done();

    const seconds = (performance.now() - t0) / 1000, steps = state.globalStep - startStep;
    const tokens = state.tokensSeen - startTokens, per = (x: number) => x / Math.max(1e-9, seconds);
    const lossSum = state.epochLosses.reduce((acc, e) => acc + e.loss_sum, 0);
    const lossSteps = state.epochLosses.reduce((acc, e) => acc + e.steps, 0);
    await run.record(summaryLine({
      train_runtime: seconds,
      train_samples_per_second: per(steps * a.perDeviceTrainBatchSize * a.gradientAccumulationSteps),
      train_steps_per_second: per(steps),
      train_loss: lossSteps > 0 ? lossSum / lossSteps : NaN,
      epoch: state.epochFloat,
      step: state.globalStep,
      tokens_per_second: per(tokens),
      num_input_tokens_seen: state.tokensSeen,
    }));
    await writeTrainerState(a.outputDir, state.trainerState());
    if (!interrupted) await loop.saveModel(a.outputDir);
    const epochs = epochRows(state.logHistory);
    return {
      globalStep: state.globalStep,
      epochs,
      table: formatEpochTable(epochs),
      evals: run.evals,
      tokensPerSecond: per(tokens),
      trainRuntime: seconds,
      interrupted,
    };
  } finally {
    optimizer.dispose();
  }
}

/**
 * Train a masked-LM `model` in place ({@link runTraining} with the masking collator and {@link evaluateMlm}).
 * Returns the per-epoch table; writes checkpoints, `metrics.jsonl`, `trainer_state.json` and finally the model into
 * `args.outputDir`.
 *
 * @example
 * ```ts ignore
 * const result = await train(model, { outputDir: "runs/x", numTrainEpochs: 1 }, {
 *   train: chunks, evalBatches, makeCollator: (rng) => createMlmCollator({ ...ids, rng }),
 *   saveModel: (dir) => savePretrained(model, dir, { tokenizerDir }),
 * });
 * console.log(result.table);
 * ```
 */
export async function train(model: TrainableModel, args: TrainArgs, inputs: TrainInputs): Promise<TrainResult> {
  if (inputs.evalBatches.length === 0) throw new Error("the eval set is empty");
  return await runTraining(model, args, {
    ...inputs,
    evaluate: async () => {
      const ev = await evaluateMlm(model, inputs.evalBatches);
      return {
        result: ev,
        fields: {
          eval_loss: ev.eval_loss,
          perplexity: ev.perplexity,
          eval_loss_token_weighted: ev.eval_loss_token_weighted,
          perplexity_token_weighted: ev.perplexity_token_weighted,
          eval_batches_without_labels: ev.eval_batches_without_labels,
          ...evalTimings(ev.eval_runtime, ev.eval_samples, inputs.evalBatches.length),
        },
        line: `eval_loss ${ev.eval_loss.toFixed(4)}, perplexity ${ev.perplexity.toFixed(2)}`,
      };
    },
  });
}
