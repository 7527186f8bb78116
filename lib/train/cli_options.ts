/**
 * Command-line flag tables of the training tasks: {@link MLM_DATA_FLAGS} (data and masking, shared by
 * `deno task finetune` and `deno task evaluate`, so both build the same eval set from the same flags) and
 * {@link trainingArgumentFlags} (HF `TrainingArguments` in kebab-case, shared by `finetune`, `classify-finetune` and
 * `compare-adaptation`), with their conversion into options.
 *
 * @module
 */
import { type FlagSpec, intFlag, numberFlag, optionalIntFlag, type ParsedFlags } from "../cli.ts";
import type { BackendName } from "../model/backend.ts";
import type { DataOptions } from "./finetune.ts";

const s = (d: string | undefined, help: string): FlagSpec => ({ type: "string", default: d, help, multiple: false });
const b = (help: string): FlagSpec => ({ type: "boolean", default: false, help, multiple: false });

/**
 * Flags of the corpus, its chunks, the split and the masks (everything {@link DataOptions} holds but the dataset
 * itself), plus the backend.
 *
 * @example
 * ```ts
 * import { MLM_DATA_FLAGS } from "./cli_options.ts";
 * if (MLM_DATA_FLAGS["chunk-size"].default !== "128") throw new Error("the course's chunk size");
 * ```
 */
export const MLM_DATA_FLAGS: Readonly<Record<string, FlagSpec>> = {
  "dataset-config": s(undefined, "config of a Hub dataset (e.g. plain_text)"),
  "dataset-split": s("train", "split of a folder corpus or Hub dataset"),
  "text-column": s("text", "text field of each record"),
  "chunk-size": s("128", "tokens per chunk"),
  "cache-dir": s(".cache/prepared", "where tokenized chunks are cached (Hub downloads go to the HF cache)"),
  "group-batch": s("1000", "examples concatenated per group_texts batch, or 'global'"),
  "train-size": s("10000", "training chunks"),
  "test-size": s("1000", "eval chunks"),
  "seed": s("42", "seed of split, shuffles, masks and dropout"),
  "mlm-probability": s("0.15", "token masking probability"),
  "wwm-probability": s(undefined, "whole-word masking with this word probability (course: 0.2)"),
  "word-boundaries": s("hf", "words of whole-word masking: hf (the tokenizer's word_ids) or intl (Intl.Segmenter)"),
  "per-device-eval-batch-size": s("64", "rows per eval batch"),
  "backend": s("auto", "webgpu, wasm, cpu or auto"),
};

/**
 * {@link DataOptions} (and the backend) from flags parsed against {@link MLM_DATA_FLAGS} and a `dataset` flag.
 *
 * @example
 * ```ts
 * import { parseFlags } from "../cli.ts";
 * import { dataOptionsFromFlags, MLM_DATA_FLAGS } from "./cli_options.ts";
 * const { values } = parseFlags(["--dataset", "corpus.jsonl", "--chunk-size", "64"], {
 *   dataset: { type: "string" },
 *   ...MLM_DATA_FLAGS,
 * });
 * if (dataOptionsFromFlags(values).chunkSize !== 64) throw new Error("chunk size");
 * ```
 */
export function dataOptionsFromFlags(values: ParsedFlags["values"]): DataOptions & { backend: BackendName } {
  return {
    dataset: values.dataset as string,
    datasetConfig: values["dataset-config"] as string | undefined,
    datasetSplit: values["dataset-split"] as string,
    textColumn: values["text-column"] as string,
    chunkSize: intFlag(values, "chunk-size", 1),
    cacheDir: values["cache-dir"] as string,
    groupBatch: values["group-batch"] === "global" ? "global" : intFlag(values, "group-batch", 1),
    trainSize: intFlag(values, "train-size", 1),
    testSize: intFlag(values, "test-size", 1),
    seed: intFlag(values, "seed", 0),
    mlmProbability: numberFlag(values, "mlm-probability"),
    wwmProbability: values["wwm-probability"] === undefined ? undefined : numberFlag(values, "wwm-probability"),
    wordBoundaries: wordBoundariesFlag(values["word-boundaries"]),
    perDeviceEvalBatchSize: intFlag(values, "per-device-eval-batch-size", 0),
    backend: values.backend as BackendName,
  };
}

function wordBoundariesFlag(value: unknown): "hf" | "intl" {
  if (value === undefined || value === "hf" || value === "intl") return value ?? "hf";
  throw new Error(`--word-boundaries: expected hf or intl, got ${JSON.stringify(value)}`);
}

/** The defaults that differ between the fine-tuning tasks (the course's masked-LM and classifier recipes). */
export interface TrainingFlagDefaults {
  /** `--per-device-train-batch-size` (masked LM: 64, classifier: 16). */
  perDeviceTrainBatchSize: string;
  /** `--num-train-epochs` (masked LM: 3, classifier: 2). */
  numTrainEpochs: string;
  /** What `--logging-steps` defaults to, for the help line. */
  loggingSteps: string;
  /** What `--output-dir` defaults to, for the help line. */
  outputDir: string;
}

/**
 * The HF `TrainingArguments` flags both fine-tuning tasks take (optimizer, schedule, clipping, accumulation, logging,
 * checkpoints, output folder), with the task's defaults.
 *
 * @example
 * ```ts
 * import { trainingArgumentFlags } from "./cli_options.ts";
 * const flags = trainingArgumentFlags({
 *   perDeviceTrainBatchSize: "64", numTrainEpochs: "3", loggingSteps: "steps per epoch", outputDir: "runs/NAME",
 * });
 * if (flags["learning-rate"].default !== "2e-5") throw new Error("HF's default learning rate");
 * ```
 */
export function trainingArgumentFlags(defaults: TrainingFlagDefaults): Record<string, FlagSpec> {
  return {
    "learning-rate": s("2e-5", "peak learning rate"),
    "weight-decay": s("0.01", "AdamW weight decay (none for biases and LayerNorm)"),
    "per-device-train-batch-size": s(defaults.perDeviceTrainBatchSize, "rows per training batch"),
    "num-train-epochs": s(defaults.numTrainEpochs, "epochs"),
    "max-steps": s("-1", "total optimizer steps when > 0 (overrides epochs)"),
    "warmup-steps": s("0", "linear warm-up steps"),
    "max-grad-norm": s("1.0", "global gradient-norm clip (0: off)"),
    "gradient-accumulation-steps": s("1", "micro-batches per optimizer step"),
    "logging-steps": s(undefined, `log every N steps (default: ${defaults.loggingSteps})`),
    "save-strategy": s("epoch", "epoch, steps or no"),
    "save-steps": s("500", "steps between checkpoints with --save-strategy steps"),
    "save-total-limit": s(undefined, "keep at most N checkpoints"),
    "output-dir": s(undefined, `run folder: checkpoints, metrics, the model (default: ${defaults.outputDir})`),
    "overwrite-output-dir": b("replace a previous run in --output-dir"),
  };
}

/** The options {@link trainingArgumentFlags} set (camelCase HF `TrainingArguments`; the output folder left out). */
export interface TrainingArgumentOptions {
  /** Peak learning rate. */
  learningRate: number;
  /** AdamW weight decay. */
  weightDecay: number;
  /** Rows per training batch. */
  perDeviceTrainBatchSize: number;
  /** Epochs. */
  numTrainEpochs: number;
  /** Total optimizer steps when > 0. */
  maxSteps: number;
  /** Linear warm-up steps. */
  warmupSteps: number;
  /** Global gradient-norm clip (0: off). */
  maxGradNorm: number;
  /** Micro-batches per optimizer step. */
  gradientAccumulationSteps: number;
  /** Log every N steps (undefined: the task's default). */
  loggingSteps?: number;
  /** When checkpoints are written. */
  saveStrategy: "epoch" | "steps" | "no";
  /** Steps between checkpoints with `saveStrategy: "steps"`. */
  saveSteps: number;
  /** Keep at most this many checkpoints. */
  saveTotalLimit?: number;
  /** Replace a previous run in the output folder. */
  overwriteOutputDir: boolean;
}

/**
 * {@link TrainingArgumentOptions} from flags parsed against {@link trainingArgumentFlags}; fails naming the flag on a
 * bad value.
 *
 * @example
 * ```ts
 * import { parseFlags } from "../cli.ts";
 * import { trainingArgumentFlags, trainingArgumentsFromFlags } from "./cli_options.ts";
 * const spec = trainingArgumentFlags({ perDeviceTrainBatchSize: "16", numTrainEpochs: "2", loggingSteps: "-", outputDir: "-" });
 * const { values } = parseFlags(["--learning-rate", "1e-4", "--save-strategy", "no"], spec);
 * const o = trainingArgumentsFromFlags(values);
 * if (o.learningRate !== 1e-4 || o.perDeviceTrainBatchSize !== 16 || o.saveStrategy !== "no") throw new Error("parsed");
 * ```
 */
export function trainingArgumentsFromFlags(values: ParsedFlags["values"]): TrainingArgumentOptions {
  const saveStrategy = values["save-strategy"] as string;
  if (!["epoch", "steps", "no"].includes(saveStrategy)) {
    throw new Error(`--save-strategy: expected epoch, steps or no, got ${JSON.stringify(saveStrategy)}`);
  }
  return {
    learningRate: numberFlag(values, "learning-rate"),
    weightDecay: numberFlag(values, "weight-decay"),
    perDeviceTrainBatchSize: intFlag(values, "per-device-train-batch-size", 1),
    numTrainEpochs: numberFlag(values, "num-train-epochs"),
    maxSteps: numberFlag(values, "max-steps"),
    warmupSteps: intFlag(values, "warmup-steps", 0),
    maxGradNorm: numberFlag(values, "max-grad-norm"),
    gradientAccumulationSteps: intFlag(values, "gradient-accumulation-steps", 1),
    loggingSteps: optionalIntFlag(values, "logging-steps", 1),
    saveStrategy: saveStrategy as "epoch" | "steps" | "no",
    saveSteps: intFlag(values, "save-steps", 1),
    saveTotalLimit: optionalIntFlag(values, "save-total-limit", 1),
    overwriteOutputDir: values["overwrite-output-dir"] as boolean,
  };
}

/**
 * A run folder's default name: `runs/<model>-<suffix>-<dataset>` from the last path parts (extensions dropped).
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
