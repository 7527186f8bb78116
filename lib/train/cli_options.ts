/**
 * The data and masking flags `deno task finetune` and `deno task evaluate` share (the course's defaults), and their
 * conversion into {@link DataOptions}: one definition, so both tasks build the same eval set from the same flags.
 *
 * @module
 */
import { type FlagSpec, intFlag, numberFlag, type ParsedFlags } from "../cli.ts";
import type { BackendName } from "../model/backend.ts";
import type { DataOptions } from "./finetune.ts";

const s = (d: string | undefined, help: string): FlagSpec => ({ type: "string", default: d, help, multiple: false });

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
    perDeviceEvalBatchSize: intFlag(values, "per-device-eval-batch-size", 0),
    backend: values.backend as BackendName,
  };
}
