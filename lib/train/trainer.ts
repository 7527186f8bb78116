/**
 * The training loop of the course's `Trainer` run, with exact resume, shared by the masked LM ({@link train}), the
 * sequence classifier (`lib/classify/train.ts`, which brings its own rows, collator and evaluation), the browser page
 * (`lib/web/adapt.ts`) and `bench:train`.
 *
 * Step `s` trains on the micro-batches {@link stepBatches} cuts from the epoch's order, with the seed forks of
 * `plan.ts`, through {@link enqueueTrainStep} (read back one step late by {@link readTrainStep}). After each epoch
 * (and at the last step) the eval set is scored. Every output goes to a {@link RunSink}: the log rows (step, eval
 * and summary lines), checkpoints following `save_strategy`, progress and notes; this module opens no file. Aborting
 * the signal stops after the current step (keeping a checkpoint when the sink keeps them).
 *
 * @module
 */
import { tf } from "../deps.ts";
import type { Rng } from "../data/rng.ts";
import type { Chunk, MlmBatch } from "../data/types.ts";
import { AdamW } from "./adamw.ts";
import { type ArgDefaults, MLM_DEFAULTS, type ResolvedArgs, resolveTrainArgs, type TrainArgs } from "./args.ts";
import {
  enqueueTrainStep,
  type LabelledBatch,
  type PendingStep,
  readTrainStep,
  type TrainableModel,
  trainableParams,
  type TrainStepResult,
} from "./step.ts";
import { dropoutRng, epochOrder, stepBatches } from "./plan.ts";
import { linearScheduleWithWarmup, type Schedule } from "./schedule.ts";
import { type EvalResult, evaluateMlm } from "./evaluate.ts";
import { RunState } from "./run_state.ts";
import { GradScaler, type GradScalerOptions } from "./grad_scaler.ts";
import { assignWeights, type RunSink } from "./sink.ts";
import {
  type EpochRow,
  epochRows,
  evalTimings,
  formatEpochTable,
  type LogEntry,
  round4,
  summaryLine,
} from "../log_schema.ts";

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

/** What a loop may be told between steps (the benchmark times and counts with these; tests interrupt). */
export interface StepHooks {
  /** Before step `step` (1-based) is collated and enqueued. */
  beforeStep?: (step: number) => void;
  /** Step `step` is enqueued (nothing read yet); `onStep` is the same moment. */
  onStep?: (step: number) => void;
  /** Told when a micro-batch's forward, then its backward, is enqueued. */
  onPhase?: (phase: "forward" | "backward") => void;
  /** After step `step`'s enqueue, the previous step's read and this step's read being issued. */
  afterStep?: (step: number) => void;
  /** Step `step`'s numbers were read back. */
  onRead?: (step: number, result: TrainStepResult) => void;
}

/** How a training run is stopped and observed (shared by {@link TrainInputs} and {@link TrainingLoop}). */
export interface RunHooks extends StepHooks {
  /**
   * Aborting stops after the current step (with a checkpoint when the sink keeps them) and returns with
   * `interrupted`. With a signal the loop yields to the event loop (a macrotask) between steps, so that a message
   * handler (a worker's Stop) can run even on a backend whose steps never wait.
   */
  signal?: AbortSignal;
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
  /** Set when the run stopped on the signal: the checkpoint kept (or `step N` when the sink keeps none). */
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
  /** A collator for one micro-batch, given its fork `collateRng(seed, step, k)` of `plan.ts` (it may ignore it). */
  makeCollator: (rng: Rng) => (examples: readonly E[]) => B;
  /** Score the eval set (after every epoch and at the last step). */
  evaluate: (context: EvaluateContext) => Promise<LoopEvaluation<R>>;
  /** Defaults of the arguments that differ by task (default: the masked LM's). */
  defaults?: ArgDefaults;
  /** AdamW's strategy on webgpu: the flat fused kernels (default) or tf ops (`fused: false`, the benchmark compares). */
  fused?: boolean;
  /**
   * Dynamic loss scaling (`--fp16`) with these `GradScaler` settings (`{}`: torch's defaults): the backward runs on
   * the scaled loss, a step whose gradients are inf/NaN is skipped (the optimizer's step count and the schedule do not
   * advance, as HF's Trainer) instead of stopping the run, the scale moves as torch's, and its state is saved with
   * each checkpoint. Each step is then read back before the next is enqueued (the scale of the next depends on it).
   */
  gradScaler?: GradScalerOptions;
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
  /** The learning rate it trained with. */
  lr: number;
}

/** What a {@link RunRecorder} works with. */
interface RecorderParts<R> {
  state: RunState;
  loop: TrainingLoop<unknown, LabelledBatch, R>;
  optimizer: AdamW;
  schedule: Schedule;
  sink: RunSink;
  scaler: GradScaler | undefined;
}

/** The run's outputs, handed to the sink: step rows, evaluations, checkpoints. */
class RunRecorder<R> {
  readonly evals: R[] = [];
  lastCheckpoint: string | undefined;
  #interval = { lossSum: 0, steps: 0, tokens: 0, withoutLabels: 0, skipped: 0, start: 0 };

  readonly state: RunState;
  readonly loop: TrainingLoop<unknown, LabelledBatch, R>;
  readonly optimizer: AdamW;
  readonly schedule: Schedule;
  readonly sink: RunSink;
  readonly scaler: GradScaler | undefined;

  constructor(parts: RecorderParts<R>) {
    this.scaler = parts.scaler;
    this.state = parts.state;
    this.loop = parts.loop;
    this.optimizer = parts.optimizer;
    this.schedule = parts.schedule;
    this.sink = parts.sink;
  }

  async record(entry: LogEntry): Promise<void> {
    this.state.logHistory.push(entry);
    await this.sink.record(entry);
  }

  /**
   * Read a taken step's numbers (the loss, gradient norm and applied flag) and log them: its loss into the run state,
   * the sink's progress, and the step row every `logging_steps`. Throws {@link NonFiniteLossError} when it was not
   * applied, unless a loss scaler skipped it: then the scaler backs off and the step counts as skipped, its loss (when
   * not finite) replaced by the interval's mean so far (HF's `logging_nan_inf_filter`).
   */
  async read(taken: TakenStep): Promise<void> {
    const r = await taken.result;
    this.loop.onRead?.(taken.step, r);
    if (!r.applied && !this.scaler) throw this.nonFinite(r, taken.step);
    const s = this.state, iv = this.#interval;
    let loss = r.loss;
    if (this.scaler) {
      this.scaler.update(!r.applied);
      if (!r.applied) {
        this.optimizer.stepSkipped();
        s.skippedSteps += 1;
        iv.skipped += 1;
      }
      s.gradScaler = this.scaler.state();
      if (!Number.isFinite(loss)) loss = iv.lossSum / (1 + iv.steps);
    }
    s.addLoss(taken.epoch, loss);
    if (iv.steps === 0) iv.start = taken.startedAt;
    iv.lossSum += loss;
    iv.steps += 1;
    iv.tokens += taken.tokens;
    iv.withoutLabels += r.batchesWithoutLabels;
    this.sink.progress?.({
      step: taken.step,
      totalSteps: s.args.totalSteps,
      loss,
      lr: taken.lr,
      tokens: taken.tokens,
    });
    if (taken.step % s.args.loggingSteps === 0) {
      await this.record({
        epoch: taken.epochFloat,
        grad_norm: r.gradNorm,
        learning_rate: this.schedule(taken.step - s.skippedSteps),
        loss: round4(iv.lossSum / iv.steps),
        step: taken.step,
        tokens_per_second: Math.round(iv.tokens / Math.max(1e-9, (performance.now() - iv.start) / 1000)),
        batches_without_labels: iv.withoutLabels,
        ...(this.scaler ? { loss_scale: this.scaler.scale, skipped_steps: iv.skipped } : {}),
      });
      this.#interval = { lossSum: 0, steps: 0, tokens: 0, withoutLabels: 0, skipped: 0, start: 0 };
    }
  }

  async evaluate(): Promise<void> {
    const s = this.state, epoch = s.epochFloat, current = s.epochLoss();
    const ev = await this.loop.evaluate({ epoch, step: s.globalStep });
    this.evals.push(ev.result);
    const trainLoss = current.steps > 0 ? current.loss_sum / current.steps : null;
    await this.record({ epoch, ...ev.fields, train_loss: trainLoss, step: s.globalStep });
    s.evaluated(Number(ev.fields.eval_loss));
    this.sink.note(`epoch ${epoch}: ${ev.line}`);
  }

  /** Hand a checkpoint to the sink (none when it keeps none). */
  async checkpoint(): Promise<string | undefined> {
    if (!this.sink.checkpoint) return undefined;
    const optimizer = this.optimizer.state();
    try {
      this.lastCheckpoint = await this.sink.checkpoint({
        step: this.state.globalStep,
        optimizer,
        trainerState: this.state.trainerState(),
        trainingState: this.state.trainingState(this.schedule(this.state.optimizerSteps)),
        keep: this.state.args.saveTotalLimit,
      });
    } finally {
      tf.dispose([...optimizer.m.values(), ...optimizer.v.values()]);
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
    const at = `checkpoint-${this.state.globalStep}`;
    const kept = this.lastCheckpoint?.endsWith(at) ? this.lastCheckpoint : await this.checkpoint();
    if (kept === undefined) {
      this.sink.note(`interrupted after step ${this.state.globalStep}`);
      return `step ${this.state.globalStep}`;
    }
    this.sink.note(`interrupted: saved ${kept}; continue with --resume-from-checkpoint ${kept}`);
    return kept;
  }

  nonFinite(r: TrainStepResult, step: number): NonFiniteLossError {
    return new NonFiniteLossError(
      `training loss is ${r.loss} (gradient norm ${r.gradNorm}) at step ${step}; ` +
        "stopped without applying it. " +
        (this.lastCheckpoint
          ? `The last good checkpoint is ${this.lastCheckpoint}.`
          : "No checkpoint was written yet.") +
        " Try a lower learning rate or max gradient norm.",
    );
  }
}

/** The run state: fresh, or from `resumeFromCheckpoint` (weights and optimizer restored too). */
async function startState(
  a: ResolvedArgs,
  params: Map<string, tf.Variable>,
  optimizer: AdamW,
  sink: RunSink,
): Promise<RunState> {
  if (!a.resumeFromCheckpoint) return new RunState(a);
  if (!sink.loadCheckpoint) {
    throw new Error(`resumeFromCheckpoint ${a.resumeFromCheckpoint}: this run's sink cannot load checkpoints`);
  }
  const ck = await sink.loadCheckpoint(a.resumeFromCheckpoint);
  try {
    const state = RunState.resume(a, ck);
    const sch = ck.trainingState.scheduler;
    if (sch.base_lr !== a.learningRate || sch.warmup_steps !== a.warmupSteps || sch.total_steps !== a.totalSteps) {
      sink.note(
        `note: the checkpoint's schedule (lr ${sch.base_lr}, warmup ${sch.warmup_steps}, total ${sch.total_steps}) ` +
          `differs from this run's (lr ${a.learningRate}, warmup ${a.warmupSteps}, total ${a.totalSteps}); ` +
          "using this run's",
      );
    }
    assignWeights(params, ck.weights, `${ck.name}/model.safetensors`);
    optimizer.loadState(ck.optimizer);
    sink.note(
      `resuming from ${ck.name} at step ${state.globalStep} (epoch ${state.epoch}, step ${state.stepInEpoch} of it)`,
    );
    return state;
  } finally {
    tf.dispose([...ck.optimizer.m.values(), ...ck.optimizer.v.values()]);
  }
}

/** The run's loss scaler (`loop.gradScaler`): fresh, or the checkpoint's when resuming. */
function startScaler(options: GradScalerOptions | undefined, state: RunState, sink: RunSink): GradScaler | undefined {
  if (!options) {
    if (state.gradScaler) sink.note("note: the checkpoint was trained with --fp16; this run trains in float32");
    state.gradScaler = undefined;
    return undefined;
  }
  if (!state.gradScaler) {
    if (state.globalStep > 0) {
      sink.note("note: the checkpoint has no loss scaler state (float32); starting a fresh one");
    }
    const scaler = new GradScaler(options);
    state.gradScaler = scaler.state();
    return scaler;
  }
  return GradScaler.fromState(state.gradScaler, "the checkpoint's training_state.json");
}

/** Let other tasks (a worker's message handler) run: one macrotask. */
function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

/**
 * The training loop: train `model` in place with exact resume, handing every output to `sink` (step, eval and
 * summary rows, checkpoints, progress; see `sink.ts`). What differs between tasks comes in `loop`: the rows and their
 * collator, the evaluation and the argument defaults; the loss is the model's.
 *
 * @example
 * ```ts
 * import { tf } from "../deps.ts";
 * import { runTraining } from "./trainer.ts";
 * import { MemorySink } from "./sink.ts";
 * const w = tf.variable(tf.scalar(2));
 * const model = { params: new Map([["w", w]]), loss: () => tf.square(w) as tf.Scalar };
 * const rows = [1, 2, 3, 4];
 * const sink = new MemorySink();
 * const r = await runTraining(model, { outputDir: "", learningRate: 0.1, numTrainEpochs: 1, perDeviceTrainBatchSize: 2 }, {
 *   train: rows,
 *   makeCollator: () => (xs) => ({ attention_mask: Int32Array.from(xs, () => 1), labels: Int32Array.from(xs) }),
 *   evaluate: () => Promise.resolve({ result: w.dataSync()[0], fields: { eval_loss: w.dataSync()[0] ** 2 }, line: "" }),
 * }, sink);
 * if (r.globalStep !== 2 || !(r.evals[0] < 2) || sink.rows.at(-1)?.type !== "summary") throw new Error("two steps");
 * ```
 */
export async function runTraining<E, B extends LabelledBatch, R>(
  model: TrainableModel<B>,
  args: TrainArgs,
  loop: TrainingLoop<E, B, R>,
  sink: RunSink,
): Promise<TrainResult<R>> {
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
    fused: loop.fused,
  });
  try {
    const state = await startState(a, model.params, optimizer, sink);
    const scaler = startScaler(loop.gradScaler ?? (args.fp16 ? {} : undefined), state, sink);
    const run = new RunRecorder({ state, loop: loop as RecorderParts<R>["loop"], optimizer, schedule, sink, scaler });
    run.lastCheckpoint = await sink.latestCheckpoint?.();
    await sink.start?.();
    // A checkpoint taken at the very end of an epoch may predate that epoch's evaluation.
    if (state.epochDone && !state.epochEvaluated && state.globalStep > 0) await run.evaluate();
    state.nextEpoch();

    // The loop. Each step is enqueued before the previous one is read (its loss and gradient norm arrive one step
    // late, while the device runs this one); before an evaluation, a checkpoint or a stop the step is read at once.
    const fail = (e: unknown, pending: PendingStep): never => {
      tf.dispose([pending.loss, pending.gradNorm, pending.applied]);
      throw e;
    };
    const t0 = performance.now(), startStep = state.globalStep, startTokens = state.tokensSeen;
    let interrupted: string | undefined, taken: TakenStep | undefined;
    while (!state.finished && !interrupted) {
      const order = epochOrder(a.seed, state.epoch, loop.train.length);
      while (!state.epochDone && !interrupted) {
        const step = state.globalStep, epoch = state.epoch, startedAt = performance.now();
        const lr = schedule(state.optimizerSteps);
        loop.beforeStep?.(step + 1);
        const { batches, tokens } = stepBatches(loop.train, order, state, a, loop.makeCollator);
        const pending = enqueueTrainStep(model, batches, {
          optimizer,
          lr,
          maxGradNorm: a.maxGradNorm,
          training: true,
          rngFor: (k) => dropoutRng(a.seed, step, k),
          onPhase: loop.onPhase,
          lossScale: scaler ? { scale: scaler.scale, invScale: scaler.invScale } : undefined,
        });
        state.advance(tokens);
        loop.onStep?.(state.globalStep);
        if (taken) await run.read(taken).catch((e) => fail(e, pending));
        const result = readTrainStep(pending); // issued now, awaited in the next step (or below)
        result.catch(() => {}); // a failure surfaces where it is awaited
        taken = { result, step: step + 1, epoch, epochFloat: state.epochFloat, tokens, startedAt, lr };
        loop.afterStep?.(step + 1);
        if (loop.signal) await yieldToEventLoop();
        if (!scaler && !state.epochDone && !run.saveDue && !loop.signal?.aborted) continue;
        await run.read(taken);
        taken = undefined;
        if (state.epochDone) await run.evaluate();
        if (run.saveDue) await run.checkpoint();
        if (loop.signal?.aborted) interrupted = await run.interrupt();
      }
      if (!interrupted) state.nextEpoch();
    }

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
    await sink.finish({ trainerState: state.trainerState(), interrupted: interrupted !== undefined });
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
    sink.close?.();
    optimizer.dispose();
  }
}

/**
 * Train a masked-LM `model` in place ({@link runTraining} with the masking collator and {@link evaluateMlm}).
 * Returns the per-epoch table; every output goes to `sink`.
 *
 * @example
 * ```ts ignore
 * const result = await train(model, { outputDir: "runs/x", numTrainEpochs: 1 }, {
 *   train: chunks, evalBatches, makeCollator: (rng) => createMlmCollator({ ...ids, rng }),
 * }, new MemorySink());
 * console.log(result.table);
 * ```
 */
export async function train(
  model: TrainableModel,
  args: TrainArgs,
  inputs: TrainInputs,
  sink: RunSink,
): Promise<TrainResult> {
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
  }, sink);
}
