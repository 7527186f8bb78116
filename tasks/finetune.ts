/**
 * `deno task finetune`: the course's masked-LM domain adaptation in one command. Flags are TrainingArguments in
 * kebab-case with the course's defaults; `--model`/`--dataset` take local paths or Hub ids, and `--push-to-hub`
 * uploads the result with a model card. See lib/train/finetune.ts.
 *
 * @module
 */
import { type FlagSpec, intFlag, numberFlag, parseFlags } from "../lib/cli.ts";
import { finetune, type HubStrategy } from "../lib/train/finetune.ts";
import { onCtrlC } from "../lib/train/interrupt.ts";
import { dataOptionsFromFlags, MLM_DATA_FLAGS } from "../lib/train/cli_options.ts";

const s = (d: string | undefined, help: string): FlagSpec => ({ type: "string", default: d, help, multiple: false });
const b = (help: string): FlagSpec => ({ type: "boolean", default: false, help, multiple: false });
if (import.meta.main) {
  const { values } = parseFlags(Deno.args, {
    "model": s("distilbert-base-uncased", "model folder or Hub model id (downloaded into the HF cache)"),
    "dataset": s("imdb", "corpus file or folder, or Hub dataset id (its Parquet conversion, cached)"),
    ...MLM_DATA_FLAGS,
    "learning-rate": s("2e-5", "peak learning rate"),
    "weight-decay": s("0.01", "AdamW weight decay (none for biases and LayerNorm)"),
    "per-device-train-batch-size": s("64", "rows per training batch"),
    "num-train-epochs": s("3", "epochs"),
    "max-steps": s("-1", "total optimizer steps when > 0 (overrides epochs)"),
    "warmup-steps": s("0", "linear warm-up steps"),
    "max-grad-norm": s("1.0", "global gradient-norm clip (0: off)"),
    "gradient-accumulation-steps": s("1", "micro-batches per optimizer step"),
    "logging-steps": s(undefined, "log every N steps (default: steps per epoch)"),
    "save-strategy": s("epoch", "epoch, steps or no"),
    "save-steps": s("500", "steps between checkpoints with --save-strategy steps"),
    "save-total-limit": s(undefined, "keep at most N checkpoints"),
    "resume-from-checkpoint": s(undefined, "continue from OUTPUT_DIR/checkpoint-STEP"),
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
  const ctrlC = onCtrlC();
  try {
    const result = await finetune({
      model: values.model as string,
      ...dataOptionsFromFlags(values),
      learningRate: numberFlag(values, "learning-rate"),
      weightDecay: numberFlag(values, "weight-decay"),
      perDeviceTrainBatchSize: intFlag(values, "per-device-train-batch-size", 0),
      numTrainEpochs: numberFlag(values, "num-train-epochs"),
      maxSteps: numberFlag(values, "max-steps"),
      warmupSteps: intFlag(values, "warmup-steps", 0),
      maxGradNorm: numberFlag(values, "max-grad-norm"),
      gradientAccumulationSteps: intFlag(values, "gradient-accumulation-steps", 1),
      loggingSteps: values["logging-steps"] === undefined ? undefined : intFlag(values, "logging-steps", 1),
      saveStrategy: values["save-strategy"] as "epoch" | "steps" | "no",
      saveSteps: intFlag(values, "save-steps", 1),
      saveTotalLimit: values["save-total-limit"] === undefined ? undefined : intFlag(values, "save-total-limit", 1),
      resumeFromCheckpoint: values["resume-from-checkpoint"] as string | undefined,
      outputDir: (values["output-dir"] as string | undefined) ??
        `runs/${name(values.model as string)}-finetuned-${name(values.dataset as string)}`,
      overwriteOutputDir: values["overwrite-output-dir"] as boolean,
      fp16: values.fp16 as boolean,
      signal: ctrlC.signal,
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
    ctrlC.dispose();
  }
}
