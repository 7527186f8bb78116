// ModernBERT at its full context against transformers 5.25 (fixtures/reference/tiny-modernbert-long, made by
// tools/reference/make_modernbert_long_golden.py): a random tiny ModernBertForMaskedLM (hidden 16, 2 heads, layer 0
// global, layers 1-2 sliding-window with local_attention 128, initializer_range 0.3 so attention is sharp) on one [1, 2048] batch whose last 100 positions are
// padding. Logits at 256 positions spread over the whole sequence within 1e-4 relative, the loss within 1e-5 relative,
// the gradients of the token embeddings and of a global and a sliding layer's Wqkv within 1e-3 relative, where
// rel = max|ours - torch| / max|torch| over the compared values. The model's context is 8,192 positions; the batch is
// 2,048 because the cpu backend builds the full [seq, seq] attention scores: 2,048 tokens take about 35 s here, 4,096
// about 2.3 min, and 8,192 did not finish in 10 min (the wasm backend fails in its tile kernel at 4,096).
import { tf } from "../../lib/deps.ts";
import { loadMaskedLM } from "../../lib/model/pretrained.ts";
import { readSafetensors } from "../../lib/model/safetensors.ts";
import { selectBackend } from "../../lib/model/backend.ts";
import { assert, assertEquals } from "../support/assert.ts";
import { ROOT } from "../support/shared.ts";
import { batchLogits, goldenBatch } from "../support/goldens.ts";

const BACKEND = "cpu";
const DIR = `${ROOT}/fixtures/reference/tiny-modernbert-long`;

function relDiff(ours: ArrayLike<number>, theirs: ArrayLike<number>): number {
  let diff = 0, scale = 0;
  for (let i = 0; i < theirs.length; i++) {
    diff = Math.max(diff, Math.abs(ours[i] - theirs[i]));
    scale = Math.max(scale, Math.abs(theirs[i]));
  }
  return diff / Math.max(scale, 1e-12);
}

Deno.test(`ModernBERT at 2,048 tokens equals transformers on ${BACKEND}: sampled logits, loss, gradients`, async () => {
  await selectBackend(BACKEND, { log: () => {} });
  const g = (await readSafetensors(`${DIR}/goldens.safetensors`)).tensors;
  const model = await loadMaskedLM(DIR);
  try {
    const batch = goldenBatch(g);
    assertEquals(batch.shape, [1, 2048]);
    assertEquals(model.config.max_position_embeddings, 8192);
    const vocab = model.config.vocab_size;
    const positions = g.get("positions")!.data;
    const real = batch.attention_mask.reduce((a, b) => a + b, 0);
    assertEquals(positions[positions.length - 1], real - 1, "the sample reaches the last real token");
    const start = performance.now();
    const logits = await batchLogits(model, batch);
    const sampled = new Float32Array(positions.length * vocab);
    positions.forEach((p, i) => sampled.set(logits.subarray(p * vocab, (p + 1) * vocab), i * vocab));
    const logitsRel = relDiff(sampled, g.get("logits")!.data);
    const forward = performance.now() - start;

    const names = [...g.keys()].filter((k) => k.startsWith("grad.")).map((k) => k.slice("grad.".length));
    assertEquals(names.length, 3);
    const before = tf.memory().numTensors;
    const { value, grads } = tf.variableGrads(() => model.loss(batch), names.map((n) => model.params.get(n)!));
    const loss = (await value.data())[0], refLoss = g.get("loss")!.data[0];
    let worstGrad = 0, worstName = "";
    for (const name of names) {
      const rel = relDiff(await grads[model.params.get(name)!.name].data(), g.get(`grad.${name}`)!.data);
      if (rel >= worstGrad) [worstGrad, worstName] = [rel, name];
    }
    tf.dispose([value, ...Object.values(grads)]);
    assertEquals(tf.memory().numTensors, before, "loss + gradients leave no tensors behind");
    const backward = performance.now() - start - forward;
    const lossRel = Math.abs(loss - refLoss) / refLoss;
    console.log(
      `${BACKEND} tiny-modernbert-long [1, 2048]: logits rel ${
        logitsRel.toExponential(2)
      } at ${positions.length} positions, ` +
        `loss ${loss.toFixed(6)} rel ${lossRel.toExponential(2)}, worst gradient rel ${worstGrad.toExponential(2)} ` +
        `(${worstName}); forward ${(forward / 1000).toFixed(1)} s, loss + gradients ${(backward / 1000).toFixed(1)} s`,
    );
    assert(logitsRel <= 1e-4, `logits at the sampled positions: rel ${logitsRel}`);
    assert(lossRel <= 1e-5, `loss ${loss} vs ${refLoss}`);
    assert(worstGrad <= 1e-3, `gradient of ${worstName}: rel ${worstGrad}`);
  } finally {
    model.dispose();
  }
});
