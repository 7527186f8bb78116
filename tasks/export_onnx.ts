/**
 * `deno task export-onnx --model DIR [--output-dir OUT]`: write `onnx/model.onnx` (+ `config.json` and the tokenizer
 * files) for transformers.js, from a DistilBERT/BERT masked-LM or sequence-classification checkpoint folder. Without
 * `--output-dir` the export goes into DIR itself, beside `model.safetensors`.
 *
 * @module
 */
import { parseFlags, requireFlags, runTask } from "../lib/cli.ts";
import { exportCheckpointOnnx } from "../lib/export/onnx.ts";

const USAGE = "deno task export-onnx --model DIR [--output-dir OUT]";

async function main(): Promise<void> {
  const { values } = parseFlags(Deno.args, {
    model: { type: "string", help: "checkpoint folder (config.json, model.safetensors, tokenizer files)" },
    "output-dir": { type: "string", help: "folder to write (default: the checkpoint folder)" },
  }, USAGE);
  requireFlags(values, ["model"], USAGE);
  const outputDir = values["output-dir"] as string | undefined;
  const r = await exportCheckpointOnnx(values.model as string, { outputDir });
  const task = r.architecture.endsWith("ForSequenceClassification") ? "text-classification" : "fill-mask";
  console.log(`${r.architecture} → ${r.onnxPath} (${(r.bytes / 2 ** 20).toFixed(1)} MiB)`);
  console.log(`wrote ${r.files.join(", ")} in ${r.outputDir}`);
  console.log(
    `run it: pipeline("${task}", "${r.outputDir}", { dtype: "fp32" }) from @huggingface/transformers ` +
      "(env.allowRemoteModels = false)",
  );
}

if (import.meta.main) Deno.exit(await runTask("export-onnx", main));
