/**
 * `deno task evaluate --model DIR --dataset PATH`: perplexity on the eval set `deno task finetune` uses with the same
 * data flags (same split, masked once with the same seed). Prints the perplexity and a JSON line.
 *
 * @module
 */
import { type FlagSpec, intFlag, numberFlag, parseFlags } from "../lib/cli.ts";
import type { BackendName } from "../lib/model/backend.ts";
import { evaluateModel } from "../lib/train/finetune.ts";

const s = (d: string | undefined, help: string): FlagSpec => ({ type: "string", default: d, help, multiple: false });
if (import.meta.main) {
  const { values } = parseFlags(Deno.args, {
    "model": s(undefined, "model folder (config.json, model.safetensors, tokenizer) or Hub model id"),
    "dataset": s(undefined, "corpus file or folder, or Hub dataset id"),
    "dataset-config": s(undefined, "config of a Hub dataset (e.g. plain_text)"),
    "dataset-split": s("train", "split of a folder corpus or Hub dataset"),
    "text-column": s("text", "text field of each record"),
    "chunk-size": s("128", "tokens per chunk"),
    "cache-dir": s(".cache/prepared", "where tokenized chunks are cached (Hub downloads go to the HF cache)"),
    "group-batch": s("1000", "examples concatenated per group_texts batch, or 'global'"),
    "train-size": s("10000", "training chunks of the split (as in finetune)"),
    "test-size": s("1000", "eval chunks"),
    "seed": s("42", "seed of the split and the masks"),
    "mlm-probability": s("0.15", "token masking probability"),
    "wwm-probability": s(undefined, "whole-word masking with this word probability"),
    "per-device-eval-batch-size": s("64", "rows per eval batch"),
    "backend": s("auto", "webgpu, wasm, cpu or auto"),
  }, "deno task evaluate --model DIR|ID --dataset PATH|ID [flags]");

  try {
    if (!values.model || !values.dataset) throw new Error("--model and --dataset are required");
    const r = await evaluateModel({
      model: values.model as string,
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
    });
    console.log(`perplexity: ${r.perplexity.toFixed(2)} (eval_loss ${r.eval_loss.toFixed(4)})`);
    console.log(JSON.stringify(r));
  } catch (e) {
    console.error(`error: ${(e as Error).message}`);
    Deno.exit(1);
  }
}
