// ModernBERT's ONNX export against transformers.js 4.3.1 (its own ModernBERT support, onnxruntime-node): the
// transformers-saved tiny checkpoints (fixtures/reference/tiny-modernbert*, global + sliding-window layers) exported
// with their tokenizer; transformers.js' fill-mask and text-classification answers and onnxruntime's raw logits on
// the padded [2, 40] golden batch (longer than the 16-token window) equal ours within 1e-5.
import { exportOnnx } from "../../lib/export/onnx.ts";
import { loadMaskedLM } from "../../lib/model/pretrained.ts";
import { readSafetensors } from "../../lib/model/safetensors.ts";
import { loadSequenceClassifier } from "../../lib/model/sequence_classification.ts";
import { fillMask, type FillMaskPrediction } from "../../lib/pipelines/fill_mask.ts";
import { loadTokenizer } from "../../lib/tokenize/tokenizer.ts";
import { assert, assertAlmostEquals, assertEquals } from "../support/assert.ts";
import { ROOT } from "../support/shared.ts";
import { maxAbsDiff } from "../support/goldens.ts";
import { ourLogits } from "./logits.ts";
import { runTransformersJs } from "./transformers_js/client.ts";

const VARIANTS = ["tiny-modernbert", "tiny-modernbert-options"].map((n) => `${ROOT}/fixtures/reference/${n}`);
const TOLERANCE = 1e-5;
const FILL_TEXTS = ["This is a great [MASK].", "The [MASK] was slow but good."];

async function goldenBatch(dir: string) {
  const g = (await readSafetensors(`${dir}/goldens.safetensors`)).tensors;
  const rows = (name: string) => {
    const [b, s] = g.get(name)!.shape, data = Array.from(g.get(name)!.data);
    return Array.from({ length: b }, (_, r) => data.slice(r * s, (r + 1) * s));
  };
  return { input_ids: rows("input_ids"), attention_mask: rows("attention_mask") };
}

/** The predictions for a text's one mask (a list, or a list holding that list: either shape of fill-mask's result). */
function oneMask(out: unknown): FillMaskPrediction[] {
  const list = out as unknown[];
  return (Array.isArray(list[0]) ? list[0] : list) as FillMaskPrediction[];
}

Deno.test("transformers.js runs the ModernBERT masked-LM export with our fill-mask answers and logits", async () => {
  const tmp = await Deno.makeTempDir({ prefix: "onnx-modernbert-" });
  try {
    for (const dir of VARIANTS) {
      const name = dir.split("/").pop()!;
      const model = await loadMaskedLM(dir);
      try {
        await exportOnnx(model, `${tmp}/${name}`, { tokenizerDir: dir });
        const batch = await goldenBatch(dir);
        const theirs = await runTransformersJs({
          modelDir: `${tmp}/${name}`,
          fillMask: { texts: FILL_TEXTS, topK: 5 },
          logits: batch,
        });
        const tok = await loadTokenizer(dir);
        for (const [i, text] of FILL_TEXTS.entries()) {
          const ours = oneMask(await fillMask(model, tok, text, { topK: 5 }));
          const js = theirs.fillMask![i];
          assertEquals(js.map((p) => p.token), ours.map((p) => p.token), `${name} "${text}": tokens`);
          for (const [k, p] of ours.entries()) assertAlmostEquals(js[k].score, p.score, TOLERANCE, `${name} #${k}`);
        }
        const ours = await ourLogits(model, batch);
        assertEquals(theirs.logits!.dims, ours.dims);
        const diff = maxAbsDiff(theirs.logits!.data, ours.data);
        console.log(`${name}: fill-mask tokens equal; max |Δ logits| over the padded [2, 40] batch = ${diff}`);
        assert(diff <= TOLERANCE, `${name}: onnxruntime logits differ from ours by ${diff}`);
      } finally {
        model.dispose();
      }
    }
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("transformers.js: ModernBERT classifier exports (cls and mean pooling) give our logits", async () => {
  const tmp = await Deno.makeTempDir({ prefix: "onnx-modernbert-cls-" });
  try {
    for (const dir of VARIANTS) {
      const name = `${dir.split("/").pop()}-classifier`;
      const model = await loadSequenceClassifier(`${dir}/classifier`, { log: () => {} });
      try {
        await exportOnnx(model, `${tmp}/${name}`, { tokenizerDir: dir });
        const batch = await goldenBatch(dir);
        const theirs = await runTransformersJs({ modelDir: `${tmp}/${name}`, logits: batch });
        const ours = await ourLogits(model, batch);
        assertEquals(theirs.logits!.dims, ours.dims);
        const diff = maxAbsDiff(theirs.logits!.data, ours.data);
        console.log(`${name} (${model.config.classifier_pooling}): max |Δ logits| = ${diff}`);
        assert(diff <= TOLERANCE, `${name}: onnxruntime logits differ from ours by ${diff}`);
      } finally {
        model.dispose();
      }
    }
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("pushToHubWithOnnx: a ModernBERT folder pushed with its export; transformers.js runs the pushed repo", async () => {
  const { pushToHubWithOnnx } = await import("../../lib/export/hub.ts");
  const { startHubServer } = await import("../support/hub_server.ts");
  const dir = VARIANTS[0];
  const root = await Deno.makeTempDir();
  const hub = await startHubServer();
  const model = await loadMaskedLM(dir);
  try {
    const ckpt = `${root}/ckpt`; // the checkpoint and its tokenizer.json, tokenizer_config.json left for the push to fill
    await Deno.mkdir(ckpt);
    for (const f of ["config.json", "model.safetensors", "tokenizer.json"]) {
      await Deno.copyFile(`${dir}/${f}`, `${ckpt}/${f}`);
    }
    const r = await pushToHubWithOnnx(ckpt, {
      repoId: "me/modernbert-onnx",
      token: "hf_test_write_token",
      endpoint: hub.endpoint,
    });
    assert(r.files.includes("onnx/model.onnx") && r.files.includes("model.safetensors"), r.files.join());
    const files = hub.files("me/modernbert-onnx");
    const tokenizerConfig = JSON.parse(new TextDecoder().decode(files.get("tokenizer_config.json")));
    assertEquals([tokenizerConfig.tokenizer_class, tokenizerConfig.mask_token], ["PreTrainedTokenizerFast", "[MASK]"]);
    const text = FILL_TEXTS[0];
    const theirs = await runTransformersJs({
      hub: { endpoint: hub.endpoint, repoId: "me/modernbert-onnx" },
      fillMask: { texts: [text], topK: 5 },
    });
    const ours = oneMask(await fillMask(model, await loadTokenizer(dir), text, { topK: 5 }));
    assertEquals(theirs.fillMask![0].map((p) => p.token), ours.map((p) => p.token));
    for (const [k, p] of ours.entries()) assertAlmostEquals(theirs.fillMask![0][k].score, p.score, TOLERANCE);
  } finally {
    model.dispose();
    await hub.close();
    await Deno.remove(root, { recursive: true });
  }
});
