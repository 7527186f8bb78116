// fill-mask with RoBERTa's and XLM-R's `<mask>` (its lstrip takes the space before it) on the random checkpoints of
// tools/reference/make_roberta_goldens.py: scores, tokens, token_str and sequence equal transformers'
// pipeline("fill-mask") (fill_mask.json beside the goldens).
import { loadMaskedLM } from "../../lib/model/pretrained.ts";
import { fillMask, type FillMaskPrediction } from "../../lib/pipelines/fill_mask.ts";
import { loadTokenizer } from "../../lib/tokenize/tokenizer.ts";
import { assert, assertEquals } from "../support/assert.ts";
import { haveShared, ROOT } from "../support/shared.ts";
import { ROBERTA_FIXTURES, writeRobertaFixture } from "../model/roberta_fixture.ts";

for (const { name, tokenizer } of ROBERTA_FIXTURES) {
  Deno.test({
    name: `fillMask: ${name} with <mask> equals transformers' pipeline("fill-mask")`,
    ignore: !haveShared(`data/${tokenizer}/tokenizer.json`, `${name} fill-mask`),
    fn: async () => {
      const dir = await writeRobertaFixture(name, tokenizer);
      const model = await loadMaskedLM(dir);
      try {
        const tok = await loadTokenizer(dir);
        assertEquals(tok.maskToken, "<mask>");
        const hf = JSON.parse(await Deno.readTextFile(`${ROOT}/fixtures/reference/${name}/fill_mask.json`));
        for (let t = 0; t < hf.texts.length; t++) {
          const [ours] = await fillMask(model, tok, hf.texts[t], { topK: hf.top_k });
          const theirs = hf.outputs[t] as FillMaskPrediction[];
          assertEquals(ours.map((p) => p.token), theirs.map((p) => p.token), `${hf.texts[t]}: tokens`);
          assertEquals(ours.map((p) => p.token_str), theirs.map((p) => p.token_str), `${hf.texts[t]}: token_str`);
          assertEquals(ours.map((p) => p.sequence), theirs.map((p) => p.sequence), `${hf.texts[t]}: sequence`);
          for (let k = 0; k < ours.length; k++) {
            assert(Math.abs(ours[k].score - theirs[k].score) <= 1e-5 * theirs[k].score, `score ${k}`);
          }
        }
      } finally {
        model.dispose();
        await Deno.remove(dir, { recursive: true });
      }
    },
  });
}
