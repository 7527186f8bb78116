/**
 * `deno task finetune`: the course's masked-LM domain adaptation in one command. Flags are TrainingArguments in
 * kebab-case with the course's defaults; `--model`/`--dataset` take local paths or Hub ids, and `--push-to-hub`
 * uploads the result with a model card. See lib/app/finetune.ts.
 *
 * @module
 */
import { type FlagSpec, parseFlags, runTask } from "../lib/cli.ts";
import { finetune, type HubStrategy } from "../lib/app/finetune.ts";
import { onCtrlC } from "../lib/app/interrupt.ts";
import { readHubToken } from "../lib/app/token.ts";
import {
  dataOptionsFromFlags,
  defaultRunDir,
  MLM_DATA_FLAGS,
  trainingArgumentFlags,
  trainingArgumentsFromFlags,
} from "../lib/app/flags.ts";

const s = (d: string | undefined, help: string): FlagSpec => ({ type: "string", default: d, help, multiple: false });
const b = (help: string): FlagSpec => ({ type: "boolean", default: false, help, multiple: false });
const FLAGS: Record<string, FlagSpec> = {
  "model": s("distilbert-base-uncased", "model folder or Hub model id (downloaded into the HF cache)"),
  "dataset": s("imdb", "corpus file or folder, or Hub dataset id (its Parquet conversion, cached)"),
  ...trainingArgumentFlags({
    perDeviceTrainBatchSize: "64",
    numTrainEpochs: "3",
    loggingSteps: "steps per epoch",
    outputDir: "runs/<model>-finetuned-<dataset>",
  }),
  ...MLM_DATA_FLAGS,
  "resume-from-checkpoint": s(undefined, "continue from OUTPUT_DIR/checkpoint-STEP"),
  "fp16": b("mixed precision: f16 matmul operands on WebGPU with shader-f16, dynamic loss scaling"),
  "push-to-hub": b("push the model with a generated model card to the Hub"),
  "hub-model-id": s(undefined, "repo to push to (namespace/name; default: the output folder's name)"),
  "hub-token": s(undefined, "Hub write token (visible to others on the command line: prefer the next two)"),
  "hub-token-file": s(undefined, "file holding the Hub write token (default: $HF_TOKEN, else $HF_HOME/token)"),
  "hub-strategy": s("end", "end (push once at the end) or every_save (also after each checkpoint)"),
  "hub-private-repo": b("create the Hub repo private"),
  "export-onnx": b("with --push-to-hub: also upload the ONNX export for transformers.js (onnx/model.onnx)"),
};

async function main(): Promise<number> {
  const { values } = parseFlags(Deno.args, FLAGS, "deno task finetune [flags]");
  const ctrlC = onCtrlC(Deno.exit);
  try {
    const result = await finetune({
      model: values.model as string,
      ...dataOptionsFromFlags(values),
      ...trainingArgumentsFromFlags(values),
      resumeFromCheckpoint: values["resume-from-checkpoint"] as string | undefined,
      outputDir: (values["output-dir"] as string | undefined) ??
        defaultRunDir(values.model as string, values.dataset as string, "finetuned"),
      fp16: values.fp16 as boolean,
      signal: ctrlC.signal,
      pushToHub: values["push-to-hub"] as boolean,
      hubModelId: values["hub-model-id"] as string | undefined,
      hubToken: readHubToken({
        token: values["hub-token"] as string | undefined,
        tokenFile: values["hub-token-file"] as string | undefined,
      }),
      hubStrategy: values["hub-strategy"] as HubStrategy,
      hubPrivateRepo: values["hub-private-repo"] as boolean,
      exportOnnx: values["export-onnx"] as boolean,
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
    return result.interrupted ? 130 : 0; // 128 + SIGINT: stopped, its checkpoint saved
  } finally {
    ctrlC.dispose();
  }
}

if (import.meta.main) Deno.exit(await runTask("finetune", main));
