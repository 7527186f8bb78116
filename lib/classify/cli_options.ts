/**
 * The flags `classify-finetune` and `compare-adaptation` share (HF `TrainingArguments` in kebab-case, the course's
 * classifier defaults), and their conversion into {@link ClassifyFinetuneOptions}.
 *
 * @module
 */
import { type FlagSpec, intFlag, numberFlag, type ParsedFlags } from "../cli.ts";
import type { BackendName } from "../model/backend.ts";
import { parseLabelList } from "./labels.ts";
import type { ClassifyFinetuneOptions } from "./finetune.ts";

const s = (d: string | undefined, help: string): FlagSpec => ({ type: "string", default: d, help, multiple: false });
const b = (help: string): FlagSpec => ({ type: "boolean", default: false, help, multiple: false });

/** Data, model-independent training and output flags. */
export const CLASSIFY_FLAGS: Readonly<Record<string, FlagSpec>> = {
  "dataset": s("imdb", "dataset file (.jsonl/.csv/.parquet), folder with splits, or Hub dataset id"),
  "dataset-config": s(undefined, "config of a Hub dataset"),
  "train-split": s("train", "training split of a folder or Hub dataset"),
  "test-split": s("test", "evaluation split"),
  "text-column": s("text", "text field"),
  "label-column": s("label", "label field"),
  "labels": s(undefined, "declared labels in class-id order, e.g. 0,1 (default: sorted distinct values of the data)"),
  "max-length": s("256", "tokens per text after truncation, special tokens included"),
  "train-size": s(undefined, "training rows (default: all)"),
  "test-size": s(undefined, "test rows (default: all)"),
  "seed": s("42", "seed of shuffles, head initialisation and dropout"),
  "learning-rate": s("2e-5", "peak learning rate"),
  "weight-decay": s("0.01", "AdamW weight decay (none for biases and LayerNorm)"),
  "per-device-train-batch-size": s("16", "rows per training batch"),
  "per-device-eval-batch-size": s("64", "rows per evaluation batch"),
  "num-train-epochs": s("2", "epochs"),
  "max-steps": s("-1", "total optimizer steps when > 0 (overrides epochs)"),
  "warmup-steps": s("0", "linear warm-up steps"),
  "max-grad-norm": s("1.0", "global gradient-norm clip (0: off)"),
  "gradient-accumulation-steps": s("1", "micro-batches per optimizer step"),
  "logging-steps": s(undefined, "log every N steps (default: about 20 logs per epoch)"),
  "save-strategy": s("epoch", "epoch, steps or no"),
  "save-steps": s("500", "steps between checkpoints with --save-strategy steps"),
  "save-total-limit": s(undefined, "keep at most N checkpoints"),
  "backend": s("auto", "webgpu, wasm, cpu or auto"),
  "output-dir": s(undefined, "run folder"),
  "overwrite-output-dir": b("replace a previous run in --output-dir"),
};

const optInt = (values: ParsedFlags["values"], flag: string, min: number): number | undefined =>
  values[flag] === undefined ? undefined : intFlag(values, flag, min);

/**
 * The options of a run from parsed {@link CLASSIFY_FLAGS} (model and output folder left to the caller).
 *
 * @example
 * ```ts
 * import { parseFlags } from "../cli.ts";
 * import { CLASSIFY_FLAGS, classifyOptionsFromFlags } from "./cli_options.ts";
 * const { values } = parseFlags(["--labels", "neg,pos", "--train-size", "100"], { ...CLASSIFY_FLAGS });
 * const o = classifyOptionsFromFlags(values);
 * if (o.labels?.join() !== "neg,pos" || o.trainSize !== 100 || o.maxLength !== 256) throw new Error("unexpected");
 * ```
 */
export function classifyOptionsFromFlags(
  values: ParsedFlags["values"],
): Omit<ClassifyFinetuneOptions, "model" | "outputDir"> {
  const saveStrategy = values["save-strategy"] as string;
  if (!["epoch", "steps", "no"].includes(saveStrategy)) {
    throw new Error(`--save-strategy: expected epoch, steps or no, got ${JSON.stringify(saveStrategy)}`);
  }
  const config = values["dataset-config"] as string | undefined;
  return {
    dataset: values.dataset as string,
    trainSplit: values["train-split"] as string,
    testSplit: values["test-split"] as string,
    textColumn: values["text-column"] as string,
    labelColumn: values["label-column"] as string,
    labels: values.labels === undefined ? undefined : parseLabelList(values.labels as string),
    maxLength: intFlag(values, "max-length", 2),
    trainSize: optInt(values, "train-size", 1),
    testSize: optInt(values, "test-size", 1),
    seed: intFlag(values, "seed", 0),
    learningRate: numberFlag(values, "learning-rate"),
    weightDecay: numberFlag(values, "weight-decay"),
    perDeviceTrainBatchSize: intFlag(values, "per-device-train-batch-size", 1),
    perDeviceEvalBatchSize: intFlag(values, "per-device-eval-batch-size", 1),
    numTrainEpochs: numberFlag(values, "num-train-epochs"),
    maxSteps: numberFlag(values, "max-steps"),
    warmupSteps: intFlag(values, "warmup-steps", 0),
    maxGradNorm: numberFlag(values, "max-grad-norm"),
    gradientAccumulationSteps: intFlag(values, "gradient-accumulation-steps", 1),
    loggingSteps: optInt(values, "logging-steps", 1),
    saveStrategy: saveStrategy as "epoch" | "steps" | "no",
    saveSteps: intFlag(values, "save-steps", 1),
    saveTotalLimit: optInt(values, "save-total-limit", 1),
    backend: values.backend as BackendName,
    overwriteOutputDir: values["overwrite-output-dir"] as boolean,
    hub: config === undefined ? undefined : { config },
  };
}

/**
 * A run folder's default name: `runs/<model>-<suffix>-<dataset>` from the last path parts.
 *
 * @example
 * ```ts
 * import { defaultRunDir } from "./cli_options.ts";
 * if (defaultRunDir("org/tiny-bert", "imdb", "classifier") !== "runs/tiny-bert-classifier-imdb") throw new Error("name");
 * ```
 */
export function defaultRunDir(model: string, dataset: string, suffix: string): string {
  const name = (p: string) => p.replace(/\/+$/, "").split("/").pop()!.replace(/\.[^.]*$/, "");
  return `runs/${name(model)}-${suffix}-${name(dataset)}`;
}
