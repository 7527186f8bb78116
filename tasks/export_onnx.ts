/**
 * `deno task export-onnx --model DIR [--output-dir OUT]`: write `onnx/model.onnx` (+ `config.json` and the tokenizer
 * files) for transformers.js, from a DistilBERT/BERT masked-LM or sequence-classification checkpoint folder. Without
 * `--output-dir` the export goes into DIR itself, beside `model.safetensors`.
 *
 * @module
 */
import { parseFlags } from "../lib/cli.ts";
import { exportCheckpointOnnx } from "../lib/export/onnx.ts";

const USAGE = "deno task export-onnx --model DIR [--output-dir OUT]";

if (import.meta.main) {
  const { values } = parseFlags(Deno.args, {
    model: { type: "string", help: "checkpoint folder (config.json, model.safetensors, tokenizer files)" },
    "output-dir": { type: "string", help: "folder to write (default: the checkpoint folder)" },
  }, USAGE);
  try {
    if (typeof values.model !== "string") throw new Error(`--model DIR is required\n\n${USAGE}`);
    const outputDir = typeof values["output-dir"] === "string" ? values["output-dir"] : undefined;
    const r = await exportCheckpointOnnx(values.model, { outputDir });
    console.log(`${r.architecture} → ${r.onnxPath} (${(r.bytes / 2 ** 20).toFixed(1)} MiB)`);
    console.log(`wrote ${r.files.join(", ")} in ${r.outputDir}`);
    console.log(
      `run it: pipeline("${
        r.architecture.endsWith("ForSequenceClassification") ? "text-classification" : "fill-mask"
      }"` +
        `, "${r.outputDir}", { dtype: "fp32" }) from @huggingface/transformers (env.allowRemoteModels = false)`,
    );
  } catch (e) {
    console.error(`export-onnx: ${(e as Error).message}`);
    Deno.exit(1);
  }
}
