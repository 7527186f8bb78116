import { onnxHubFiles, pushToHubWithOnnx, transformersJsSnippet } from "../../lib/export/hub.ts";
import { onnxModelBytes } from "../../lib/export/onnx.ts";
import { loadMaskedLM } from "../../lib/model/pretrained.ts";
import { fillMask } from "../../lib/pipelines/fill_mask.ts";
import { loadTokenizer } from "../../lib/tokenize/tokenizer.ts";
import { assert, assertAlmostEquals, assertEquals, assertStringIncludes } from "../support/assert.ts";
import { startHubServer } from "../support/hub_server.ts";
import { ROOT } from "../support/shared.ts";
import { runTransformersJs } from "./transformers_js/client.ts";

const DEMO = `${ROOT}/fixtures/demo/model`;
const TOKEN = "hf_test_write_token";

/** The demo checkpoint with the Hub's bert-base-uncased tokenizer_config.json (no special tokens in it). */
async function bareCheckpoint(root: string): Promise<string> {
  const dir = `${root}/ckpt`;
  await Deno.mkdir(dir);
  for await (const f of Deno.readDir(DEMO)) await Deno.copyFile(`${DEMO}/${f.name}`, `${dir}/${f.name}`);
  await Deno.writeTextFile(`${dir}/tokenizer_config.json`, '{"do_lower_case": true, "model_max_length": 512}');
  return dir;
}

Deno.test("pushToHubWithOnnx: one commit with the checkpoint, onnx/model.onnx and a completed tokenizer_config.json; transformers.js runs the pushed repo", async () => {
  const root = await Deno.makeTempDir();
  const hub = await startHubServer();
  const model = await loadMaskedLM(DEMO);
  try {
    const dir = await bareCheckpoint(root);
    const before = await Deno.readTextFile(`${dir}/tokenizer_config.json`);
    const card = `# demo\n\n${transformersJsSnippet("me/demo-onnx")}`;
    const r = await pushToHubWithOnnx(dir, {
      repoId: "me/demo-onnx",
      token: TOKEN,
      endpoint: hub.endpoint,
      extraFiles: { "README.md": card },
    });
    assertEquals(await Deno.readTextFile(`${dir}/tokenizer_config.json`), before, "the checkpoint folder is unchanged");
    const files = hub.files("me/demo-onnx");
    assert(r.files.includes("onnx/model.onnx") && r.files.includes("model.safetensors"), r.files.join());
    assertEquals(files.get("onnx/model.onnx"), (await onnxModelBytes(model)).bytes, "the export of the checkpoint");
    assertEquals(new TextDecoder().decode(files.get("README.md")), card);
    const tokenizerConfig = JSON.parse(new TextDecoder().decode(files.get("tokenizer_config.json")));
    assertEquals([tokenizerConfig.do_lower_case, tokenizerConfig.mask_token, tokenizerConfig.tokenizer_class], [
      true,
      "[MASK]",
      "DistilBertTokenizer",
    ]);

    // The model card's snippet, as transformers.js runs it against this Hub.
    const text = "This is a great [MASK].";
    const theirs = await runTransformersJs({
      hub: { endpoint: hub.endpoint, repoId: "me/demo-onnx" },
      fillMask: { texts: [text], topK: 5 },
    });
    const downloads = hub.requests.filter((q) => q.method === "GET").map((q) => q.path);
    assert(downloads.some((p) => p.startsWith("/me/demo-onnx/resolve/main/onnx/model.onnx")), downloads.join("\n"));
    const [ours] = await fillMask(model, await loadTokenizer(DEMO), text);
    assertEquals(theirs.fillMask![0].map((p) => p.token_str), ours.map((p) => p.token_str));
    for (const [k, p] of ours.entries()) assertAlmostEquals(theirs.fillMask![0][k].score, p.score, 1e-5);
  } finally {
    model.dispose();
    await hub.close();
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("onnxHubFiles: no tokenizer_config.json in the files when the checkpoint's is already complete", async () => {
  const { files, architecture } = await onnxHubFiles(DEMO);
  assertEquals(Object.keys(files), ["onnx/model.onnx"]);
  assertEquals(architecture, "DistilBertForMaskedLM");
});

Deno.test("transformersJsSnippet: fill-mask by default, text-classification on request", () => {
  const fill = transformersJsSnippet("me/m");
  assertStringIncludes(fill, 'import { pipeline } from "@huggingface/transformers";');
  assertStringIncludes(fill, 'const unmasker = await pipeline("fill-mask", "me/m", { dtype: "fp32" });');
  assertStringIncludes(fill, 'console.log(await unmasker("This is a great [MASK]."));');
  const cls = transformersJsSnippet("me/c", { task: "text-classification", example: "Loved it." });
  assertStringIncludes(cls, 'const classifier = await pipeline("text-classification", "me/c", { dtype: "fp32" });');
  assertStringIncludes(cls, 'console.log(await classifier("Loved it."));');
});
