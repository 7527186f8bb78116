/**
 * `deno task finetune`: the course's masked-LM domain adaptation in one command. Flags are TrainingArguments in
 * kebab-case with the course's defaults; `--model`/`--dataset` take local paths or Hub ids, and `--push-to-hub`
 * uploads the result with a model card. See lib/train/finetune.ts.
 *
 * @module
 */
import { type FlagSpec, intFlag, numberFlag, parseFlags } from "../lib/cli.ts";
import type { BackendName } from "../lib/model/backend.ts";
import { finetune, type HubStrategy } from "../lib/train/finetune.ts";

const s = (d: string | undefined, help: string): FlagSpec => ({ type: "string", default: d, help, multiple: false });
const b = (help: string): FlagSpec => ({ type: "boolean", default: false, help, multiple: false });
if (import.meta.main) {
  const { values } = parseFlags(Deno.args, {
    "model": s("distilbert-base-uncased", "model folder or Hub model id (downloaded into the HF cache)"),
    "dataset": s("imdb", "corpus file or folder, or Hub dataset id (its Parquet conversion, cached)"),
    "dataset-config": s(undefined, "config of a Hub dataset (e.g. plain_text)"),
    "dataset-split": s("train", "split of a folder corpus or Hub dataset"),
    "text-column": s("text", "text field of each record"),
    "chunk-size": s("128", "tokens per chunk"),
    "cache-dir": s(".cache/prepared", "where tokenized chunks are cached (Hub downloads go to the HF cache)"),
    "group-batch": s("1000", "examples concatenated per group_texts batch, or 'global'"),
    "train-size": s("10000", "training chunks"),
    "test-size": s("1000", "eval chunks"),
    "seed": s("42", "seed of split, shuffles, masks and dropout"),
    "learning-rate": s("2e-5", "peak learning rate"),
    "weight-decay": s("0.01", "AdamW weight decay (none for biases and LayerNorm)"),
    "per-device-train-batch-size": s("64", "rows per training batch"),
    "per-device-eval-batch-size": s("64", "rows per eval batch"),
    "num-train-epochs": s("3", "epochs"),
    "max-steps": s("-1", "total optimizer steps when > 0 (overrides epochs)"),
    "mlm-probability": s("0.15", "token masking probability"),
    "wwm-probability": s(undefined, "whole-word masking with this word probability (course: 0.2)"),
    "warmup-steps": s("0", "linear warm-up steps"),
    "max-grad-norm": s("1.0", "global gradient-norm clip (0: off)"),
    "gradient-accumulation-steps": s("1", "micro-batches per optimizer step"),
    "logging-steps": s(undefined, "log every N steps (default: steps per epoch)"),
    "save-strategy": s("epoch", "epoch, steps or no"),
    "save-steps": s("500", "steps between checkpoints with --save-strategy steps"),
    "save-total-limit": s(undefined, "keep at most N checkpoints"),
    "resume-from-checkpoint": s(undefined, "continue from OUTPUT_DIR/checkpoint-STEP"),
    "backend": s("auto", "webgpu, wasm, cpu or auto"),
    "output-dir": s(
      undefined,
      "where checkpoints, metrics and the model go (default: runs/<model>-finetuned-<dataset>)",
    ),
    "overwrite-output-dir": b("replace a previous run in --output-dir"),
    "fp16": b("mixed precision (no backend supports it yet)"),
    "push-to-hub": b("push the model with a generated model card to the Hub"),
    "hub-model-id": s(undefined, "repo to push to (namespace/name; default: the output folder's name)"),
    "hub-token": s(undefined, "Hub write token (default: $HF_TOKEN); never printed"),
    "hub-strategy": s("end", "end (push once at the end) or every_save (also after each checkpoint)"),
    "hub-private-repo": b("create the Hub repo private"),
  }, "deno task finetune [flags]");

  const name = (p: string) => p.replace(/\/+$/, "").split("/").pop()!.replace(/\.[^.]*$/, "");
  const opt = (flag: string) => values[flag] === undefined ? undefined : numberFlag(values, flag);
  const controller = new AbortController();
  const onSigint = () => {
    console.error("\nCtrl-C: saving a checkpoint after this step (press again to quit at once)");
    if (controller.signal.aborted) Deno.exit(130);
    controller.abort();
  };
  Deno.addSignalListener("SIGINT", onSigint);
  try {
    const groupBatch = values["group-batch"] === "global" ? "global" : intFlag(values, "group-batch", 1);
    const result = await finetune({
      model: values.model as string,
      dataset: values.dataset as string,
      datasetConfig: values["dataset-config"] as string | undefined,
      datasetSplit: values["dataset-split"] as string,
      textColumn: values["text-column"] as string,
      chunkSize: intFlag(values, "chunk-size", 1),
      cacheDir: values["cache-dir"] as string,
      groupBatch,
      trainSize: intFlag(values, "train-size", 1),
      testSize: intFlag(values, "test-size", 1),
      seed: intFlag(values, "seed", 0),
      learningRate: numberFlag(values, "learning-rate"),
      weightDecay: numberFlag(values, "weight-decay"),
      perDeviceTrainBatchSize: intFlag(values, "per-device-train-batch-size", 0),
      perDeviceEvalBatchSize: intFlag(values, "per-device-eval-batch-size", 0),
      numTrainEpochs: numberFlag(values, "num-train-epochs"),
      maxSteps: numberFlag(values, "max-steps"),
      mlmProbability: numberFlag(values, "mlm-probability"),
      wwmProbability: opt("wwm-probability"),
      warmupSteps: intFlag(values, "warmup-steps", 0),
      maxGradNorm: numberFlag(values, "max-grad-norm"),
      gradientAccumulationSteps: intFlag(values, "gradient-accumulation-steps", 1),
      loggingSteps: values["logging-steps"] === undefined ? undefined : intFlag(values, "logging-steps", 1),
      saveStrategy: values["save-strategy"] as "epoch" | "steps" | "no",
      saveSteps: intFlag(values, "save-steps", 1),
      saveTotalLimit: values["save-total-limit"] === undefined ? undefined : intFlag(values, "save-total-limit", 1),
      resumeFromCheckpoint: values["resume-from-checkpoint"] as string | undefined,
      backend: values.backend as BackendName,
      outputDir: (values["output-dir"] as string | undefined) ??
        `runs/${name(values.model as string)}-finetuned-${name(values.dataset as string)}`,
      overwriteOutputDir: values["overwrite-output-dir"] as boolean,
      fp16: values.fp16 as boolean,
      signal: controller.signal,
      pushToHub: values["push-to-hub"] as boolean,
      hubModelId: values["hub-model-id"] as string | undefined,
      hubToken: values["hub-token"] as string | undefined,
      hubStrategy: values["hub-strategy"] as HubStrategy,
      hubPrivateRepo: values["hub-private-repo"] as boolean,
    });
    console.log("\n" + result.table);
    const last = result.evals.at(-1);
    console.log(JSON.stringify({
      global_step: result.globalStep,
      eval_loss: last?.eval_loss,
      perplexity: last?.perplexity,
      tokens_per_second: Math.round(result.tokensPerSecond),
      interrupted: result.interrupted ?? null,
      report: result.report,
      pushed: result.pushed ? { repo_url: result.pushed.repoUrl, commit: result.pushed.commitOid } : null,
    }));
  } catch (e) {
    console.error(`error: ${(e as Error).message}`);
    Deno.exit(1);
  } finally {
    Deno.removeSignalListener("SIGINT", onSigint);
  }
}
