// ONNX export of RoBERTa and XLM-RoBERTa checked with transformers.js (npm:@huggingface/transformers@4.3.1): its
// pipeline("fill-mask") on the export gives our fill-mask answers, and onnxruntime's logits on a padded batch (HF's
// position ids: padding keeps padding_idx) equal ours. Models: the random checkpoints of make_roberta_goldens.py.
import { tf } from "../../lib/deps.ts";
import { decodeOnnx } from "../../lib/export/onnx_graph.ts";
import { exportCheckpointOnnx } from "../../lib/export/onnx.ts";
import { loadMaskedLM } from "../../lib/model/pretrained.ts";
import { fillMask } from "../../lib/pipelines/fill_mask.ts";
import { loadTokenizer } from "../../lib/tokenize/tokenizer.ts";
import { assert, assertAlmostEquals, assertEquals } from "../support/assert.ts";
import { haveShared } from "../support/shared.ts";
import { ROBERTA_FIXTURES, writeRobertaFixture } from "../model/roberta_fixture.ts";
import { runTransformersJs } from "./transformers_js/client.ts";

const FILL_TEXTS = ["This is a great <mask>.", "I watched the <mask> last night and loved it."];
const BATCH_TEXTS = ["A film.", "The plot was thin but the actors were wonderful to watch.", "Bad <mask>!"];

for (const { name, tokenizer } of ROBERTA_FIXTURES) {
  Deno.test({
    name: `exportOnnx: ${name} runs in transformers.js with our fill-mask answers and logits`,
    ignore: !haveShared(`data/${tokenizer}/tokenizer.json`, `${name} ONNX export`),
    fn: async () => {
      const dir = await writeRobertaFixture(name, tokenizer);
      const out = await Deno.makeTempDir({ prefix: `onnx-${name}-` });
      const model = await loadMaskedLM(dir);
      try {
        const result = await exportCheckpointOnnx(dir, { outputDir: out });
        assertEquals(result.architecture, name === "tiny-roberta" ? "RobertaForMaskedLM" : "XLMRobertaForMaskedLM");
        const graph = decodeOnnx(await Deno.readFile(result.onnxPath)).graph!;
        assertEquals((graph.input ?? []).map((i) => i.name), ["input_ids", "attention_mask"]);
        const tok = await loadTokenizer(dir);
        const enc = BATCH_TEXTS.map((t) => tok.encode(t));
        const len = Math.max(...enc.map((e) => e.input_ids.length));
        const batch = {
          input_ids: enc.map((e) => [...e.input_ids, ...Array(len - e.input_ids.length).fill(tok.padTokenId)]),
          attention_mask: enc.map((e) => [...e.attention_mask, ...Array(len - e.input_ids.length).fill(0)]),
        };
        const theirs = await runTransformersJs({
          modelDir: out,
          fillMask: { texts: FILL_TEXTS, topK: 5 },
          logits: batch,
        });
        for (const [i, text] of FILL_TEXTS.entries()) {
          const [ours] = await fillMask(model, tok, text, { topK: 5 });
          const js = theirs.fillMask![i];
          assertEquals(js.map((p) => p.token), ours.map((p) => p.token), `"${text}": tokens`);
          assertEquals(js.map((p) => p.token_str), ours.map((p) => p.token_str), `"${text}": token_str`);
          assertEquals(js.map((p) => p.sequence), ours.map((p) => p.sequence), `"${text}": sequence`);
          for (const [k, p] of ours.entries()) assertAlmostEquals(js[k].score, p.score, 1e-5, `"${text}" #${k}`);
        }
        const logits = tf.tidy(() =>
          model.logits(tf.tensor2d(batch.input_ids, undefined, "int32"), tf.tensor2d(batch.attention_mask))
        );
        const ours = Array.from(await logits.data());
        assertEquals(theirs.logits!.dims, logits.shape);
        logits.dispose();
        let diff = 0;
        ours.forEach((x, i) => diff = Math.max(diff, Math.abs(x - theirs.logits!.data[i])));
        assert(diff <= 1e-5, `onnxruntime logits differ from ours by ${diff}`);
        console.log(`${name}: fill-mask equal; max |Δ logits| over a padded ${theirs.logits!.dims} batch = ${diff}`);
      } finally {
        model.dispose();
        await Deno.remove(dir, { recursive: true });
        await Deno.remove(out, { recursive: true });
      }
    },
  });
}
