// ModernBERT against transformers 5.25 (fixtures/reference/tiny-modernbert*, made by
// tools/reference/make_modernbert_goldens.py): random ModernBertForMaskedLM checkpoints saved by transformers, a padded
// [2, 40] batch (40 and 27 real tokens) that crosses the sliding window (local_attention 16: keys at most 8 away).
// Logits at every real token within 1e-5 relative, the loss within 1e-6 relative, every gradient within 1e-4 relative,
// where rel = max|ours - torch| / max|torch| over the compared values.
import { tf } from "../../lib/deps.ts";
import { loadMaskedLM } from "../../lib/model/pretrained.ts";
import { readSafetensors } from "../../lib/model/safetensors.ts";
import { type BackendName, selectBackend } from "../../lib/model/backend.ts";
import { assert, assertEquals } from "../support/assert.ts";
import { ROOT } from "../support/shared.ts";
import { batchLogits, goldenBatch } from "../support/goldens.ts";
import { webgpuTestOptions } from "../support/webgpu.ts";

const VARIANTS = ["tiny-modernbert", "tiny-modernbert-options"].map((n) => `${ROOT}/fixtures/reference/${n}`);

function relDiff(ours: ArrayLike<number>, theirs: ArrayLike<number>, keep: (i: number) => boolean = () => true) {
  let diff = 0, scale = 0;
  for (let i = 0; i < theirs.length; i++) {
    if (!keep(i)) continue;
    diff = Math.max(diff, Math.abs(ours[i] - theirs[i]));
    scale = Math.max(scale, Math.abs(theirs[i]));
  }
  return diff / Math.max(scale, 1e-12);
}

async function check(dir: string, backend: string): Promise<void> {
  const g = (await readSafetensors(`${dir}/goldens.safetensors`)).tensors;
  const model = await loadMaskedLM(dir);
  try {
    const batch = goldenBatch(g);
    const vocab = model.config.vocab_size;
    const logits = await batchLogits(model, batch);
    const ref = g.get("logits")!.data;
    assertEquals(logits.length, ref.length);
    const logitsRel = relDiff(logits, ref, (i) => batch.attention_mask[Math.floor(i / vocab)] === 1);

    const before = tf.memory().numTensors;
    const { value, grads } = tf.variableGrads(() => model.loss(batch), [...model.params.values()]);
    const loss = (await value.data())[0], refLoss = g.get("loss")!.data[0];
    let worstGrad = 0, worstName = "";
    for (const [name, v] of model.params) {
      const theirs = g.get(`grad.${name}`);
      assert(theirs, `transformers' goldens have no gradient for ${name}`);
      const rel = relDiff(await grads[v.name].data(), theirs.data);
      if (rel >= worstGrad) [worstGrad, worstName] = [rel, name];
    }
    assertEquals(model.params.size, [...g.keys()].filter((k) => k.startsWith("grad.")).length, "one per parameter");
    tf.dispose([value, ...Object.values(grads)]);
    assertEquals(tf.memory().numTensors, before, "loss + gradients leave no tensors behind");
    const lossRel = Math.abs(loss - refLoss) / refLoss;
    const name = dir.split("/").pop();
    console.log(
      `${backend} ${name}: logits rel ${logitsRel.toExponential(2)}, loss rel ${lossRel.toExponential(2)}, ` +
        `worst gradient rel ${worstGrad.toExponential(2)} (${worstName})`,
    );
    assert(logitsRel <= 1e-5, `${name} logits at real tokens: rel ${logitsRel}`);
    assert(lossRel <= 1e-6, `${name} loss ${loss} vs ${refLoss}`);
    assert(worstGrad <= 1e-4, `${name} gradient of ${worstName}: rel ${worstGrad}`);
    const file = await readSafetensors(`${dir}/model.safetensors`);
    let n = 0;
    for (const t of file.tensors.values()) n += t.data.length;
    assertEquals(model.numParameters(), n, "HF num_parameters(): the tied decoder counted once");
  } finally {
    model.dispose();
  }
}

async function on(backend: BackendName): Promise<void> {
  await selectBackend(backend, { log: () => {} });
  try {
    for (const dir of VARIANTS) await check(dir, backend);
  } finally {
    await selectBackend("cpu", { log: () => {} });
  }
}

Deno.test("ModernBERT equals transformers on cpu: logits, loss, every gradient", () => on("cpu"));

Deno.test("ModernBERT equals transformers on wasm: logits, loss, every gradient", () => on("wasm"));

Deno.test({
  name: "ModernBERT equals transformers on webgpu: logits, loss, every gradient",
  ...webgpuTestOptions("ModernBERT on webgpu"),
  fn: () => on("webgpu"),
});

Deno.test("ModernBERT config: both the Hub's fields and transformers 5's, every option checked", async () => {
  const { parseConfig, modernBertLayerTypes, modernBertRopeTheta } = await import("../../lib/model/config.ts");
  type C = import("../../lib/model/config.ts").ModernBertConfig;
  // answerdotai/ModernBERT-base's form: global_attn_every_n_layers, global_rope_theta, local_rope_theta
  const hub = parseConfig({
    model_type: "modernbert",
    num_hidden_layers: 22,
    global_attn_every_n_layers: 3,
    global_rope_theta: 160000,
    local_rope_theta: 10000,
  }) as C;
  const types = modernBertLayerTypes(hub);
  assertEquals(types.filter((t) => t === "full_attention").length, 8, "layers 0, 3, …, 21 global");
  assertEquals(modernBertRopeTheta(hub, "sliding_attention"), 10000);
  // what transformers 5.25 saves: layer_types and rope_parameters win over the older fields
  const saved = JSON.parse(await Deno.readTextFile(`${VARIANTS[1]}/config.json`));
  const c = parseConfig(saved) as C;
  assertEquals(modernBertLayerTypes(c), ["full_attention", "sliding_attention", "full_attention"]);
  assertEquals([modernBertRopeTheta(c, "full_attention"), modernBertRopeTheta(c, "sliding_attention")], [1000, 500]);
  assertEquals([c.norm_bias, c.decoder_bias, c.classifier_pooling, c.norm_eps], [true, false, "mean", 1e-6]);
  const bad: [Record<string, unknown>, string][] = [
    [{ classifier_pooling: "max" }, 'field "classifier_pooling": expected "cls" or "mean"'],
    [{ hidden_activation: "swish2" }, 'field "hidden_activation": unsupported activation'],
    [{ layer_types: ["full_attention"] }, 'field "layer_types": expected 22 entries'],
    [{ rope_parameters: { full_attention: { rope_type: "yarn" } } }, "rope_parameters.full_attention.rope_type"],
    [{ hidden_size: 36, num_attention_heads: 4 }, "even head size"],
    [{ norm_bias: "yes" }, 'field "norm_bias": expected true or false'],
    [{ local_attention: 0 }, 'field "local_attention": expected a positive integer'],
  ];
  for (const [fields, message] of bad) {
    let error = "";
    try {
      parseConfig({ model_type: "modernbert", ...fields }, { source: "m/config.json" });
    } catch (e) {
      error = (e as Error).message;
    }
    assert(error.startsWith("m/config.json: ") && error.includes(message), `${JSON.stringify(fields)}: ${error}`);
  }
});

Deno.test("ModernBERT-shaped tokenizer.json (byte-level BPE, [CLS] … [SEP]) and fill-mask equal transformers'", async () => {
  const { loadTokenizer } = await import("../../lib/tokenize/tokenizer.ts");
  const { fillMask } = await import("../../lib/pipelines/fill_mask.ts");
  const dir = VARIANTS[0];
  const tok = await loadTokenizer(dir);
  // the special tokens sit after the BPE vocabulary, as in ModernBERT's own tokenizer.json
  assertEquals(
    [tok.vocabSize, tok.unkTokenId, tok.clsTokenId, tok.sepTokenId, tok.padTokenId, tok.maskTokenId],
    [325, 320, 321, 322, 323, 324],
  );
  assertEquals(tok.maskToken, "[MASK]");
  const g = (await readSafetensors(`${dir}/goldens.safetensors`)).tensors;
  const ids = g.get("input_ids")!.data, mask = g.get("attention_mask")!.data;
  const texts = [
    "This movie was a great film with a wonderful cast. The plot is slow but the acting is good. " +
    "I did not like the ending of this movie at all.",
    "The plot is slow but the acting is good. What a terrible waste of time!",
  ];
  for (let r = 0; r < 2; r++) {
    const real = [...mask.slice(r * 40, r * 40 + 40)].filter((m) => m === 1).length;
    const enc = tok.encode(texts[r], { maxLength: 40 });
    assertEquals(enc.input_ids, [...ids.slice(r * 40, r * 40 + real)], `row ${r}: transformers' ids`);
    assertEquals([enc.word_ids[0], enc.word_ids.at(-1)], [null, null], "[CLS] and [SEP] belong to no word");
  }
  // word ids as transformers gives them for this tokenizer (`PreTrainedTokenizerFast(...).word_ids()`)
  assertEquals(
    tok.encode("The unbelievable plot, slowly.").word_ids,
    [null, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 3, 4, 4, 4, 4, 4, 5, null],
  );
  const model = await loadMaskedLM(dir);
  try {
    const ref = JSON.parse(await Deno.readTextFile(`${dir}/fill_mask.json`));
    const ours = await fillMask(model, tok, ref.texts[0], { topK: 5 }) as { score: number; token: number }[];
    const theirs = ref.outputs[0] as { score: number; token: number; token_str: string; sequence: string }[];
    assertEquals(ours.map((p) => p.token), theirs.map((p) => p.token), "the same top 5");
    for (let i = 0; i < 5; i++) {
      assert(Math.abs(ours[i].score - theirs[i].score) <= 1e-5 * theirs[i].score, `score ${i}`);
    }
    assertEquals(ours, theirs.map((p, i) => ({ ...p, score: ours[i].score })), "token_str and sequence");
  } finally {
    model.dispose();
  }
});

Deno.test("ModernBertForSequenceClassification (cls and mean pooling) equals transformers: logits, loss, gradients", async () => {
  const { loadSequenceClassifier } = await import("../../lib/model/sequence_classification.ts");
  for (const variant of VARIANTS) {
    const dir = `${variant}/classifier`;
    const g = (await readSafetensors(`${dir}/classifier.safetensors`)).tensors;
    const model = await loadSequenceClassifier(dir, { log: () => {} });
    try {
      assertEquals(model.numLabels, 3);
      const batch = {
        input_ids: g.get("input_ids")!.data as Int32Array,
        attention_mask: g.get("attention_mask")!.data as Int32Array,
        labels: g.get("labels")!.data as Int32Array,
        shape: g.get("input_ids")!.shape as [number, number],
      };
      const ids = tf.tensor2d(batch.input_ids, batch.shape, "int32");
      const mask = tf.tensor2d(batch.attention_mask, batch.shape, "int32");
      const logitsT = model.logits(ids, mask);
      const logitsRel = relDiff(await logitsT.data(), g.get("logits")!.data);
      tf.dispose([ids, mask, logitsT]);
      const { value, grads } = tf.variableGrads(() => model.loss(batch), [...model.params.values()]);
      const lossRel = Math.abs((await value.data())[0] - g.get("loss")!.data[0]) / g.get("loss")!.data[0];
      let worst = 0, worstName = "";
      for (const [name, v] of model.params) {
        const rel = relDiff(await grads[v.name].data(), g.get(`grad.${name}`)!.data);
        if (rel >= worst) [worst, worstName] = [rel, name];
      }
      tf.dispose([value, ...Object.values(grads)]);
      const name = `${variant.split("/").pop()} (${model.config.classifier_pooling} pooling)`;
      console.log(
        `${name}: logits rel ${logitsRel.toExponential(2)}, loss rel ${lossRel.toExponential(2)}, ` +
          `worst gradient rel ${worst.toExponential(2)} (${worstName})`,
      );
      assert(logitsRel <= 1e-5 && lossRel <= 1e-5, `${name}: logits ${logitsRel}, loss ${lossRel}`);
      assert(worst <= 1e-4, `${name}: gradient of ${worstName} rel ${worst}`);
    } finally {
      model.dispose();
    }
  }
});
