/**
 * Save the README's small random DistilBERT (vocab 30,522, dim 64, 2 layers, 4 heads, FFN 256, 256 positions;
 * seed 0) with a tokenizer, for runs where `deno eval` on `mod.ts` is not possible (the bundled GPU-machine runs).
 *
 *     deno run --allow-read --allow-write tools/gpu/make_random_model.ts OUT_DIR TOKENIZER_DIR
 *
 * @module
 */
import { initMaskedLM } from "../../lib/model/init.ts";
import { parseConfig } from "../../lib/model/config.ts";
import { savePretrained } from "../../lib/model/pretrained.ts";

const [out, tokenizerDir] = Deno.args;
if (!out || !tokenizerDir) throw new Error("usage: make_random_model.ts OUT_DIR TOKENIZER_DIR");
const config = parseConfig({
  model_type: "distilbert",
  vocab_size: 30522,
  dim: 64,
  n_heads: 4,
  n_layers: 2,
  hidden_dim: 256,
  max_position_embeddings: 256,
});
const model = initMaskedLM(config, { seed: 0 });
await savePretrained(model, out, { tokenizerDir });
console.log(`${out}: random distilbert, ${model.numParameters().toLocaleString("en")} parameters`);
model.dispose();
