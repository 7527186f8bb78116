import { tf } from "../../lib/deps.ts";
import { paramSpecs } from "../../lib/model/architectures.ts";
import { parseConfig } from "../../lib/model/config.ts";
import { initMaskedLM } from "../../lib/model/init.ts";
import { assert, assertAlmostEquals, assertEquals, assertNotEquals, assertThrows } from "../support/assert.ts";

function count(config: Parameters<typeof paramSpecs>[0]): number {
  let n = 0;
  for (const s of paramSpecs(config).values()) n += s.shape.reduce((a, b) => a * b, 1);
  return n;
}

Deno.test("numParameters of the base models equals HF's num_parameters()", () => {
  assertEquals(count(parseConfig({ model_type: "distilbert" })), 66_985_530); // distilbert-base-uncased MLM
  assertEquals(count(parseConfig({ model_type: "bert" })), 109_514_298); // bert-base-uncased MLM
  // untied decoders add a [vocab, hidden] matrix
  assertEquals(count(parseConfig({ model_type: "bert", tie_word_embeddings: false })), 109_514_298 + 30522 * 768);
});

const tiny = { vocab_size: 500, dim: 32, n_heads: 4, n_layers: 2, hidden_dim: 64, pad_token_id: 3 };

Deno.test("initMaskedLM: HF _init_weights statistics, padding row zero, same seed same weights", async () => {
  const a = initMaskedLM(parseConfig({ model_type: "distilbert", ...tiny }), { seed: 7 });
  const b = initMaskedLM(parseConfig({ model_type: "distilbert", ...tiny }), { seed: 7 });
  const c = initMaskedLM(parseConfig({ model_type: "distilbert", ...tiny }), { seed: 8 });
  try {
    const emb = await a.params.get("distilbert.embeddings.word_embeddings.weight")!.data();
    assertEquals([...emb.subarray(3 * 32, 4 * 32)], new Array(32).fill(0));
    let s = 0, s2 = 0;
    for (const x of emb) [s, s2] = [s + x, s2 + x * x];
    assertAlmostEquals(Math.sqrt(s2 / emb.length), 0.02, 0.001);
    assertAlmostEquals(s / emb.length, 0, 0.001);
    assertEquals([...await a.params.get("vocab_layer_norm.weight")!.data()], new Array(32).fill(1));
    assertEquals([...await a.params.get("vocab_projector.bias")!.data()], new Array(500).fill(0));
    assertEquals(
      await a.params.get("vocab_transform.weight")!.data(),
      await b.params.get("vocab_transform.weight")!.data(),
    );
    assertNotEquals(
      await a.params.get("vocab_transform.weight")!.data(),
      await c.params.get("vocab_transform.weight")!.data(),
    );
    assertEquals(a.numParameters(), count(a.config));
  } finally {
    [a, b, c].forEach((m) => m.dispose());
  }
});

Deno.test("initMaskedLM: sinusoidal position embeddings are HF's and not trainable", async () => {
  const m = initMaskedLM(parseConfig({ model_type: "distilbert", ...tiny, sinusoidal_pos_embds: true }), { seed: 0 });
  try {
    const pos = m.params.get("distilbert.embeddings.position_embeddings.weight")!;
    assertEquals(pos.trainable, false);
    const v = await pos.data();
    assertAlmostEquals(v[5 * 32 + 0], Math.sin(5), 1e-6);
    assertAlmostEquals(v[5 * 32 + 3], Math.cos(5 / Math.pow(10000, 2 / 32)), 1e-6);
  } finally {
    m.dispose();
  }
});

Deno.test("dropout: off in eval, seeded in training, and training without an rng fails", async () => {
  const { Rng } = await import("../../lib/data/rng.ts");
  const m = initMaskedLM(
    parseConfig({
      model_type: "bert",
      vocab_size: 50,
      hidden_size: 16,
      num_attention_heads: 2,
      num_hidden_layers: 1,
      intermediate_size: 32,
    }),
    { seed: 1 },
  );
  const ids = tf.tensor2d([[2, 7, 9, 4]], undefined, "int32");
  const mask = tf.tensor2d([[1, 1, 1, 0]], undefined, "int32");
  try {
    const run = async (o: Parameters<typeof m.logits>[2]) => {
      const t = m.logits(ids, mask, o);
      const v = await t.data();
      t.dispose();
      return v;
    };
    const eval1 = await run({}), eval2 = await run({ training: false, rng: new Rng(1) });
    assertEquals(eval1, eval2);
    const t1 = await run({ training: true, rng: new Rng(5) }), t2 = await run({ training: true, rng: new Rng(5) });
    assertEquals(t1, t2, "same seed, same dropout masks");
    assertNotEquals(t1, eval1);
    assertNotEquals(await run({ training: true, rng: new Rng(6) }), t1);
    assertThrows(() => m.logits(ids, mask, { training: true }), "needs options.rng");
  } finally {
    tf.dispose([ids, mask]);
    m.dispose();
  }
});

Deno.test("loss: mean over labels != -100; lossSumAndCount agrees; padding does not change real positions", async () => {
  const m = initMaskedLM(parseConfig({ model_type: "distilbert", ...tiny }), { seed: 2 });
  try {
    const batch = {
      input_ids: new Int32Array([10, 11, 12, 3, 20, 21, 22, 23]),
      attention_mask: new Int32Array([1, 1, 1, 0, 1, 1, 1, 1]),
      labels: new Int32Array([-100, 40, -100, -100, 41, -100, 42, -100]),
      shape: [2, 4] as [number, number],
    };
    const loss = m.loss(batch);
    const { sum, count } = await m.lossSumAndCount(batch);
    assertEquals(count, 3);
    assertAlmostEquals((await loss.data())[0], sum / 3, 1e-5);
    loss.dispose();
    // the first row alone, unpadded, gives the same logits at its real positions
    const full = m.logits(
      tf.tensor2d(batch.input_ids, [2, 4], "int32"),
      tf.tensor2d(batch.attention_mask, [2, 4], "int32"),
    );
    const alone = m.logits(
      tf.tensor2d([[10, 11, 12]], undefined, "int32"),
      tf.tensor2d([[1, 1, 1]], undefined, "int32"),
    );
    const a = await full.slice([0, 0, 0], [1, 3, -1]).data(), b = await alone.data();
    let maxd = 0;
    for (let i = 0; i < a.length; i++) maxd = Math.max(maxd, Math.abs(a[i] - b[i]));
    assert(maxd < 1e-5, `padding changed real positions by ${maxd}`);
    tf.dispose([full, alone]);
  } finally {
    m.dispose();
  }
});
