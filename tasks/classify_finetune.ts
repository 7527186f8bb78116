/**
 * `deno task classify-finetune`: fine-tune a sequence classifier (DistilBERT/BERT) from a masked-LM or classifier
 * checkpoint on a labelled dataset, scoring accuracy and F1 on the test split every epoch. Writes checkpoints,
 * `metrics.jsonl`, `trainer_state.json`, the final model and `report.html` into `--output-dir`. See
 * lib/classify/finetune.ts.
 *
 * @module
 */
import { parseFlags, runTask } from "../lib/cli.ts";
import { CLASSIFY_FLAGS, classifyOptionsFromFlags } from "../lib/classify/cli_options.ts";
import { classifyFinetune } from "../lib/classify/finetune.ts";
import { defaultRunDir } from "../lib/app/flags.ts";
import { onCtrlC } from "../lib/app/interrupt.ts";

async function main(): Promise<number> {
  const { values } = parseFlags(Deno.args, {
    "model": { type: "string", default: "distilbert-base-uncased", help: "model folder or Hub id" },
    ...CLASSIFY_FLAGS,
    "resume-from-checkpoint": { type: "string", help: "continue from OUTPUT_DIR/checkpoint-STEP" },
    "fp16": {
      type: "boolean",
      default: false,
      help: "mixed precision: f16 matmul operands on WebGPU with shader-f16, dynamic loss scaling",
      multiple: false,
    },
  }, "deno task classify-finetune [flags]");
  const model = values.model as string;
  const options = classifyOptionsFromFlags(values);
  const ctrlC = onCtrlC(Deno.exit);
  try {
    const result = await classifyFinetune({
      ...options,
      model,
      outputDir: (values["output-dir"] as string | undefined) ?? defaultRunDir(model, options.dataset, "classifier"),
      resumeFromCheckpoint: values["resume-from-checkpoint"] as string | undefined,
      fp16: values.fp16 as boolean,
      signal: ctrlC.signal,
    });
    console.log("\n" + result.table);
    const last = result.epochs.at(-1);
    console.log(`report: ${result.report}`);
    console.log(JSON.stringify({
      global_step: result.globalStep,
      eval_loss: last?.evalLoss,
      accuracy: last?.accuracy,
      f1: last?.f1,
      tokens_per_second: Math.round(result.tokensPerSecond),
      interrupted: result.interrupted ?? null,
    }));
    return result.interrupted ? 130 : 0; // 128 + SIGINT: stopped, its checkpoint saved
  } finally {
    ctrlC.dispose();
  }
}

if (import.meta.main) Deno.exit(await runTask("classify-finetune", main));
