import { tf } from "../../lib/deps.ts";
import { assert, assertEquals, assertRejects, assertStringIncludes } from "../support/assert.ts";
import { selectBackend } from "../../lib/model/backend.ts";
import { loadMaskedLM, savePretrained } from "../../lib/model/pretrained.ts";
import { createMlmCollator } from "../../lib/collate/mlm.ts";
import { batchFixed, maskOnce } from "../../lib/collate/mask_once.ts";
import type { Rng } from "../../lib/data/rng.ts";
import { DEMO_MODEL as MODEL, demoChunks } from "./demo_chunks.ts";
import { NonFiniteLossError, train, type TrainArgs } from "../../lib/train/trainer.ts";
import { listCheckpoints } from "../../lib/app/checkpoints.ts";
import { FileSink } from "../../lib/app/file_sink.ts";
import { webgpuTestOptions } from "../support/webgpu.ts";

async function setup(backend: "wasm" | "webgpu" = "wasm") {
  await selectBackend(backend, { log: () => {} });
  const { chunks, ids } = await demoChunks(80, 32);
  const evalBatches = batchFixed(maskOnce(chunks.slice(0, 8), createMlmCollator({ ...ids, seed: 9 })), 4);
  return { trainChunks: chunks.slice(8, 40), evalBatches, ids };
}

async function run(
  outputDir: string,
  args: Partial<TrainArgs>,
  stopAfter?: number,
  backend: "wasm" | "webgpu" = "wasm",
) {
  const { trainChunks, evalBatches, ids } = await setup(backend);
  const model = await loadMaskedLM(MODEL);
  const controller = new AbortController();
  try {
    return await train(
      model,
      {
        outputDir,
        learningRate: 1e-3,
        perDeviceTrainBatchSize: 8,
        numTrainEpochs: 2,
        warmupSteps: 2,
        seed: 3,
        saveStrategy: "epoch",
        ...args,
      },
      {
        train: trainChunks,
        evalBatches,
        makeCollator: (rng: Rng) => createMlmCollator({ ...ids, rng }),
        signal: controller.signal,
        onStep: (s) => {
          if (s === stopAfter) controller.abort();
        },
      },
      new FileSink(outputDir, {
        saveModel: (dir) => savePretrained(model, dir, { tokenizerDir: MODEL }),
        progress: false,
        log: () => {},
      }),
    );
  } finally {
    model.dispose();
  }
}

Deno.test("train: interrupted at step 3 and resumed gives byte-identical weights to an uninterrupted run", async () => {
  const root = await Deno.makeTempDir();
  try {
    const full = await run(`${root}/full`, {});
    assertEquals(full.globalStep, 8);
    assertEquals(full.evals.length, 2);
    const cut = await run(`${root}/cut`, {}, 3);
    assertEquals(cut.interrupted, `${root}/cut/checkpoint-3`);
    for (
      const f of ["config.json", "model.safetensors", "optimizer.safetensors", "trainer_state.json", "tokenizer.json"]
    ) {
      await Deno.stat(`${root}/cut/checkpoint-3/${f}`);
    }
    const resumed = await run(`${root}/cut`, { resumeFromCheckpoint: `${root}/cut/checkpoint-3` });
    assertEquals(resumed.globalStep, 8);
    const a = await Deno.readFile(`${root}/full/model.safetensors`);
    const b = await Deno.readFile(`${root}/cut/model.safetensors`);
    assert(a.length === b.length && a.every((x, i) => x === b[i]), "final model.safetensors differ");
    assertEquals(resumed.evals.at(-1)!.eval_loss, full.evals.at(-1)!.eval_loss);
    // Metrics and HF trainer state are written.
    const lines = (await Deno.readTextFile(`${root}/full/metrics.jsonl`)).trim().split("\n").map((l) => JSON.parse(l));
    assert(lines.some((l) => typeof l.eval_loss === "number" && typeof l.perplexity === "number"));
    assert(lines.some((l) => typeof l.loss === "number" && typeof l.learning_rate === "number"));
    const state = JSON.parse(await Deno.readTextFile(`${root}/full/trainer_state.json`));
    assertEquals(state.global_step, 8);
    assert(full.table.includes("perplexity"));
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

const gpu = webgpuTestOptions("webgpu resume test");

Deno.test({
  name: "train on webgpu: run twice, and interrupted + resumed, the final weights are byte-identical",
  ...gpu,
  fn: async () => {
    const root = await Deno.makeTempDir();
    try {
      await run(`${root}/a`, { numTrainEpochs: 1 }, undefined, "webgpu");
      await run(`${root}/b`, { numTrainEpochs: 1 }, undefined, "webgpu");
      await run(`${root}/cut`, { numTrainEpochs: 1 }, 2, "webgpu");
      await run(
        `${root}/cut`,
        { numTrainEpochs: 1, resumeFromCheckpoint: `${root}/cut/checkpoint-2` },
        undefined,
        "webgpu",
      );
      const a = await Deno.readFile(`${root}/a/model.safetensors`);
      for (const other of ["b", "cut"]) {
        const b = await Deno.readFile(`${root}/${other}/model.safetensors`);
        assert(a.length === b.length && a.every((x, i) => x === b[i]), `webgpu: ${other}/model.safetensors differs`);
      }
    } finally {
      await selectBackend("wasm", { log: () => {} });
      await Deno.remove(root, { recursive: true });
    }
  },
});

Deno.test("train: --save-total-limit keeps the newest checkpoints", async () => {
  const root = await Deno.makeTempDir();
  try {
    await run(root, { saveStrategy: "steps", saveSteps: 2, saveTotalLimit: 2, numTrainEpochs: 1 });
    assertEquals((await listCheckpoints(root)).map((c) => c.step), [2, 4]);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

/** One 3-token row with one label, as a chunk and as its batch. */
function oneRow() {
  const chunk = { input_ids: [2, 5, 3], attention_mask: [1, 1, 1], word_ids: [null, 0, null], labels: [2, 5, 3] };
  const batch = {
    input_ids: Int32Array.of(2, 5, 3),
    attention_mask: Int32Array.of(1, 1, 1),
    labels: Int32Array.of(-100, 5, -100),
    shape: [1, 3] as [number, number],
  };
  return { chunk, batch };
}

Deno.test("train: a NaN loss stops with a message naming the step and the last good checkpoint", async () => {
  await selectBackend("wasm", { log: () => {} });
  const root = await Deno.makeTempDir();
  const w = tf.variable(tf.scalar(1));
  let calls = 0;
  const model = {
    params: new Map([["w", w]]),
    loss: () => tf.mul(w, ++calls > 2 ? NaN : 1) as tf.Scalar,
  };
  const { chunk, batch } = oneRow();
  try {
    const err = await assertRejects(() =>
      train(model, {
        outputDir: root,
        perDeviceTrainBatchSize: 1,
        numTrainEpochs: 4,
        saveStrategy: "steps",
        saveSteps: 1,
      }, {
        train: [chunk],
        evalBatches: [batch],
        makeCollator: () => () => batch,
      }, new FileSink(root, { saveModel: async () => {}, progress: false, log: () => {} }))
    );
    assert(err instanceof NonFiniteLossError, err.message);
    assert(err.message.includes("NaN") && err.message.includes(`${root}/checkpoint-`), err.message);
    assert(await Deno.stat(`${root}/checkpoint-1`).then(() => true), "last good checkpoint kept");
  } finally {
    w.dispose();
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("train: a NaN loss read a step late still never reaches the weights (the next step is skipped too)", async () => {
  await selectBackend("wasm", { log: () => {} });
  const root = await Deno.makeTempDir();
  const run = async (nanFrom: number, stopAfter = Infinity) => {
    const controller = new AbortController();
    const w = tf.variable(tf.tensor([1, -2]));
    let calls = 0;
    const model = {
      params: new Map([["w", w]]),
      loss: () => tf.mul(tf.sum(tf.square(w)), ++calls >= nanFrom ? NaN : 1) as tf.Scalar,
    };
    const { chunk, batch } = oneRow();
    const error = await train(model, {
      outputDir: `${root}/${nanFrom}`,
      perDeviceTrainBatchSize: 1,
      maxSteps: 6,
      learningRate: 0.1,
      saveStrategy: "no",
    }, {
      train: Array.from({ length: 6 }, () => chunk),
      evalBatches: [batch],
      makeCollator: () => () => batch,
      signal: controller.signal,
      onStep: (step) => {
        if (step === stopAfter) controller.abort();
      },
    }, new FileSink(`${root}/${nanFrom}`, { saveModel: async () => {}, progress: false, log: () => {} })).then(
      () => undefined,
      (e) => e as Error,
    );
    const weights = Array.from(await w.data());
    w.dispose();
    return { error, weights };
  };
  try {
    const clean = await run(Infinity, 2); // two good steps, then stopped
    const poisoned = await run(3); // the third step's loss is NaN; the fourth is already enqueued when it is read
    assert(poisoned.error instanceof NonFiniteLossError, String(poisoned.error));
    assertStringIncludes(poisoned.error.message, "at step 3");
    assertStringIncludes(poisoned.error.message, "No checkpoint was written yet");
    assertEquals(poisoned.weights, clean.weights);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
