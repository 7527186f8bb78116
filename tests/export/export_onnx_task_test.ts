import { decodeOnnx } from "../../lib/export/onnx_graph.ts";
import { parseConfig } from "../../lib/model/config.ts";
import { initSequenceClassifier, saveSequenceClassifier } from "../../lib/model/sequence_classification.ts";
import { assert, assertEquals, assertStringIncludes } from "../support/assert.ts";
import { ROOT } from "../support/shared.ts";
import { type DenoRun, runDeno } from "../tasks/task_line.ts";

const DEMO = `${ROOT}/fixtures/demo/model`;

// The permissions the "export-onnx" task should have in deno.json: reading the checkpoint, writing the export.
function exportOnnxTask(args: string[]): Promise<DenoRun> {
  return runDeno(["run", "--allow-read", "--allow-write", `${ROOT}/tasks/export_onnx.ts`, ...args]);
}

Deno.test("deno task export-onnx: into the checkpoint folder by default; a classifier checkpoint exports its head", async () => {
  const root = await Deno.makeTempDir();
  try {
    await Deno.mkdir(`${root}/mlm`);
    for await (const f of Deno.readDir(DEMO)) await Deno.copyFile(`${DEMO}/${f.name}`, `${root}/mlm/${f.name}`);
    const weights = await Deno.readFile(`${root}/mlm/model.safetensors`);
    const mlm = await exportOnnxTask(["--model", `${root}/mlm`]);
    assertEquals(mlm.code, 0, mlm.stderr);
    assertStringIncludes(mlm.stdout, `DistilBertForMaskedLM → ${root}/mlm/onnx/model.onnx`);
    assertStringIncludes(mlm.stdout, 'pipeline("fill-mask"');
    assertEquals(await Deno.readFile(`${root}/mlm/model.safetensors`), weights, "the checkpoint is left as it was");
    const graph = decodeOnnx(await Deno.readFile(`${root}/mlm/onnx/model.onnx`)).graph!;
    assertEquals((graph.output ?? []).map((o) => o.name), ["logits"]);

    const config = parseConfig({
      model_type: "distilbert",
      vocab_size: 372,
      dim: 8,
      n_heads: 2,
      n_layers: 1,
      hidden_dim: 16,
    });
    const cls = initSequenceClassifier(config, { seed: 3, labels: ["neg", "pos"] });
    await saveSequenceClassifier(cls, `${root}/cls`, { tokenizerDir: DEMO });
    cls.dispose();
    const out = await exportOnnxTask(["--model", `${root}/cls`, "--output-dir", `${root}/web`]);
    assertEquals(out.code, 0, out.stderr);
    assertStringIncludes(out.stdout, "DistilBertForSequenceClassification");
    assertStringIncludes(out.stdout, 'pipeline("text-classification"');
    const written = JSON.parse(await Deno.readTextFile(`${root}/web/config.json`));
    assertEquals(written.id2label, { 0: "neg", 1: "pos" });
    const tokenizerConfig = JSON.parse(await Deno.readTextFile(`${root}/web/tokenizer_config.json`));
    assertEquals(tokenizerConfig.mask_token, "[MASK]");
    const head = decodeOnnx(await Deno.readFile(`${root}/web/onnx/model.onnx`)).graph!;
    assert((head.initializer ?? []).some((t) => t.name === "pre_classifier.weight"), "the classifier head is exported");

    const missing = await exportOnnxTask([]);
    assertEquals(missing.code, 1);
    assertStringIncludes(missing.stderr, "export-onnx: --model is required");
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
