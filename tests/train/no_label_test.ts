import { tf } from "../../lib/deps.ts";
import { assert, assertEquals } from "../support/assert.ts";
import { selectBackend } from "../../lib/model/backend.ts";
import { loadMaskedLM, savePretrained } from "../../lib/model/pretrained.ts";
import { createMlmCollator } from "../../lib/collate/mlm.ts";
import { batchFixed, maskOnce } from "../../lib/collate/mask_once.ts";
import type { Rng } from "../../lib/data/rng.ts";
import { DEMO_MODEL as MODEL, demoChunks } from "./demo_chunks.ts";
import { train } from "../../lib/train/trainer.ts";
import { evaluateMlm } from "../../lib/train/evaluate.ts";
import { AdamW } from "../../lib/train/adamw.ts";
import { hasLabels, trainStep } from "../../lib/train/step.ts";
import { loadCheckpoint } from "../../lib/app/checkpoints.ts";
import { FileSink } from "../../lib/app/file_sink.ts";

Deno.test("trainStep: a batch without labels gives zero loss and zero gradient, and AdamW still advances", async () => {
  await selectBackend("wasm", { log: () => {} });
  const w = tf.variable(tf.tensor([2, -1]));
  let forwards = 0;
  const model = {
    params: new Map([["w", w]]),
    loss: () => (forwards++, tf.sum(tf.square(w)) as tf.Scalar),
  };
  const batch = {
    input_ids: new Int32Array(2),
    attention_mask: Int32Array.of(1, 1),
    labels: Int32Array.of(-100, -100),
    shape: [1, 2] as [number, number],
  };
  const optimizer = new AdamW(model.params, { weightDecay: 0.01 });
  try {
    const r = await trainStep(model, [batch, batch], { optimizer, lr: 0.1, maxGradNorm: 1, training: false });
    assertEquals(r.loss, 0);
    assertEquals(r.gradNorm, 0);
    assertEquals(r.applied, true);
    assertEquals(r.batchesWithoutLabels, 2);
    assertEquals(forwards, 0);
    assertEquals(optimizer.stepCount, 1);
    // Zero gradient: only the decoupled weight decay moves the weights, p *= 1 - lr * wd.
    const [a, b] = w.dataSync();
    assert(Math.abs(a - 2 * (1 - 0.1 * 0.01)) < 1e-6 && Math.abs(b + (1 - 0.1 * 0.01)) < 1e-6, `${a}, ${b}`);
    // One labelled micro-batch of two: its loss divided by 2, the empty one counted.
    const labelled = { ...batch, labels: Int32Array.of(5, -100) };
    const before = Array.from(w.dataSync());
    const r2 = await trainStep(model, [labelled, batch], { optimizer, lr: 0.1, maxGradNorm: 0, training: false });
    assertEquals(r2.batchesWithoutLabels, 1);
    assert(Math.abs(r2.loss - (before[0] ** 2 + before[1] ** 2) / 2) < 1e-5, `${r2.loss}`);
    assertEquals(forwards, 1);
  } finally {
    optimizer.dispose();
    w.dispose();
  }
});

function tinyChunks() {
  return demoChunks(20, 8);
}

Deno.test("train + evaluate with batch 1 x chunk 8: batches without a masked token never crash nor poison", async () => {
  await selectBackend("wasm", { log: () => {} });
  const { chunks, ids } = await tinyChunks();
  const evalBatches = batchFixed(maskOnce(chunks.slice(0, 16), createMlmCollator({ ...ids, seed: 1 })), 1);
  const emptyEval = evalBatches.filter((b) => !hasLabels(b)).length;
  assert(emptyEval > 0 && emptyEval < evalBatches.length, `eval batches without labels: ${emptyEval}`);
  const model = await loadMaskedLM(MODEL);
  const root = await Deno.makeTempDir();
  try {
    const ev = await evaluateMlm(model, evalBatches);
    assertEquals(ev.eval_batches_without_labels, emptyEval);
    assert(Number.isFinite(ev.eval_loss) && Number.isFinite(ev.eval_loss_token_weighted), JSON.stringify(ev));
    assertEquals(ev.eval_samples, evalBatches.length - emptyEval);

    const r = await train(
      model,
      {
        outputDir: root,
        perDeviceTrainBatchSize: 1,
        maxSteps: 24,
        loggingSteps: 1,
        learningRate: 1e-3,
        seed: 5,
        saveStrategy: "steps",
        saveSteps: 24,
      },
      {
        train: chunks.slice(16, 48),
        evalBatches,
        makeCollator: (rng: Rng) => createMlmCollator({ ...ids, rng }),
      },
      new FileSink(root, {
        saveModel: (dir) => savePretrained(model, dir, { tokenizerDir: MODEL }),
        progress: false,
        log: () => {},
      }),
    );
    assertEquals(r.globalStep, 24);
    const lines = (await Deno.readTextFile(`${root}/metrics.jsonl`)).trim().split("\n").map((l) => JSON.parse(l));
    const steps = lines.filter((l) => typeof l.loss === "number");
    assertEquals(steps.length, 24);
    const empty = steps.filter((l) => l.batches_without_labels === 1);
    assert(empty.length > 0, "some training batches of 8 tokens have no mask with seed 5");
    for (const l of empty) assertEquals(l.loss, 0);
    for (const l of steps) assert(Number.isFinite(l.loss) && Number.isFinite(l.grad_norm), JSON.stringify(l));
    const evalLine = lines.find((l) => typeof l.eval_loss === "number");
    assertEquals(evalLine.eval_batches_without_labels, emptyEval);
    for (const [name, p] of model.params) assert(p.dataSync().every(Number.isFinite), `${name} is not finite`);
    // Every step counted, by the optimizer too.
    const ck = await loadCheckpoint(`${root}/checkpoint-24`);
    assertEquals(ck.optimizer.step, 24);
    tf.dispose([...ck.optimizer.m.values(), ...ck.optimizer.v.values()]);
  } finally {
    model.dispose();
    await Deno.remove(root, { recursive: true });
  }
});
