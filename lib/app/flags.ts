/**
 * Command-line flag tables of the training tasks: {@link MLM_DATA_FLAGS} (data and masking, shared by
 * `deno task finetune` and `deno task evaluate`, so both build the same eval set from the same flags) and
 * {@link trainingArgumentFlags} (HF `TrainingArguments` in kebab-case, shared by `finetune`, `classify-finetune` and
 * `compare-adaptation`), with their conversion into options.
 *
 * @module
 */
import { type FlagSpec, intFlag, numberFlag, type ParsedFlags } from "../cli.ts";
import type { BackendName } from "../model/backend.ts";
import {
  type ArgumentKind,
  checkArgument,
  kebab,
  OptionError,
  type TrainArgs,
  TRAINING_ARGUMENTS,
} from "../train/args.ts";
import type { DataOptions } from "./finetune.ts";

const s = (d: string | undefined, help: string): FlagSpec => ({ type: "string", default: d, help, multiple: false });
const b = (help: string): FlagSpec => ({ type: "boolean", default: false, help, multiple: false });

/**
 * Flags of the corpus, its chunks, the split and the masks (everything {@link DataOptions} holds but the dataset
 * itself), plus the backend.
 *
 * @example
 * ```ts
 * import { MLM_DATA_FLAGS } from "./flags.ts";
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
 * import { dataOptionsFromFlags, MLM_DATA_FLAGS } from "./flags.ts";
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
    seed: argumentFlag(values, "seed", SEED.kind) as number,
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

const SEED = TRAINING_ARGUMENTS.find((a) => a.name === "seed")!;

/** A default as `--help` shows it (`2e-5`, not `0.00002`). */
function shown(v: number | string | undefined): string | undefined {
  if (typeof v !== "number") return v;
  return v !== 0 && Math.abs(v) < 1e-3 ? v.toExponential() : String(v);
}

/** Training arguments that are not flags of the fine-tuning tasks (the seed is a data flag: it splits the data too). */
const NOT_FLAGS = new Set(["seed", "adamBeta1", "adamBeta2", "adamEpsilon"]);

/**
 * The HF `TrainingArguments` flags both fine-tuning tasks take, derived from `lib/train`'s `TRAINING_ARGUMENTS`
 * (optimizer, schedule, clipping, accumulation, logging, checkpoints), plus the output folder, with the task's
 * defaults.
 *
 * @example
 * ```ts
 * import { trainingArgumentFlags } from "./flags.ts";
 * const flags = trainingArgumentFlags({
 *   perDeviceTrainBatchSize: "64", numTrainEpochs: "3", loggingSteps: "steps per epoch", outputDir: "runs/NAME",
 * });
 * if (flags["learning-rate"].default !== "2e-5") throw new Error(flags["learning-rate"].default as string);
 * ```
 */
export function trainingArgumentFlags(defaults: TrainingFlagDefaults): Record<string, FlagSpec> {
  const flags: Record<string, FlagSpec> = {};
  for (const a of TRAINING_ARGUMENTS) {
    if (NOT_FLAGS.has(a.name)) continue;
    const byTask = a.name === "perDeviceTrainBatchSize"
      ? defaults.perDeviceTrainBatchSize
      : a.name === "numTrainEpochs"
      ? defaults.numTrainEpochs
      : undefined;
    const help = a.name === "loggingSteps" ? `${a.help} (default: ${defaults.loggingSteps})` : a.help;
    flags[kebab(a.name)] = s(byTask ?? shown(a.default), help);
  }
  flags["output-dir"] = s(undefined, `run folder: checkpoints, metrics, the model (default: ${defaults.outputDir})`);
  flags["overwrite-output-dir"] = b("replace a previous run in --output-dir");
  return flags;
}

/** The options {@link trainingArgumentFlags} set: `TrainArgs` of `lib/train` but the data's seed, the output folder. */
export type TrainingArgumentOptions =
  & Omit<TrainArgs, "outputDir" | "resumeFromCheckpoint" | "seed" | "adamBeta1" | "adamBeta2" | "adamEpsilon">
  & {
    /** Replace a previous run in the output folder. */
    overwriteOutputDir: boolean;
  };

/**
 * Read flag `flag` as an argument of `kind`: `undefined` when absent and without default; fails in flag language
 * (`--seed: expected an integer >= 0, got -1`).
 *
 * @example
 * ```ts
 * import { argumentFlag } from "./flags.ts";
 * if (argumentFlag({ seed: "3" }, "seed", { type: "integer", min: 0 }) !== 3) throw new Error("read");
 * let msg = "";
 * try { argumentFlag({ seed: "-1" }, "seed", { type: "integer", min: 0 }); } catch (e) { msg = (e as Error).message; }
 * if (msg !== "--seed: expected an integer >= 0, got -1") throw new Error(msg);
 * ```
 */
export function argumentFlag(
  values: ParsedFlags["values"],
  flag: string,
  kind: ArgumentKind,
): number | string | undefined {
  const raw = values[flag];
  if (raw === undefined) return undefined;
  const v = kind.type === "choice" ? raw : numberFlag(values, flag);
  try {
    checkArgument(flag, kind, v);
  } catch (e) {
    if (!(e instanceof OptionError)) throw e;
    throw new Error(`--${flag}: expected ${e.expected}, got ${kind.type === "choice" ? JSON.stringify(raw) : raw}`);
  }
  return v as number | string;
}

/**
 * {@link TrainingArgumentOptions} from flags parsed against {@link trainingArgumentFlags}; fails naming the flag on a
 * bad value.
 *
 * @example
 * ```ts
 * import { parseFlags } from "../cli.ts";
 * import { trainingArgumentFlags, trainingArgumentsFromFlags } from "./flags.ts";
 * const spec = trainingArgumentFlags({ perDeviceTrainBatchSize: "16", numTrainEpochs: "2", loggingSteps: "-", outputDir: "-" });
 * const { values } = parseFlags(["--learning-rate", "1e-4", "--save-strategy", "no"], spec);
 * const o = trainingArgumentsFromFlags(values);
 * if (o.learningRate !== 1e-4 || o.perDeviceTrainBatchSize !== 16 || o.saveStrategy !== "no") throw new Error("parsed");
 * ```
 */
export function trainingArgumentsFromFlags(values: ParsedFlags["values"]): TrainingArgumentOptions {
  const out: Record<string, unknown> = {};
  for (const a of TRAINING_ARGUMENTS) {
    if (NOT_FLAGS.has(a.name)) continue;
    out[a.name] = argumentFlag(values, kebab(a.name), a.kind);
  }
  out.overwriteOutputDir = values["overwrite-output-dir"] as boolean;
  return out as unknown as TrainingArgumentOptions;
}

/**
 * A run folder's default name: `runs/<model>-<suffix>-<dataset>` from the last path parts (extensions dropped).
 *
 * @example
 * ```ts
 * import { defaultRunDir } from "./flags.ts";
 * if (defaultRunDir("org/tiny-bert", "imdb", "classifier") !== "runs/tiny-bert-classifier-imdb") throw new Error("name");
 * ```
 */
export function defaultRunDir(model: string, dataset: string, suffix: string): string {
  const name = (p: string) => p.replace(/\/+$/, "").split("/").pop()!.replace(/\.[^.]*$/, "");
  return `runs/${name(model)}-${suffix}-${name(dataset)}`;
}
