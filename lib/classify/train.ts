/**
 * The training loop for sequence classification, built from `lib/train`'s pieces: the same {@link trainStep}
 * (micro-batches, global-norm clipping, AdamW with HF's parameter groups), the linear schedule, HF-layout checkpoints
 * with exact resume, `metrics.jsonl` and `trainer_state.json`. Per epoch the training rows are permuted by
 * `Rng(seed).fork("epoch", e)` and padded per batch; dropout of step `s`, micro-batch `k` draws from
 * `Rng(seed).fork("dropout", s, k)`. After every epoch (and at the last step) the test set is scored:
 * `eval_loss` (mean cross-entropy per row, as HF's `evaluation_loop`), `eval_accuracy` and `eval_f1`.
 *
 * @module
 */
import { tf } from "../deps.ts";
import { permutation, Rng } from "../data/rng.ts";
import type { ClassificationBatch, SequenceClassifier } from "../model/sequence_classification.ts";
import { AdamW } from "../train/adamw.ts";
import { linearScheduleWithWarmup } from "../train/schedule.ts";
import {
  listCheckpoints,
  loadCheckpoint,
  restoreWeights,
  saveCheckpoint,
  type TrainingState,
} from "../train/checkpoint.ts";
import { appendJsonl, type LogEntry, newTrainerState, type TrainerState, writeTrainerState } from "../train/metrics.ts";
import { ProgressBar } from "../train/progress.ts";
import { NonFiniteLossError, stepsPerEpoch, trainableParams, trainStep } from "../train/trainer.ts";
import { batchInOrder, type ClassificationExample, collateClassification } from "./batch.ts";
import { accuracy, f1Score } from "./metrics.ts";

/** Training arguments, named as HF `TrainingArguments` (camelCase), with the course's classifier defaults. */
export interface ClassifierTrainArgs {
  /** Where checkpoints, metrics, the report and the final model go. */
  outputDir: string;
  /** Peak learning rate (2e-5). */
  learningRate?: number;
  /** AdamW weight decay (0.01; none for biases and LayerNorm). */
  weightDecay?: number;
  /** AdamW beta1 (0.9). */
  adamBeta1?: number;
  /** AdamW beta2 (0.999). */
  adamBeta2?: number;
  /** AdamW epsilon (1e-8). */
  adamEpsilon?: number;
  /** Rows per training micro-batch (16). */
  perDeviceTrainBatchSize?: number;
  /** Rows per evaluation batch (64). */
  perDeviceEvalBatchSize?: number;
  /** Epochs (2). */
  numTrainEpochs?: number;
  /** When > 0, the total number of optimizer steps (overrides epochs, as HF). */
  maxSteps?: number;
  /** Linear warm-up steps (0). */
  warmupSteps?: number;
  /** Global gradient-norm clip (1.0; 0 disables). */
  maxGradNorm?: number;
  /** Micro-batches per optimizer step (1). */
  gradientAccumulationSteps?: number;
  /** Log every this many optimizer steps (default: about 20 logs per epoch). */
  loggingSteps?: number;
  /** Seed of every random stream (42). */
  seed?: number;
  /** `"epoch"` (default), `"steps"` or `"no"`. */
  saveStrategy?: "epoch" | "steps" | "no";
  /** Steps between checkpoints with `saveStrategy: "steps"` (500). */
  saveSteps?: number;
  /** Keep at most this many checkpoints. */
  saveTotalLimit?: number;
  /** Continue from this `checkpoint-STEP` folder. */
  resumeFromCheckpoint?: string;
}

/** What the loop trains and evaluates on, and how it saves. */
export interface ClassifierTrainInputs {
  /** Encoded training rows. */
  train: readonly ClassificationExample[];
  /** Encoded test rows. */
  test: readonly ClassificationExample[];
  /** Pad id of the tokenizer. */
  padTokenId: number;
  /** Write the model (config, weights, tokenizer files) into a folder. */
  saveModel: (dir: string) => Promise<void>;
  /** First line of `metrics.jsonl` (`type: "header"` is added): task, args, backend, adapter, model… */
  header?: Record<string, unknown>;
  /** Aborting saves a checkpoint after the current step and returns with `interrupted`. */
  signal?: AbortSignal;
  /** Progress bar: `true` forces it, `false` hides it; default: on a TTY. */
  progress?: boolean;
  /** Lines of human-readable output (default: console.log). */
  log?: (line: string) => void;
}

/** One evaluation. */
export interface ClassifierEvalResult {
  /** Mean cross-entropy per test row. */
  eval_loss: number;
  /** Fraction of test rows predicted right. */
  accuracy: number;
  /** Binary F1 of class 1 (two labels) or macro F1. */
  f1: number;
  /** Test rows. */
  eval_samples: number;
  /** Seconds spent. */
  eval_runtime: number;
  /** Predicted class of each test row. */
  predictions: number[];
}

/** One row of the end-of-run table. */
export interface ClassifierEpochRow {
  /** Epoch (fractional when a run stopped mid-epoch). */
  epoch: number;
  /** Optimizer step at the evaluation. */
  step: number;
  /** Mean training loss over the epoch's steps. */
  train_loss: number;
  /** Test loss. */
  eval_loss: number;
  /** Test accuracy. */
  accuracy: number;
  /** Test F1. */
  f1: number;
}

/** The result of {@link trainClassifier}. */
export interface ClassifierTrainResult {
  /** Optimizer steps taken in total. */
  globalStep: number;
  /** One row per evaluation. */
  epochs: ClassifierEpochRow[];
  /** The table, formatted. */
  table: string;
  /** Every evaluation of this session, in order. */
  evals: ClassifierEvalResult[];
  /** Real (non-pad) training tokens per second in this session. */
  tokensPerSecond: number;
  /** Seconds of training in this session. */
  trainRuntime: number;
  /** Set when the run was interrupted: the checkpoint to resume from. */
  interrupted?: string;
}

/** The part of a classifier evaluation needs. */
export interface LogitsClassifier {
  /** `[batch, num_labels]` scores in eval mode. */
  logits: SequenceClassifier["logits"];
  /** Number of classes. */
  numLabels: number;
}

/**
 * Score `batches` in eval mode: mean cross-entropy per row (computed in float64 from the logits), accuracy and F1.
 *
 * @example
 * ```ts
 * import { tf } from "../deps.ts";
 * import { evaluateClassifier } from "./train.ts";
 * const model = { numLabels: 2, logits: (ids: tf.Tensor2D) => tf.tensor2d([[0, 1], [0, 1]]).slice([0, 0], [ids.shape[0], 2]) as tf.Tensor2D };
 * const batch = { input_ids: new Int32Array([2, 3, 2, 3]), attention_mask: new Int32Array(4).fill(1), labels: new Int32Array([1, 0]), shape: [2, 2] as [number, number] };
 * const r = await evaluateClassifier(model, [batch]);
 * if (r.accuracy !== 0.5 || Math.abs(r.f1 - 2 / 3) > 1e-12) throw new Error("metrics");
 * ```
 */
export async function evaluateClassifier(
  model: LogitsClassifier,
  batches: readonly ClassificationBatch[],
): Promise<ClassifierEvalResult> {
  if (batches.length === 0) throw new Error("evaluateClassifier: the test set is empty");
  const t0 = performance.now();
  const predictions: number[] = [], references: number[] = [];
  let lossSum = 0, rows = 0;
  const k = model.numLabels;
  for (const batch of batches) {
    const logitsT = tf.tidy(() => {
      const ids = tf.tensor2d(batch.input_ids, batch.shape, "int32");
      const mask = tf.tensor2d(batch.attention_mask, batch.shape, "int32");
      return model.logits(ids, mask, { training: false });
    });
    const logits = await logitsT.data();
    logitsT.dispose();
    for (let r = 0; r < batch.shape[0]; r++) {
      const row = logits.subarray(r * k, (r + 1) * k);
      let best = 0, max = -Infinity;
      for (let c = 0; c < k; c++) {
        if (row[c] > max) [max, best] = [row[c], c];
      }
      let sumExp = 0;
      for (let c = 0; c < k; c++) sumExp += Math.exp(row[c] - max);
      const label = batch.labels[r];
      if (label === -100) continue;
      lossSum += max + Math.log(sumExp) - row[label];
      rows++;
      predictions.push(best);
      references.push(label);
    }
  }
  return {
    eval_loss: lossSum / rows,
    accuracy: accuracy(predictions, references),
    f1: f1Score(predictions, references, { numLabels: k }),
    eval_samples: rows,
    eval_runtime: (performance.now() - t0) / 1000,
    predictions,
  };
}

/**
 * The end-of-run table: `epoch | train loss | eval loss | accuracy | f1`.
 *
 * @example
 * ```ts
 * import { formatClassifierTable } from "./train.ts";
 * const t = formatClassifierTable([{ epoch: 1, step: 10, train_loss: 0.6, eval_loss: 0.5, accuracy: 0.8, f1: 0.75 }]);
 * if (!t.includes("0.8000")) throw new Error(t);
 * ```
 */
export function formatClassifierTable(rows: readonly ClassifierEpochRow[]): string {
  const head = ["epoch", "train loss", "eval loss", "accuracy", "f1"];
  const f = (x: number) => (Number.isFinite(x) ? x.toFixed(4) : "-");
  const body = rows.map((r) => [
    Number.isInteger(r.epoch) ? String(r.epoch) : r.epoch.toFixed(2),
    f(r.train_loss),
    f(r.eval_loss),
    f(r.accuracy),
    f(r.f1),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells: string[]) => "| " + cells.map((c, i) => c.padStart(widths[i])).join(" | ") + " |";
  const rule = "|" + widths.map((w) => "-".repeat(w + 2)).join("|") + "|";
  return [line(head), rule, ...body.map(line)].join("\n");
}

function round4(x: number): number {
  return Math.round(x * 1e4) / 1e4;
}

function realTokens(batch: ClassificationBatch): number {
  let n = 0;
  for (const m of batch.attention_mask) n += m;
  return n;
}

/**
 * Fine-tune `model` in place on `inputs.train`, scoring `inputs.test` after every epoch. Writes `metrics.jsonl`
 * (header, step logs, evaluations, summary), `trainer_state.json`, checkpoints, and finally the model into
 * `args.outputDir`.
 *
 * @example
 * ```ts ignore
 * const r = await trainClassifier(model, { outputDir: "runs/cls", numTrainEpochs: 2 }, {
 *   train, test, padTokenId: tokenizer.padTokenId, saveModel: (dir) => saveSequenceClassifier(model, dir),
 * });
 * console.log(r.table);
 * ```
 */
export async function trainClassifier(
  model: SequenceClassifier,
  args: ClassifierTrainArgs,
  inputs: ClassifierTrainInputs,
): Promise<ClassifierTrainResult> {
  const log = inputs.log ?? ((line: string) => console.log(line));
  const bs = args.perDeviceTrainBatchSize ?? 16;
  const accum = args.gradientAccumulationSteps ?? 1;
  const n = inputs.train.length;
  const perEpoch = stepsPerEpoch(n, { batchSize: bs, accumulation: accum });
  const lr = args.learningRate ?? 2e-5;
  const seed = args.seed ?? 42;
  const numTrainEpochs = args.numTrainEpochs ?? 2;
  const maxStepsArg = args.maxSteps ?? -1;
  const warmupSteps = args.warmupSteps ?? 0;
  const maxGradNorm = args.maxGradNorm ?? 1.0;
  const loggingSteps = args.loggingSteps ?? Math.max(1, Math.ceil(perEpoch / 20));
  const saveStrategy = args.saveStrategy ?? "epoch";
  const saveSteps = args.saveSteps ?? 500;
  const evalBatchSize = args.perDeviceEvalBatchSize ?? 64;
  for (
    const [flag, v, min] of [
      ["--logging-steps", loggingSteps, 1],
      ["--save-steps", saveSteps, 1],
      ["--warmup-steps", warmupSteps, 0],
    ] as const
  ) {
    if (!Number.isInteger(v) || v < min) throw new Error(`${flag}: expected an integer >= ${min}, got ${v}`);
  }
  if (!(lr > 0)) throw new Error(`--learning-rate: expected a number > 0, got ${lr}`);
  if (!(maxGradNorm >= 0)) throw new Error(`--max-grad-norm: expected a number >= 0, got ${maxGradNorm}`);
  if (!["epoch", "steps", "no"].includes(saveStrategy)) {
    throw new Error(`--save-strategy: expected epoch, steps or no, got ${JSON.stringify(saveStrategy)}`);
  }
  if (maxStepsArg <= 0 && !(numTrainEpochs > 0)) {
    throw new Error(`--num-train-epochs: expected a number > 0, got ${numTrainEpochs}`);
  }
  const maxSteps = maxStepsArg > 0 ? maxStepsArg : Math.ceil(numTrainEpochs * perEpoch);
  const numEpochs = Math.ceil(maxSteps / perEpoch);
  const nBatches = Math.ceil(n / bs);
  const evalBatches = batchInOrder(inputs.test, { batchSize: evalBatchSize, padTokenId: inputs.padTokenId });
  const schedule = linearScheduleWithWarmup({ baseLr: lr, warmupSteps, totalSteps: maxSteps });
  const base = new Rng(seed);
  const optimizer = new AdamW(trainableParams(model), {
    lr,
    betas: [args.adamBeta1 ?? 0.9, args.adamBeta2 ?? 0.999],
    eps: args.adamEpsilon ?? 1e-8,
    weightDecay: args.weightDecay ?? 0.01,
  });
  await Deno.mkdir(args.outputDir, { recursive: true });
  const metricsPath = `${args.outputDir}/metrics.jsonl`;
  const resumeKey = { seed, per_device_train_batch_size: bs, gradient_accumulation_steps: accum, train_samples: n };

  let state: TrainerState = newTrainerState({
    logging_steps: loggingSteps,
    max_steps: maxSteps,
    num_train_epochs: numEpochs,
    save_steps: saveSteps,
    train_batch_size: bs,
  });
  let ts: TrainingState = {
    format: "mlm-adapt-training-state/1",
    global_step: 0,
    epoch: 0,
    step_in_epoch: 0,
    steps_per_epoch: perEpoch,
    epoch_evaluated: false,
    seed,
    rng_state: base.state(),
    scheduler: { type: "linear", base_lr: lr, warmup_steps: warmupSteps, total_steps: maxSteps, last_lr: schedule(0) },
    args: resumeKey,
    epoch_losses: [],
    tokens_seen: 0,
  };
  try {
    if (args.resumeFromCheckpoint) {
      const ck = await loadCheckpoint(args.resumeFromCheckpoint);
      for (const [k, v] of Object.entries(resumeKey)) {
        if (ck.trainingState.args[k] !== v) {
          throw new Error(
            `--resume-from-checkpoint ${ck.dir}: it was trained with ${k}=${ck.trainingState.args[k]}, this run has ` +
              `${k}=${v}; resume with the same arguments`,
          );
        }
      }
      await restoreWeights(model.params, ck.dir);
      optimizer.loadState(ck.optimizer);
      tf.dispose([...ck.optimizer.m.values(), ...ck.optimizer.v.values()]);
      state = { ...ck.trainerState, max_steps: maxSteps, num_train_epochs: numEpochs, logging_steps: loggingSteps };
      ts = { ...ck.trainingState, scheduler: ts.scheduler, args: ts.args };
      log(`resuming from ${ck.dir} at step ${ts.global_step} (epoch ${ts.epoch}, step ${ts.step_in_epoch} of it)`);
    }
    if (inputs.header) {
      await appendJsonl(metricsPath, { type: "header", ...inputs.header } as unknown as LogEntry);
    }

    const evals: ClassifierEvalResult[] = [];
    const progress = new ProgressBar({ total: maxSteps, force: inputs.progress });
    let lastCheckpoint: string | undefined = (await listCheckpoints(args.outputDir)).at(-1)?.dir;
    let logLossSum = 0, logSteps = 0;
    const epochFloat = () => ts.epoch + ts.step_in_epoch / perEpoch;
    const record = async (entry: LogEntry) => {
      state.log_history.push(entry);
      await appendJsonl(metricsPath, entry);
    };
    const checkpoint = async (): Promise<string> => {
      state.global_step = ts.global_step;
      state.epoch = round4(epochFloat());
      state.num_input_tokens_seen = ts.tokens_seen;
      const opt = optimizer.state();
      try {
        lastCheckpoint = await saveCheckpoint(args.outputDir, {
          saveModel: inputs.saveModel,
          optimizer: opt,
          trainerState: state,
          trainingState: { ...ts, rng_state: base.state() },
          saveTotalLimit: args.saveTotalLimit,
        });
      } finally {
        tf.dispose([...opt.m.values(), ...opt.v.values()]);
      }
      return lastCheckpoint;
    };
    const evaluate = async () => {
      const r = await evaluateClassifier(model, evalBatches);
      evals.push(r);
      const epochLoss = ts.epoch_losses.find((e) => e.epoch === ts.epoch);
      await record({
        epoch: round4(epochFloat()),
        eval_loss: r.eval_loss,
        eval_accuracy: r.accuracy,
        eval_f1: r.f1,
        eval_runtime: round4(r.eval_runtime),
        eval_samples_per_second: round4(r.eval_samples / r.eval_runtime),
        train_loss: epochLoss && epochLoss.steps > 0 ? epochLoss.loss_sum / epochLoss.steps : null,
        step: ts.global_step,
      });
      if (state.best_metric === null || r.eval_loss < state.best_metric) state.best_metric = r.eval_loss;
      ts.epoch_evaluated = true;
      progress.done();
      log(
        `epoch ${round4(epochFloat())}: eval_loss ${r.eval_loss.toFixed(4)}, accuracy ${r.accuracy.toFixed(4)}, ` +
          `f1 ${r.f1.toFixed(4)}`,
      );
    };

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
    let tokensThisSession = 0, stepsThisSession = 0;
    let intervalStart = 0, intervalTokens = 0; // throughput over each logging interval
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
        const batches: ClassificationBatch[] = [];
        let tokens = 0;
        for (let k = 0; k < micro; k++) {
          const b = firstBatch + k;
          const rows = order.slice(b * bs, Math.min(n, (b + 1) * bs)).map((i) => inputs.train[i]);
          const batch = collateClassification(rows, { padTokenId: inputs.padTokenId });
          tokens += realTokens(batch);
          batches.push(batch);
        }
        const result = await trainStep(model, batches, {
          optimizer,
          lr: schedule(step),
          maxGradNorm,
          training: true,
          rngFor: (k) => base.fork("dropout", step, k),
        });
        if (!result.applied) {
          progress.done();
          throw new NonFiniteLossError(
            `training loss is ${result.loss} at step ${step + 1} (epoch ${ts.epoch + 1}); stopped without applying ` +
              `it. ${
                lastCheckpoint ? `The last good checkpoint is ${lastCheckpoint}.` : "No checkpoint was written yet."
              }` +
              " Try a lower --learning-rate or --max-grad-norm.",
          );
        }
        ts.global_step += 1;
        ts.step_in_epoch += 1;
        ts.tokens_seen += tokens;
        tokensThisSession += tokens;
        intervalTokens += tokens;
        stepsThisSession += 1;
        epochLoss.loss_sum += result.loss;
        epochLoss.steps += 1;
        logLossSum += result.loss;
        logSteps += 1;
        ts.scheduler.last_lr = schedule(ts.global_step);
        progress.update({ step: ts.global_step, loss: result.loss, lr: schedule(step), tokens });
        if (ts.global_step % loggingSteps === 0) {
          await record({
            epoch: round4(epochFloat()),
            grad_norm: result.gradNorm,
            learning_rate: ts.scheduler.last_lr,
            loss: round4(logLossSum / logSteps),
            step: ts.global_step,
            tokens_per_second: Math.round(intervalTokens / Math.max(1e-9, (performance.now() - intervalStart) / 1000)),
          });
          logLossSum = 0;
          logSteps = 0;
          intervalTokens = 0;
        }
        const epochDone = ts.step_in_epoch >= perEpoch || ts.global_step >= maxSteps;
        if (epochDone) await evaluate();
        if ((saveStrategy === "steps" && ts.global_step % saveSteps === 0) || (saveStrategy === "epoch" && epochDone)) {
          await checkpoint();
        }
        if (inputs.signal?.aborted) {
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
    const trainRuntime = (performance.now() - t0) / 1000;

    state.global_step = ts.global_step;
    state.epoch = round4(epochFloat());
    state.num_input_tokens_seen = ts.tokens_seen;
    const evalLines = state.log_history.filter((e) => typeof e.eval_loss === "number");
    const epochs: ClassifierEpochRow[] = evalLines.map((e) => ({
      epoch: Number(e.epoch),
      step: Number(e.step),
      train_loss: e.train_loss === null || e.train_loss === undefined ? NaN : Number(e.train_loss),
      eval_loss: Number(e.eval_loss),
      accuracy: Number(e.eval_accuracy),
      f1: Number(e.eval_f1),
    }));
    const allSteps = ts.epoch_losses.reduce((a, e) => a + e.steps, 0);
    const summary: LogEntry = {
      type: "summary",
      train_runtime: round4(trainRuntime),
      train_samples_per_second: round4((stepsThisSession * bs * accum) / Math.max(trainRuntime, 1e-9)),
      train_steps_per_second: round4(stepsThisSession / Math.max(trainRuntime, 1e-9)),
      train_loss: ts.epoch_losses.reduce((a, e) => a + e.loss_sum, 0) / Math.max(1, allSteps),
      tokens_per_second: Math.round(tokensThisSession / Math.max(trainRuntime, 1e-9)),
      global_step: ts.global_step,
      epoch: round4(epochFloat()),
    };
    await appendJsonl(metricsPath, summary);
    await writeTrainerState(args.outputDir, state);
    if (!interrupted) await inputs.saveModel(args.outputDir);
    return {
      globalStep: ts.global_step,
      epochs,
      table: formatClassifierTable(epochs),
      evals,
      tokensPerSecond: tokensThisSession / Math.max(1e-9, trainRuntime),
      trainRuntime,
      interrupted,
    };
  } finally {
    optimizer.dispose();
  }
}
