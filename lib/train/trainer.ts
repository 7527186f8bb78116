/**
 * The training loop of the course's `Trainer` run, with exact resume.
 *
 * Per epoch the training chunks are permuted by `Rng(seed).fork("epoch", e)`; optimizer step `s` masks its
 * micro-batch `k` with a collator made from `Rng(seed).fork("collate", s, k)` and draws dropout from
 * `Rng(seed).fork("dropout", s, k)`. Every random draw is therefore a pure function of (seed, step), and a checkpoint
 * only has to hold the weights, AdamW's moments, the step and the data position to continue bit for bit.
 *
 * The loop ({@link runTraining}) is shared with the sequence classifier (`lib/classify/train.ts`), which brings its own
 * rows, collator, evaluation and summary line.
 *
 * One optimizer step: forward/backward of each micro-batch (loss divided by the number of micro-batches) inside
 * `tf.tidy`, gradients summed, global-norm clipping, AdamW with the linear schedule's rate for this step. After each
 * epoch the eval set (masked once by the caller) is scored ({@link evaluateMlm}). Logs go to `metrics.jsonl` and
 * `trainer_state.json`; a progress bar is drawn on a TTY.
 *
 * @module
 */
import { tf } from "../deps.ts";
import { permutation, Rng } from "../data/rng.ts";
import type { Chunk, MlmBatch } from "../data/types.ts";
import { AdamW } from "./adamw.ts";
import { clipGradNorm } from "./clip.ts";
import { linearScheduleWithWarmup } from "./schedule.ts";
import { type EvalResult, evaluateMlm } from "./evaluate.ts";
import { listCheckpoints, loadCheckpoint, restoreWeights, saveCheckpoint, type TrainingState } from "./checkpoint.ts";
import {
  appendJsonl,
  type EpochRow,
  formatEpochTable,
  type LogEntry,
  newTrainerState,
  summaryLine,
  type TrainerState,
  writeTrainerState,
} from "./metrics.ts";
import { ProgressBar } from "./progress.ts";

/**
 * The part of a model training needs: its parameters and the loss of a batch `B` (`MaskedLM` from `lib/model` has it
 * for {@link MlmBatch}, the sequence classifiers for `ClassificationBatch`).
 */
export interface TrainableModel<B = MlmBatch> {
  /** Trainable parameters by HF name. */
  params: Map<string, tf.Variable>;
  /** Mean loss of the batch (masked-token cross-entropy for MLM); `training` turns dropout on, drawing from `rng`. */
  loss(batch: B, options: { training: boolean; rng?: Rng }): tf.Scalar;
}

/** A masking collator (from `lib/collate`). */
export type BatchCollator = (examples: readonly Chunk[]) => MlmBatch;

/** Training arguments, named as HF `TrainingArguments` (camelCase). */
export interface TrainArgs {
  /** Where checkpoints, metrics and the final model go. */
  outputDir: string;
  /** Peak learning rate (default 2e-5). */
  learningRate?: number;
  /** AdamW weight decay (default 0.01; none for biases and LayerNorm). */
  weightDecay?: number;
  /** AdamW beta1 (0.9). */
  adamBeta1?: number;
  /** AdamW beta2 (0.999). */
  adamBeta2?: number;
  /** AdamW epsilon (1e-8). */
  adamEpsilon?: number;
  /** Rows per micro-batch (default 64). */
  perDeviceTrainBatchSize?: number;
  /** Epochs (default 3). */
  numTrainEpochs?: number;
  /** When > 0, the total number of optimizer steps (overrides epochs, as HF). */
  maxSteps?: number;
  /** Linear warm-up steps (default 0). */
  warmupSteps?: number;
  /** Global gradient-norm clip (default 1.0; 0 disables). */
  maxGradNorm?: number;
  /** Micro-batches per optimizer step (default 1). */
  gradientAccumulationSteps?: number;
  /** Log every this many optimizer steps (default: steps per epoch, like the course's `len(train) // batch`). */
  loggingSteps?: number;
  /** Seed of every random stream (default 42). */
  seed?: number;
  /** `"epoch"` (default), `"steps"` or `"no"`. */
  saveStrategy?: "epoch" | "steps" | "no";
  /** Steps between checkpoints with `saveStrategy: "steps"` (default 500). */
  saveSteps?: number;
  /** Keep at most this many checkpoints. */
  saveTotalLimit?: number;
  /** Continue from this `checkpoint-STEP` folder. */
  resumeFromCheckpoint?: string;
}

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
  /**
   * Fields of the `{"type":"header"}` line written first to `metrics.jsonl` (task, model, dataset, backend, adapter,
   * started_at, args — never a token). No header line when absent.
   */
  runHeader?: Record<string, unknown>;
}

/** What the loop trains on and how it saves. */
export interface TrainInputs extends RunHooks {
  /** Training chunks. */
  train: readonly Chunk[];
  /** Eval batches, masked once. */
  evalBatches: readonly MlmBatch[];
  /** A collator drawing from `rng` (called once per micro-batch with a fresh fork). */
  makeCollator: (rng: Rng) => BatchCollator;
}

/** The result of {@link train}. */
export interface TrainResult {
  /** Optimizer steps taken in total. */
  globalStep: number;
  /** Per-epoch table rows. */
  epochs: EpochRow[];
  /** The table, formatted. */
  table: string;
  /** Every evaluation, in order. */
  evals: EvalResult[];
  /** Training throughput (real tokens per second) of this session. */
  tokensPerSecond: number;
  /** Set when the run stopped on the signal; the checkpoint written. */
  interrupted?: string;
}

/** Thrown when a training loss is NaN or infinite; names the step and the last good checkpoint. */
export class NonFiniteLossError extends Error {}

/** Arguments with defaults filled. */
type Resolved = Required<Omit<TrainArgs, "resumeFromCheckpoint" | "saveTotalLimit" | "loggingSteps">> & {
  loggingSteps: number;
  resumeFromCheckpoint?: string;
  saveTotalLimit?: number;
};

function resolveArgs(args: TrainArgs, stepsPerEpoch: number): Resolved {
  const r: Resolved = {
    outputDir: args.outputDir,
    learningRate: args.learningRate ?? 2e-5,
    weightDecay: args.weightDecay ?? 0.01,
    adamBeta1: args.adamBeta1 ?? 0.9,
    adamBeta2: args.adamBeta2 ?? 0.999,
    adamEpsilon: args.adamEpsilon ?? 1e-8,
    perDeviceTrainBatchSize: args.perDeviceTrainBatchSize ?? 64,
    numTrainEpochs: args.numTrainEpochs ?? 3,
    maxSteps: args.maxSteps ?? -1,
    warmupSteps: args.warmupSteps ?? 0,
    maxGradNorm: args.maxGradNorm ?? 1.0,
    gradientAccumulationSteps: args.gradientAccumulationSteps ?? 1,
    loggingSteps: args.loggingSteps ?? stepsPerEpoch,
    seed: args.seed ?? 42,
    saveStrategy: args.saveStrategy ?? "epoch",
    saveSteps: args.saveSteps ?? 500,
    saveTotalLimit: args.saveTotalLimit,
    resumeFromCheckpoint: args.resumeFromCheckpoint,
  };
  return r;
}

/**
 * Steps per epoch: `ceil(ceil(n / batch) / accumulation)` (the last micro-batch and the last step may be short).
 *
 * @example
 * ```ts
 * import { stepsPerEpoch } from "./trainer.ts";
 * if (stepsPerEpoch(10000, { batchSize: 64, accumulation: 1 }) !== 157) throw new Error("course: 157");
 * ```
 */
export function stepsPerEpoch(n: number, options: { batchSize: number; accumulation: number }): number {
  const { batchSize, accumulation } = options;
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new Error(`per_device_train_batch_size must be an integer >= 1, got ${batchSize}`);
  }
  if (!Number.isInteger(accumulation) || accumulation < 1) {
    throw new Error(`gradient_accumulation_steps must be an integer >= 1, got ${accumulation}`);
  }
  if (n < 1) throw new Error("the training set is empty");
  return Math.ceil(Math.ceil(n / batchSize) / accumulation);
}

function checkArgs(a: Resolved): void {
  const positive = (name: string, v: number) => {
    if (!(v > 0) || !Number.isFinite(v)) throw new Error(`${name} must be > 0, got ${v}`);
  };
  positive("learning_rate", a.learningRate);
  if (!(a.weightDecay >= 0)) throw new Error(`weight_decay must be >= 0, got ${a.weightDecay}`);
  if (!(a.maxGradNorm >= 0)) throw new Error(`max_grad_norm must be >= 0, got ${a.maxGradNorm}`);
  if (!Number.isInteger(a.warmupSteps) || a.warmupSteps < 0) {
    throw new Error(`warmup_steps must be an integer >= 0, got ${a.warmupSteps}`);
  }
  if (!Number.isInteger(a.loggingSteps) || a.loggingSteps < 1) {
    throw new Error(`logging_steps must be an integer >= 1, got ${a.loggingSteps}`);
  }
  if (!Number.isInteger(a.saveSteps) || a.saveSteps < 1) {
    throw new Error(`save_steps must be an integer >= 1, got ${a.saveSteps}`);
  }
  if (a.maxSteps <= 0) positive("num_train_epochs", a.numTrainEpochs);
  if (!["epoch", "steps", "no"].includes(a.saveStrategy)) {
    throw new Error(`save_strategy must be epoch, steps or no, got ${a.saveStrategy}`);
  }
}

/** Arguments that must be the same when resuming. */
function resumeKey(a: Resolved, n: number): Record<string, number | string | boolean> {
  return {
    seed: a.seed,
    per_device_train_batch_size: a.perDeviceTrainBatchSize,
    gradient_accumulation_steps: a.gradientAccumulationSteps,
    train_samples: n,
  };
}

/**
 * The parameters an optimizer updates: the trainable ones (sinusoidal position tables are not, as in PyTorch).
 *
 * @example
 * ```ts
 * import { tf } from "../deps.ts";
 * import { trainableParams } from "./trainer.ts";
 * const params = new Map([["a", tf.variable(tf.zeros([1]))], ["b", tf.variable(tf.zeros([1]), false)]]);
 * if ([...trainableParams({ params }).keys()].join() !== "a") throw new Error("trainable only");
 * ```
 */
export function trainableParams(model: { params: Map<string, tf.Variable> }): Map<string, tf.Variable> {
  return new Map([...model.params].filter(([, v]) => v.trainable));
}

/** Options of {@link trainStep}. */
export interface TrainStepOptions {
  /** The optimizer (over {@link trainableParams}). */
  optimizer: AdamW;
  /** Learning rate of this step. */
  lr: number;
  /** Global-norm clip (0: none). */
  maxGradNorm: number;
  /** Dropout on (training) or off (eval mode, as the goldens). */
  training: boolean;
  /** Dropout generator of micro-batch `k`. */
  rngFor?: (k: number) => Rng;
}

/** What one optimizer step did. */
export interface TrainStepResult {
  /** Mean of the micro-batches' losses. */
  loss: number;
  /** Global gradient norm before clipping (NaN when not clipping). */
  gradNorm: number;
  /** False when the loss was not finite: nothing was changed. */
  applied: boolean;
}

/**
 * One optimizer step over `batches` (gradient accumulation: each micro-batch's loss is divided by their number):
 * forward/backward inside tidy, summed gradients, global-norm clipping, AdamW at `lr`. A NaN/Inf loss leaves the
 * weights and optimizer untouched (`applied: false`).
 *
 * @example
 * ```ts
 * import { tf } from "../deps.ts";
 * import { AdamW } from "./adamw.ts";
 * import { trainStep } from "./trainer.ts";
 * const w = tf.variable(tf.scalar(2));
 * const model = { params: new Map([["w", w]]), loss: () => tf.square(w) as tf.Scalar };
 * const batch = { input_ids: new Int32Array(1), attention_mask: new Int32Array(1), labels: new Int32Array(1), shape: [1, 1] as [number, number] };
 * const r = await trainStep(model, [batch], { optimizer: new AdamW(model.params, { weightDecay: 0 }), lr: 0.1, maxGradNorm: 1, training: false });
 * if (r.loss !== 4 || Math.abs(w.dataSync()[0] - 1.9) > 1e-6) throw new Error("one step");
 * ```
 */
export async function trainStep<B = MlmBatch>(
  model: TrainableModel<B>,
  batches: readonly B[],
  options: TrainStepOptions,
): Promise<TrainStepResult> {
  const { optimizer, lr, maxGradNorm, training } = options;
  const varList = [...optimizer.params.values()];
  const nameOf = new Map([...optimizer.params].map(([name, v]) => [v.name, name]));
  const micro = batches.length;
  if (micro === 0) throw new Error("trainStep: no batches");
  let lossT: tf.Scalar | undefined;
  let grads = new Map<string, tf.Tensor>();
  for (let k = 0; k < micro; k++) {
    const rng = options.rngFor?.(k);
    const { value, grads: g } = tf.variableGrads(
      () => tf.div(model.loss(batches[k], { training, rng }), micro) as tf.Scalar,
      varList,
    );
    for (const [vname, t] of Object.entries(g)) {
      const pname = nameOf.get(vname);
      if (pname === undefined) throw new Error(`trainStep: gradient for unknown variable ${vname}`);
      const prev = grads.get(pname);
      if (prev) {
        grads.set(pname, tf.tidy(() => tf.add(prev, t)));
        tf.dispose([prev, t]);
      } else {
        grads.set(pname, t);
      }
    }
    const prevLoss = lossT;
    lossT = prevLoss ? tf.tidy(() => tf.add(prevLoss, value)) as tf.Scalar : value;
    if (prevLoss) tf.dispose([prevLoss, value]);
  }
  const loss = (await lossT!.data())[0];
  lossT!.dispose();
  if (!Number.isFinite(loss)) {
    tf.dispose([...grads.values()]);
    return { loss, gradNorm: NaN, applied: false };
  }
  let gradNorm = NaN;
  if (maxGradNorm > 0) {
    const clipped = clipGradNorm(grads, { maxNorm: maxGradNorm });
    tf.dispose([...grads.values()]);
    grads = clipped.grads;
    gradNorm = (await clipped.totalNorm.data())[0];
    clipped.totalNorm.dispose();
  }
  optimizer.step(grads, lr);
  tf.dispose([...grads.values()]);
  return { loss, gradNorm, applied: true };
}

function realTokens(batch: { attention_mask: Int32Array }): number {
  let n = 0;
  for (const m of batch.attention_mask) n += m;
  return n;
}

/** What {@link runTraining}'s evaluation hook is told. */
export interface EvaluateContext {
  /** Fractional epoch reached (rounded to 4 places, as logged). */
  epoch: number;
  /** Optimizer steps taken. */
  step: number;
  /** Mean training loss of the current epoch's steps so far, or null when it has none. */
  epochTrainLoss: number | null;
}

/** What an evaluation hands back to {@link runTraining}. */
export interface LoopEvaluation<R> {
  /** The full result, kept in `evals`. */
  result: R;
  /** Fields of the eval line of `metrics.jsonl`, between `epoch` and `step`; must hold `eval_loss` (best metric). */
  fields: LogEntry;
  /** The human-readable line after `epoch E: `. */
  line: string;
}

/** Figures of one training session, for the summary line. */
export interface SessionStats {
  /** Seconds of training in this session. */
  trainRuntime: number;
  /** Optimizer steps taken in this session. */
  steps: number;
  /** Rows trained on in this session (`steps * batch * accumulation`). */
  samples: number;
  /** Real (non-pad) tokens trained on in this session. */
  tokens: number;
  /** Sum of the step losses of the whole run (all sessions). */
  lossSum: number;
  /** Steps behind `lossSum`. */
  lossSteps: number;
  /** Fractional epoch reached (rounded to 4 places). */
  epoch: number;
  /** Optimizer steps taken in total. */
  step: number;
  /** Real tokens trained on in total. */
  tokensSeen: number;
}

/** What {@link runTraining} trains on, how it evaluates, logs and saves; `E` is a training row, `B` a batch. */
export interface TrainingLoop<E, B extends { attention_mask: Int32Array }, R> extends RunHooks {
  /** Training rows. */
  train: readonly E[];
  /** A collator for one micro-batch, given the fork `Rng(seed).fork("collate", step, k)` (it may ignore it). */
  makeCollator: (rng: Rng) => (examples: readonly E[]) => B;
  /** Score the eval set (after every epoch and at the last step). */
  evaluate: (context: EvaluateContext) => Promise<LoopEvaluation<R>>;
  /** The `{"type":"summary"}` line written last to `metrics.jsonl`. */
  summarize: (stats: SessionStats) => LogEntry;
  /** Also keep the summary line in `trainer_state.json`'s `log_history` (default true, as HF). */
  summaryInHistory?: boolean;
  /**
   * `tokens_per_second` of the step lines: `"session"` (default) since the first step of the session, as the
   * progress bar; `"interval"` over the logging interval's steps only (evaluations and checkpoints not counted).
   */
  throughput?: "session" | "interval";
}

/** The result of {@link runTraining}. */
export interface LoopResult<R> {
  /** Optimizer steps taken in total. */
  globalStep: number;
  /** Every evaluation of this session, in order. */
  evals: R[];
  /** `trainer_state.json`'s `log_history` (all sessions). */
  logHistory: LogEntry[];
  /** Loss sum and step count of each epoch (all sessions). */
  epochLosses: TrainingState["epoch_losses"];
  /** Real training tokens per second in this session. */
  tokensPerSecond: number;
  /** Seconds of training in this session. */
  trainRuntime: number;
  /** Set when the run stopped on the signal; the checkpoint written. */
  interrupted?: string;
}

/**
 * The training loop shared by the masked-LM {@link train} and the classifier's `trainClassifier`: train `model` in
 * place with exact resume; write the header, step, eval and summary lines of `metrics.jsonl`, `trainer_state.json`,
 * checkpoints and finally the model into `args.outputDir`. What differs between tasks comes in `loop`: the rows and
 * their collator, the evaluation and the summary line; the loss is the model's.
 *
 * @example
 * ```ts ignore
 * const r = await runTraining(model, { outputDir: "runs/x" }, {
 *   train: rows, makeCollator: () => (rows) => collate(rows), saveModel: (dir) => save(model, dir),
 *   evaluate: async ({ epoch }) => ({ result: {}, fields: { eval_loss: 1 }, line: `eval ${epoch}` }),
 *   summarize: (s) => ({ type: "summary", train_runtime: s.trainRuntime }),
 * });
 * ```
 */
export async function runTraining<E, B extends { attention_mask: Int32Array }, R>(
  model: TrainableModel<B>,
  args: TrainArgs,
  loop: TrainingLoop<E, B, R>,
): Promise<LoopResult<R>> {
  const log = loop.log ?? ((line: string) => console.log(line));
  const n = loop.train.length;
  const perEpoch = stepsPerEpoch(n, {
    batchSize: args.perDeviceTrainBatchSize ?? 64,
    accumulation: args.gradientAccumulationSteps ?? 1,
  });
  const a = resolveArgs(args, perEpoch);
  checkArgs(a);
  const bs = a.perDeviceTrainBatchSize, accum = a.gradientAccumulationSteps;
  const nBatches = Math.ceil(n / bs);
  const maxSteps = a.maxSteps > 0 ? a.maxSteps : Math.ceil(a.numTrainEpochs * perEpoch);
  const numEpochs = Math.ceil(maxSteps / perEpoch);
  const schedule = linearScheduleWithWarmup({
    baseLr: a.learningRate,
    warmupSteps: a.warmupSteps,
    totalSteps: maxSteps,
  });
  const base = new Rng(a.seed);
  const optimizer = new AdamW(trainableParams(model), {
    lr: a.learningRate,
    betas: [a.adamBeta1, a.adamBeta2],
    eps: a.adamEpsilon,
    weightDecay: a.weightDecay,
  });
  try {
    await Deno.mkdir(a.outputDir, { recursive: true });
    const metricsPath = `${a.outputDir}/metrics.jsonl`;

    let state: TrainerState = newTrainerState({
      logging_steps: a.loggingSteps,
      max_steps: maxSteps,
      num_train_epochs: numEpochs,
      save_steps: a.saveSteps,
      train_batch_size: bs,
    });
    let ts: TrainingState = {
      format: "mlm-adapt-training-state/1",
      global_step: 0,
      epoch: 0,
      step_in_epoch: 0,
      steps_per_epoch: perEpoch,
      epoch_evaluated: false,
      seed: a.seed,
      rng_state: base.state(),
      scheduler: {
        type: "linear",
        base_lr: a.learningRate,
        warmup_steps: a.warmupSteps,
        total_steps: maxSteps,
        last_lr: schedule(0),
      },
      args: resumeKey(a, n),
      epoch_losses: [],
      tokens_seen: 0,
    };

    if (a.resumeFromCheckpoint) {
      const ck = await loadCheckpoint(a.resumeFromCheckpoint);
      const want = resumeKey(a, n);
      for (const [k, v] of Object.entries(want)) {
        if (ck.trainingState.args[k] !== v) {
          throw new Error(
            `--resume-from-checkpoint ${ck.dir}: it was trained with ${k}=${ck.trainingState.args[k]}, this run has ` +
              `${k}=${v}; resume with the same arguments`,
          );
        }
      }
      const sch = ck.trainingState.scheduler;
      if (sch.base_lr !== a.learningRate || sch.warmup_steps !== a.warmupSteps || sch.total_steps !== maxSteps) {
        log(
          `note: the checkpoint's schedule (lr ${sch.base_lr}, warmup ${sch.warmup_steps}, total ${sch.total_steps}) ` +
            `differs from this run's (lr ${a.learningRate}, warmup ${a.warmupSteps}, total ${maxSteps}); using this run's`,
        );
      }
      await restoreWeights(model.params, ck.dir);
      optimizer.loadState(ck.optimizer);
      tf.dispose([...ck.optimizer.m.values(), ...ck.optimizer.v.values()]);
      state = { ...ck.trainerState, max_steps: maxSteps, num_train_epochs: numEpochs, logging_steps: a.loggingSteps };
      ts = { ...ck.trainingState, scheduler: ts.scheduler, args: ts.args };
      log(`resuming from ${ck.dir} at step ${ts.global_step} (epoch ${ts.epoch}, step ${ts.step_in_epoch} of it)`);
    }
    if (loop.runHeader) await appendJsonl(metricsPath, { type: "header", ...loop.runHeader });

    const evals: R[] = [];
    const progress = new ProgressBar({ total: maxSteps, force: loop.progress });
    let lastCheckpoint: string | undefined = (await listCheckpoints(a.outputDir)).at(-1)?.dir;
    let logLossSum = 0, logSteps = 0;
    let intervalStart = 0, intervalTokens = 0; // throughput over each logging interval

    const epochFloat = () => ts.epoch + ts.step_in_epoch / perEpoch;
    const record = async (entry: LogEntry) => {
      state.log_history.push(entry);
      await appendJsonl(metricsPath, entry);
    };
    const checkpoint = async (): Promise<string> => {
      state.global_step = ts.global_step;
      state.epoch = round4(epochFloat());
      state.num_input_tokens_seen = ts.tokens_seen;
      const optState = optimizer.state();
      try {
        lastCheckpoint = await saveCheckpoint(a.outputDir, {
          saveModel: loop.saveModel,
          optimizer: optState,
          trainerState: state,
          trainingState: { ...ts, rng_state: base.state() },
          saveTotalLimit: a.saveTotalLimit,
        });
      } finally {
        tf.dispose([...optState.m.values(), ...optState.v.values()]);
      }
      return lastCheckpoint;
    };
    const evaluate = async () => {
      const epoch = round4(epochFloat());
      const current = ts.epoch_losses.find((e) => e.epoch === ts.epoch);
      const ev = await loop.evaluate({
        epoch,
        step: ts.global_step,
        epochTrainLoss: current && current.steps > 0 ? current.loss_sum / current.steps : null,
      });
      evals.push(ev.result);
      await record({ epoch, ...ev.fields, step: ts.global_step });
      const evalLoss = Number(ev.fields.eval_loss);
      if (state.best_metric === null || evalLoss < state.best_metric) state.best_metric = evalLoss;
      ts.epoch_evaluated = true;
      progress.done();
      log(`epoch ${epoch}: ${ev.line}`);
    };

    // A checkpoint taken at the very end of an epoch may predate that epoch's evaluation.
    if (ts.step_in_epoch >= perEpoch || ts.global_step >= maxSteps) {
      if (!ts.epoch_evaluated && ts.global_step > 0) await evaluate();
      if (ts.step_in_epoch >= perEpoch) {
        ts.epoch += 1;
        ts.step_in_epoch = 0;
        ts.epoch_evaluated = false;
      }
    }

    let interrupted: string | undefined;
    const t0 = performance.now();
    const startStep = ts.global_step;
    let tokensThisSession = 0;
    outer: while (ts.global_step < maxSteps && ts.epoch < numEpochs) {
      const order = permutation(n, base.fork("epoch", ts.epoch));
      if (!ts.epoch_losses.some((e) => e.epoch === ts.epoch)) {
        ts.epoch_losses.push({ epoch: ts.epoch, loss_sum: 0, steps: 0 });
      }
      const epochLoss = ts.epoch_losses.find((e) => e.epoch === ts.epoch)!;
      while (ts.step_in_epoch < perEpoch && ts.global_step < maxSteps) {
        const step = ts.global_step;
        if (intervalTokens === 0) intervalStart = performance.now(); // evaluations and checkpoints not counted
        const firstBatch = ts.step_in_epoch * accum;
        const micro = Math.min(accum, nBatches - firstBatch);
        const lr = schedule(step);
        const batches: B[] = [];
        let tokens = 0;
        for (let k = 0; k < micro; k++) {
          const b = firstBatch + k;
          const examples = order.slice(b * bs, Math.min(n, (b + 1) * bs)).map((i) => loop.train[i]);
          const batch = loop.makeCollator(base.fork("collate", step, k))(examples);
          tokens += realTokens(batch);
          batches.push(batch);
        }
        const result = await trainStep(model, batches, {
          optimizer,
          lr,
          maxGradNorm: a.maxGradNorm,
          training: true,
          rngFor: (k) => base.fork("dropout", step, k),
        });
        const loss = result.loss;
        if (!result.applied) {
          progress.done();
          throw new NonFiniteLossError(
            `training loss is ${loss} at step ${step + 1} (epoch ${ts.epoch + 1}); stopped without applying it. ` +
              (lastCheckpoint ? `The last good checkpoint is ${lastCheckpoint}.` : "No checkpoint was written yet.") +
              " Try a lower --learning-rate or --max-grad-norm.",
          );
        }

        ts.global_step += 1;
        ts.step_in_epoch += 1;
        ts.tokens_seen += tokens;
        tokensThisSession += tokens;
        intervalTokens += tokens;
        epochLoss.loss_sum += loss;
        epochLoss.steps += 1;
        logLossSum += loss;
        logSteps += 1;
        ts.scheduler.last_lr = schedule(ts.global_step);
        progress.update({ step: ts.global_step, loss, lr, tokens });
        if (ts.global_step % a.loggingSteps === 0) {
          const tokensPerSecond = loop.throughput === "interval"
            ? intervalTokens / Math.max(1e-9, (performance.now() - intervalStart) / 1000)
            : progress.tokensPerSecond;
          await record({
            epoch: round4(epochFloat()),
            grad_norm: result.gradNorm,
            learning_rate: ts.scheduler.last_lr,
            loss: round4(logLossSum / logSteps),
            step: ts.global_step,
            tokens_per_second: Math.round(tokensPerSecond),
          });
          logLossSum = 0;
          logSteps = 0;
          intervalTokens = 0;
        }
        loop.onStep?.(ts.global_step);
        const epochDone = ts.step_in_epoch >= perEpoch || ts.global_step >= maxSteps;
        if (epochDone) await evaluate();
        const save = (a.saveStrategy === "steps" && ts.global_step % a.saveSteps === 0) ||
          (a.saveStrategy === "epoch" && epochDone);
        if (save) await checkpoint();
        if (loop.signal?.aborted) {
          progress.done();
          interrupted = lastCheckpoint?.endsWith(`checkpoint-${ts.global_step}`) ? lastCheckpoint : await checkpoint();
          log(`interrupted: saved ${interrupted}; continue with --resume-from-checkpoint ${interrupted}`);
          break outer;
        }
      }
      if (ts.step_in_epoch >= perEpoch) {
        ts.epoch += 1;
        ts.step_in_epoch = 0;
        ts.epoch_evaluated = false;
      }
    }
    progress.done();

    const seconds = (performance.now() - t0) / 1000;
    state.global_step = ts.global_step;
    state.epoch = round4(epochFloat());
    state.num_input_tokens_seen = ts.tokens_seen;
    const stepsThisSession = ts.global_step - startStep;
    const summary = loop.summarize({
      trainRuntime: seconds,
      steps: stepsThisSession,
      samples: stepsThisSession * bs * accum,
      tokens: tokensThisSession,
      lossSum: ts.epoch_losses.reduce((acc, e) => acc + e.loss_sum, 0),
      lossSteps: ts.epoch_losses.reduce((acc, e) => acc + e.steps, 0),
      epoch: state.epoch,
      step: ts.global_step,
      tokensSeen: ts.tokens_seen,
    });
    if (loop.summaryInHistory ?? true) await record(summary);
    else await appendJsonl(metricsPath, summary);
    await writeTrainerState(a.outputDir, state);
    if (!interrupted) await loop.saveModel(a.outputDir);
    return {
      globalStep: ts.global_step,
      evals,
      logHistory: state.log_history,
      epochLosses: ts.epoch_losses,
      tokensPerSecond: tokensThisSession / Math.max(1e-9, seconds),
      trainRuntime: seconds,
      interrupted,
    };
  } finally {
    optimizer.dispose();
  }
}

/**
 * Train a masked-LM `model` in place ({@link runTraining} with the masking collator, {@link evaluateMlm} and the
 * perplexity table). Returns the per-epoch table; writes checkpoints, `metrics.jsonl`, `trainer_state.json` and
 * finally the model into `args.outputDir`.
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
  stepsPerEpoch(inputs.train.length, {
    batchSize: args.perDeviceTrainBatchSize ?? 64,
    accumulation: args.gradientAccumulationSteps ?? 1,
  });
  checkArgs(resolveArgs(args, 1));
  if (inputs.evalBatches.length === 0) throw new Error("the eval set is empty");
  const r = await runTraining(model, args, {
    train: inputs.train,
    makeCollator: inputs.makeCollator,
    evaluate: async () => {
      const ev = await evaluateMlm(model, inputs.evalBatches);
      return {
        result: ev,
        fields: {
          eval_loss: ev.eval_loss,
          perplexity: ev.perplexity,
          eval_loss_token_weighted: ev.eval_loss_token_weighted,
          perplexity_token_weighted: ev.perplexity_token_weighted,
          eval_runtime: round4(ev.eval_runtime),
          eval_samples_per_second: round4(ev.eval_samples / ev.eval_runtime),
          eval_steps_per_second: round4(inputs.evalBatches.length / ev.eval_runtime),
        },
        line: `eval_loss ${ev.eval_loss.toFixed(4)}, perplexity ${ev.perplexity.toFixed(2)}`,
      };
    },
    summarize: (s) =>
      summaryLine({
        train_runtime: s.trainRuntime,
        train_samples_per_second: s.samples / Math.max(1e-9, s.trainRuntime),
        train_steps_per_second: s.steps / Math.max(1e-9, s.trainRuntime),
        train_loss: s.lossSteps > 0 ? s.lossSum / s.lossSteps : NaN,
        epoch: s.epoch,
        step: s.step,
        tokens_per_second: s.tokens / Math.max(1e-9, s.trainRuntime),
        num_input_tokens_seen: s.tokensSeen,
      }),
    saveModel: inputs.saveModel,
    signal: inputs.signal,
    progress: inputs.progress,
    log: inputs.log,
    onStep: inputs.onStep,
    runHeader: inputs.runHeader,
  });

  const evalByEpoch = r.logHistory.filter((e) => typeof e.eval_loss === "number");
  const epochs: EpochRow[] = r.epochLosses.filter((e) => e.steps > 0).map((e, i) => {
    const ev = evalByEpoch[i];
    const evalLoss = ev ? Number(ev.eval_loss) : NaN;
    return {
      epoch: ev ? Number(ev.epoch) : e.epoch + 1,
      train_loss: e.loss_sum / e.steps,
      eval_loss: evalLoss,
      perplexity: Math.exp(evalLoss),
    };
  });
  return {
    globalStep: r.globalStep,
    epochs,
    table: formatEpochTable(epochs),
    evals: r.evals,
    tokensPerSecond: r.tokensPerSecond,
    interrupted: r.interrupted,
  };
}

function round4(x: number): number {
  return Math.round(x * 1e4) / 1e4;
}
