/**
 * The flags `classify-finetune` and `compare-adaptation` share: the labelled data, then HF `TrainingArguments` in
 * kebab-case from the one table of `lib/app/flags.ts` (derived from `lib/train/args.ts`) (with the course's classifier defaults), and their
 * conversion into {@link ClassifyFinetuneOptions}.
 *
 * @module
 */
import { type FlagSpec, intFlag, optionalIntFlag, type ParsedFlags } from "../cli.ts";
import type { BackendName } from "../model/backend.ts";
import { trainingArgumentFlags, trainingArgumentsFromFlags } from "../app/flags.ts";
import { parseLabelList } from "./labels.ts";
import type { ClassifyFinetuneOptions } from "./finetune.ts";

const s = (d: string | undefined, help: string): FlagSpec => ({ type: "string", default: d, help, multiple: false });

/**
 * Data, training and output flags of the classifier tasks.
 *
 * @example
 * ```ts
 * import { CLASSIFY_FLAGS } from "./cli_options.ts";
 * if (CLASSIFY_FLAGS["per-device-train-batch-size"].default !== "16") throw new Error("the course's batch size");
 * ```
 */
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
  "per-device-eval-batch-size": s("64", "rows per evaluation batch"),
  "backend": s("auto", "webgpu, wasm, cpu or auto"),
  ...trainingArgumentFlags({
    perDeviceTrainBatchSize: "16",
    numTrainEpochs: "2",
    loggingSteps: "about 20 logs per epoch",
    outputDir: "runs/<model>-classifier-<dataset>",
  }),
};

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
  const config = values["dataset-config"] as string | undefined;
  return {
    dataset: values.dataset as string,
    trainSplit: values["train-split"] as string,
    testSplit: values["test-split"] as string,
    textColumn: values["text-column"] as string,
    labelColumn: values["label-column"] as string,
    labels: values.labels === undefined ? undefined : parseLabelList(values.labels as string),
    maxLength: intFlag(values, "max-length", 2),
    trainSize: optionalIntFlag(values, "train-size", 1),
    testSize: optionalIntFlag(values, "test-size", 1),
    seed: intFlag(values, "seed", 0),
    perDeviceEvalBatchSize: intFlag(values, "per-device-eval-batch-size", 1),
    backend: values.backend as BackendName,
    ...trainingArgumentsFromFlags(values),
    hub: config === undefined ? undefined : { config },
  };
}
