// ModernBERT's ONNX export against transformers.js 4.3.1 (its own ModernBERT support, onnxruntime-node): the
// transformers-saved tiny checkpoints (fixtures/reference/tiny-modernbert*, global + sliding-window layers) exported
// with their tokenizer; transformers.js' fill-mask and text-classification answers and onnxruntime's raw logits on
// the padded [2, 40] golden batch (longer than the 16-token window) equal ours within 1e-5.
import { tf } from "../../lib/deps.ts";
import { exportOnnx } from "../../lib/export/onnx.ts";
import { loadMaskedLM } from "../../lib/model/pretrained.ts";
import { readSafetensors } from "../../lib/model/safetensors.ts";
import { loadSequenceClassifier } from "../../lib/model/sequence_classification.ts";
import { fillMask, type FillMaskPrediction } from "../../lib/pipelines/fill_mask.ts";
import { loadTokenizer } from "../../lib/tokenize/tokenizer.ts";
import { assert, assertAlmostEquals, assertEquals } from "../support/assert.ts";
import { ROOT } from "../support/shared.ts";
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

async function ourLogits(
  model: { logits(a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor },
  batch: { input_ids: number[][]; attention_mask: number[][] },
) {
  const ids = tf.tensor2d(batch.input_ids, undefined, "int32");
  const mask = tf.tensor2d(batch.attention_mask, undefined, "int32");
  const logits = model.logits(ids, mask);
  const out = { dims: logits.shape, data: Array.from(await logits.data()) };
  tf.dispose([ids, mask, logits]);
  return out;
}

function maxAbs(a: number[], b: number[]): number {
  assertEquals(a.length, b.length);
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i] - b[i]));
  return d;
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
          const ours = await fillMask(model, tok, text, { topK: 5 }) as FillMaskPrediction[];
          const js = theirs.fillMask![i];
          assertEquals(js.map((p) => p.token), ours.map((p) => p.token), `${name} "${text}": tokens`);
          for (const [k, p] of ours.entries()) assertAlmostEquals(js[k].score, p.score, TOLERANCE, `${name} #${k}`);
        }
        const ours = await ourLogits(model, batch);
        assertEquals(theirs.logits!.dims, ours.dims);
        const diff = maxAbs(theirs.logits!.data, ours.data);
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
        const diff = maxAbs(theirs.logits!.data, ours.data);
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
