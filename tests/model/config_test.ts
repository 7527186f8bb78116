import { configToJson, parseConfig, readConfig, writeConfig } from "../../lib/model/config.ts";
import { assertEquals, assertRejects, assertThrows } from "../support/assert.ts";
import { haveShared, SHARED } from "../support/shared.ts";

Deno.test("config: HF defaults fill absent fields", () => {
  const d = parseConfig({ model_type: "distilbert" });
  assertEquals([d.vocab_size, d.dim, d.n_layers, d.n_heads, d.hidden_dim], [30522, 768, 6, 12, 3072]);
  assertEquals([d.activation, d.max_position_embeddings, d.sinusoidal_pos_embds], ["gelu", 512, false]);
  assertEquals([d.dropout, d.attention_dropout, d.pad_token_id, d.tie_word_embeddings], [0.1, 0.1, 0, true]);
  const b = parseConfig({ model_type: "bert" });
  if (b.model_type !== "bert") throw new Error("bert");
  assertEquals([b.hidden_size, b.num_hidden_layers, b.num_attention_heads, b.intermediate_size], [768, 12, 12, 3072]);
  assertEquals([b.hidden_act, b.layer_norm_eps, b.type_vocab_size], ["gelu", 1e-12, 2]);
});

Deno.test("config: DistilBERT accepts HF's generic aliases (hidden_size → dim)", () => {
  const d = parseConfig({ model_type: "distilbert", hidden_size: 64, num_attention_heads: 4, num_hidden_layers: 2 });
  if (d.model_type !== "distilbert") throw new Error("distilbert");
  assertEquals([d.dim, d.n_heads, d.n_layers], [64, 4, 2]);
  assertEquals("hidden_size" in d, false);
});

Deno.test("config: unknown model_type lists the supported ones; bad fields name the field", () => {
  assertThrows(() => parseConfig({ model_type: "gpt2" }, { source: "x/config.json" }), '"distilbert", "bert"');
  assertThrows(() => parseConfig({ model_type: "bert", hidden_size: -1 }), '"hidden_size"');
  assertThrows(() => parseConfig({ model_type: "distilbert", dim: 30, n_heads: 4 }), "divisible");
  assertThrows(() => parseConfig({ model_type: "bert", hidden_act: "swish2" }), "unsupported activation");
  assertThrows(() => parseConfig({ model_type: "bert", position_embedding_type: "relative_key" }), "absolute");
  assertThrows(() => parseConfig([1, 2]), "JSON object");
});

Deno.test({
  name: "config: an HF config.json round-trips with every field kept",
  ignore: !haveShared("goldens/tiny-bert/config.json", "config round trip"),
  fn: async () => {
    const dir = await Deno.makeTempDir();
    try {
      for (const name of ["tiny-distilbert", "tiny-bert"]) {
        const original = JSON.parse(await Deno.readTextFile(`${SHARED}/goldens/${name}/config.json`));
        const config = await readConfig(`${SHARED}/goldens/${name}`);
        await writeConfig(config, dir);
        const text = await Deno.readTextFile(`${dir}/config.json`);
        const written = JSON.parse(text);
        for (const [k, v] of Object.entries(original)) assertEquals(written[k], v, `field ${k}`);
        assertEquals(text, configToJson(config));
        assertEquals(Object.keys(JSON.parse(text)), Object.keys(JSON.parse(text)).sort());
      }
      await Deno.writeTextFile(`${dir}/config.json`, "{nope");
      await assertRejects(() => readConfig(dir), "not valid JSON");
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
