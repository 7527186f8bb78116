/**
 * Sequence-classification training: `lib/train`'s loop ({@link runTraining}: micro-batches, global-norm clipping,
 * AdamW with HF's parameter groups, the linear schedule, checkpoints with exact resume, every output to a sink) fed
 * with classification rows and scored with accuracy and F1. The rows are permuted per epoch and dropout drawn by the
 * run's seed streams (`lib/train/plan.ts`); each batch is padded to its longest row. After every epoch (and at the
 * last step) the test set is scored: `eval_loss` (mean cross-entropy per row, as HF's `evaluation_loop`),
 * `eval_accuracy` and `eval_f1`.
 *
 * @module
 */
import { tf } from "../deps.ts";
import type { ClassificationBatch, SequenceClassifier } from "../model/sequence_classification.ts";
import type { ArgDefaults } from "../train/args.ts";
import { evalTimings } from "../log_schema.ts";
import type { RunSink } from "../train/sink.ts";
import { IGNORE_INDEX } from "../train/plan.ts";
import { type RunHooks, runTraining, type TrainArgs, type TrainResult } from "../train/trainer.ts";
import { batchInOrder, type ClassificationExample, collateClassification } from "./batch.ts";
import { accuracy, f1Score } from "./metrics.ts";

/** Training arguments, named as HF `TrainingArguments` (camelCase), with the course's classifier defaults. */
export interface ClassifierTrainArgs extends TrainArgs {
  /** Rows per training micro-batch (16). */
  perDeviceTrainBatchSize?: number;
  /** Rows per evaluation batch (64). */
  perDeviceEvalBatchSize?: number;
  /** Epochs (2). */
  numTrainEpochs?: number;
  /** Log every this many optimizer steps (default: about 20 logs per epoch). */
  loggingSteps?: number;
}

/** What the loop trains and evaluates on, and how it is stopped. */
export interface ClassifierTrainInputs extends Pick<RunHooks, "signal"> {
  /** Encoded training rows. */
  train: readonly ClassificationExample[];
  /** Encoded test rows. */
  test: readonly ClassificationExample[];
  /** Pad id of the tokenizer. */
  padTokenId: number;
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

/** The result of {@link trainClassifier}: `lib/train`'s, with classifier evaluations. */
export type ClassifierTrainResult = TrainResult<ClassifierEvalResult>;

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
      if (label === IGNORE_INDEX) continue;
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
 * The classifier's argument defaults (the course's: batch 16, 2 epochs, about 20 logs per epoch).
 *
 * @example
 * ```ts
 * import { CLASSIFIER_DEFAULTS } from "./train.ts";
 * if (CLASSIFIER_DEFAULTS.loggingSteps(100) !== 5) throw new Error("20 logs per epoch");
 * ```
 */
export const CLASSIFIER_DEFAULTS: ArgDefaults = {
  perDeviceTrainBatchSize: 16,
  numTrainEpochs: 2,
  loggingSteps: (perEpoch) => Math.max(1, Math.ceil(perEpoch / 20)),
};

/**
 * Fine-tune `model` in place on `inputs.train`, scoring `inputs.test` after every epoch: `lib/train`'s
 * {@link runTraining} with padded classification batches, {@link evaluateClassifier} and the accuracy/F1 table.
 * Every output (step logs, evaluations, summary, checkpoints, the final model) goes to `sink`.
 *
 * @example
 * ```ts ignore
 * const r = await trainClassifier(model, { outputDir: "runs/cls", numTrainEpochs: 2 }, {
 *   train, test, padTokenId: tokenizer.padTokenId,
 * }, new FileSink("runs/cls", { saveModel: (dir) => saveSequenceClassifier(model, dir) }));
 * console.log(r.table);
 * ```
 */
export async function trainClassifier(
  model: SequenceClassifier,
  args: ClassifierTrainArgs,
  inputs: ClassifierTrainInputs,
  sink: RunSink,
): Promise<ClassifierTrainResult> {
  const evalBatchSize = args.perDeviceEvalBatchSize ?? 64;
  if (!Number.isInteger(evalBatchSize) || evalBatchSize < 1) {
    throw new Error(`perDeviceEvalBatchSize must be an integer >= 1, got ${evalBatchSize}`);
  }
  const evalBatches = batchInOrder(inputs.test, { batchSize: evalBatchSize, padTokenId: inputs.padTokenId });
  const collate = (rows: readonly ClassificationExample[]) =>
    collateClassification(rows, { padTokenId: inputs.padTokenId });
  return await runTraining(model, args, {
    train: inputs.train,
    defaults: CLASSIFIER_DEFAULTS,
    makeCollator: () => collate,
    evaluate: async () => {
      const ev = await evaluateClassifier(model, evalBatches);
      return {
        result: ev,
        fields: {
          eval_loss: ev.eval_loss,
          eval_accuracy: ev.accuracy,
          eval_f1: ev.f1,
          ...evalTimings(ev.eval_runtime, ev.eval_samples, evalBatches.length),
        },
        line: `eval_loss ${ev.eval_loss.toFixed(4)}, accuracy ${ev.accuracy.toFixed(4)}, f1 ${ev.f1.toFixed(4)}`,
      };
    },
    signal: inputs.signal,
  }, sink);
}
