// Sequence classifiers: parity with PyTorch on the shared tiny classifier checkpoints (logits ≤ 1e-4 max abs, loss
// ≤ 1e-4 relative, eval mode), loading an encoder from a masked-LM checkpoint (new head, HF messages), saving in HF's
// layout, and the bad-checkpoint errors.
import { tf } from "../../lib/deps.ts";
import { parseConfig } from "../../lib/model/config.ts";
import { initMaskedLM } from "../../lib/model/init.ts";
import { savePretrained } from "../../lib/model/pretrained.ts";
import { readSafetensors, writeSafetensors } from "../../lib/model/safetensors.ts";
import { type BackendName, selectBackend } from "../../lib/model/backend.ts";
import {
  classifierCheckpointValues,
  initSequenceClassifier,
  loadSequenceClassifier,
  saveSequenceClassifier,
} from "../../lib/model/sequence_classification.ts";
import { assert, assertEquals, assertRejects, assertStringIncludes, assertThrows } from "../support/assert.ts";
import { haveShared, SHARED } from "../support/shared.ts";
import { batchLogits, goldenBatch, maxAbsDiff } from "../support/goldens.ts";

const GOLDENS = [`${SHARED}/goldens/tiny-distilbert-cls`, `${SHARED}/goldens/tiny-bert-cls`];

async function parity(dir: string): Promise<{ logitsMaxAbs: number; lossRel: number }> {
  const g = (await readSafetensors(`${dir}/goldens.safetensors`)).tensors;
  const lines: string[] = [];
  const model = await loadSequenceClassifier(dir, { log: (l) => lines.push(l) });
  try {
    assertEquals(lines.length, 0, `a classifier checkpoint loads every weight: ${lines.join("\n")}`);
    const batch = goldenBatch(g);
    const logits = await batchLogits(model, batch);
    const ref = g.get("logits")!.data;
    assertEquals(logits.length, ref.length);
    const logitsMaxAbs = maxAbsDiff(ref, logits);
    const before = tf.memory().numTensors;
    const lossT = model.loss(batch);
    const loss = (await lossT.data())[0];
    lossT.dispose();
    assertEquals(tf.memory().numTensors, before, "loss leaves no tensors behind");
    const refLoss = g.get("loss")!.data[0];
    return { logitsMaxAbs, lossRel: Math.abs(loss - refLoss) / Math.abs(refLoss) };
  } finally {
    model.dispose();
  }
}

async function checkOn(backend: BackendName): Promise<void> {
  await selectBackend(backend, { log: () => {} });
  try {
    for (const dir of GOLDENS) {
      const p = await parity(dir);
      console.log(
        `${backend} ${dir}: logits max abs ${p.logitsMaxAbs.toExponential(2)}, loss rel ${p.lossRel.toExponential(2)}`,
      );
      assert(p.logitsMaxAbs <= 1e-4, `${dir} logits max abs ${p.logitsMaxAbs}`);
      assert(p.lossRel <= 1e-4, `${dir} loss rel ${p.lossRel}`);
    }
  } finally {
    await selectBackend("cpu", { log: () => {} });
  }
}

const ignore = !haveShared("goldens/tiny-bert-cls/goldens.safetensors", "classifier parity");

Deno.test({ name: "classifier parity with PyTorch on cpu: logits and loss", ignore, fn: () => checkOn("cpu") });

Deno.test({ name: "classifier parity with PyTorch on wasm: logits and loss", ignore, fn: () => checkOn("wasm") });

const DISTIL = { model_type: "distilbert", vocab_size: 40, dim: 8, n_heads: 2, n_layers: 1, hidden_dim: 16 };
const BERT = {
  model_type: "bert",
  vocab_size: 40,
  hidden_size: 8,
  num_attention_heads: 2,
  num_hidden_layers: 1,
  intermediate_size: 16,
};

Deno.test("classifier from a masked-LM checkpoint: encoder loaded, head new (HF messages), saved as HF", async () => {
  const dir = await Deno.makeTempDir();
  try {
    for (const raw of [DISTIL, BERT]) {
      const config = parseConfig(raw);
      const mlm = initMaskedLM(config, { seed: 3 });
      await savePretrained(mlm, `${dir}/${raw.model_type}-mlm`);
      const lines: string[] = [];
      const cls = await loadSequenceClassifier(`${dir}/${raw.model_type}-mlm`, {
        labels: ["neg", "neutral", "pos"],
        seed: 7,
        log: (l) => lines.push(l),
      });
      const text = lines.join("\n");
      assertStringIncludes(text, "were not initialized from the model checkpoint");
      assertStringIncludes(text, "'classifier.weight'");
      assertStringIncludes(
        text,
        raw.model_type === "distilbert" ? "'pre_classifier.weight'" : "'bert.pooler.dense.bias'",
      );
      assertStringIncludes(text, "were not used when initializing");
      assertStringIncludes(
        text,
        raw.model_type === "distilbert" ? "'vocab_transform.weight'" : "'cls.predictions.bias'",
      );
      // encoder weights are the MLM's
      const word = `${raw.model_type}.embeddings.word_embeddings.weight`;
      const a = mlm.params.get(word)!.dataSync(), b = cls.params.get(word)!.dataSync();
      assert(a.every((x, i) => x === b[i]), "encoder weights copied");
      // the head: normal(0, 0.02) weights, zero biases
      const w = cls.params.get("classifier.weight")!.dataSync();
      assertEquals(cls.params.get("classifier.weight")!.shape, [3, 8]);
      const std = Math.sqrt(Array.from(w).reduce((s, x) => s + x * x, 0) / w.length);
      assert(std > 0.005 && std < 0.05, `head std ${std}`);
      assert(cls.params.get("classifier.bias")!.dataSync().every((x) => x === 0), "zero bias");

      await saveSequenceClassifier(cls, `${dir}/${raw.model_type}-cls`);
      const saved = JSON.parse(await Deno.readTextFile(`${dir}/${raw.model_type}-cls/config.json`));
      assertEquals(saved.architectures, [
        raw.model_type === "distilbert" ? "DistilBertForSequenceClassification" : "BertForSequenceClassification",
      ]);
      assertEquals(saved.id2label, { "0": "neg", "1": "neutral", "2": "pos" });
      assertEquals(saved.label2id, { neg: 0, neutral: 1, pos: 2 });
      assertEquals(saved.problem_type, "single_label_classification");
      const again: string[] = [];
      const back = await loadSequenceClassifier(`${dir}/${raw.model_type}-cls`, { log: (l) => again.push(l) });
      assertEquals(again, [], "a saved classifier loads every weight");
      assertEquals(back.numLabels, 3);
      const ids = tf.tensor2d([[2, 5, 9, 3]], undefined, "int32"),
        mask = tf.tensor2d([[1, 1, 1, 1]], undefined, "int32");
      const l1 = cls.logits(ids, mask).dataSync(), l2 = back.logits(ids, mask).dataSync();
      assert(l1.every((x, i) => x === l2[i]), "same logits after a round trip");
      tf.dispose([ids, mask]);
      mlm.dispose();
      cls.dispose();
      back.dispose();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("classifier: dropout only in training, seeded; same seed → same head", async () => {
  const { Rng } = await import("../../lib/data/rng.ts");
  const m1 = initSequenceClassifier(parseConfig(DISTIL), { seed: 1 });
  const m2 = initSequenceClassifier(parseConfig(DISTIL), { seed: 1 });
  try {
    const batch = {
      input_ids: new Int32Array([2, 5, 6, 3, 2, 7, 3, 0]),
      attention_mask: new Int32Array([1, 1, 1, 1, 1, 1, 1, 0]),
      labels: new Int32Array([0, 1]),
      shape: [2, 4] as [number, number],
    };
    const evalA = m1.loss(batch).dataSync()[0], evalB = m2.loss(batch).dataSync()[0];
    assertEquals(evalA, evalB);
    const t1 = m1.loss(batch, { training: true, rng: new Rng(5) }).dataSync()[0];
    const t2 = m1.loss(batch, { training: true, rng: new Rng(5) }).dataSync()[0];
    assertEquals(t1, t2, "same dropout seed, same loss");
    assert(Math.abs(t1 - evalA) > 0, "dropout changes the training loss");
  } finally {
    m1.dispose();
    m2.dispose();
  }
});

Deno.test("classifier: a checkpoint with no encoder weights, a partial encoder, or a wrong head shape fails clearly", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const config = parseConfig(DISTIL);
    await Deno.writeTextFile(`${dir}/config.json`, JSON.stringify(DISTIL));
    await writeSafetensors(
      `${dir}/model.safetensors`,
      new Map([["classifier.weight", { shape: [2, 8], data: new Float32Array(16) }]]),
    );
    const err = await assertRejects(() => loadSequenceClassifier(dir, { log: () => {} }), "no encoder weights");
    assertStringIncludes(err.message, `${dir}/model.safetensors`);
    assertStringIncludes(err.message, "classifier.weight");

    const mlm = initMaskedLM(config, { seed: 0 });
    const tensors = new Map(
      [...mlm.params].map(([n, v]) => [n, { shape: v.shape, data: v.dataSync() as Float32Array }]),
    );
    tensors.delete("distilbert.transformer.layer.0.ffn.lin1.weight");
    assertThrows(
      () => classifierCheckpointValues(tensors, config, { source: "x.safetensors" }),
      'missing encoder tensor "distilbert.transformer.layer.0.ffn.lin1.weight"',
    );
    const cls = initSequenceClassifier(config, { seed: 0, labels: ["a", "b", "c"] });
    const clsTensors = new Map(
      [...cls.params].map(([n, v]) => [n, { shape: v.shape, data: v.dataSync() as Float32Array }]),
    );
    assertThrows(
      () => classifierCheckpointValues(clsTensors, config),
      "another number of labels",
    );
    mlm.dispose();
    cls.dispose();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
