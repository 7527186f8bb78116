import { assert, assertEquals, assertRejects } from "../support/assert.ts";
import { DEMO_FIXTURE_DIR } from "../../lib/train/demo.ts";
import { finetune, type FinetuneOptions } from "../../lib/train/finetune.ts";

const base = (outputDir: string, cacheDir: string): FinetuneOptions => ({
  model: `${DEMO_FIXTURE_DIR}/model`,
  dataset: `${DEMO_FIXTURE_DIR}/corpus/movie_reviews.jsonl`,
  chunkSize: 32,
  groupBatch: 1000,
  trainSize: 40,
  testSize: 8,
  seed: 42,
  mlmProbability: 0.15,
  perDeviceEvalBatchSize: 8,
  perDeviceTrainBatchSize: 8,
  learningRate: 1e-3,
  numTrainEpochs: 1,
  backend: "wasm",
  outputDir,
  cacheDir,
  saveStrategy: "steps",
  saveSteps: 2,
  log: () => {},
});

Deno.test("finetune: resuming from checkpoint-2 of a run ends byte-identical to it (whole-word masking)", async () => {
  const root = await Deno.makeTempDir();
  try {
    const opts = { ...base(`${root}/a`, `${root}/cache`), wwmProbability: 0.2 };
    const full = await finetune(opts);
    assertEquals(full.globalStep, 5);
    const resumed = await finetune({ ...opts, outputDir: `${root}/b`, resumeFromCheckpoint: `${root}/a/checkpoint-2` });
    assertEquals(resumed.globalStep, 5);
    const a = await Deno.readFile(`${root}/a/model.safetensors`);
    const b = await Deno.readFile(`${root}/b/model.safetensors`);
    assert(a.length === b.length && a.every((x, i) => x === b[i]), "model.safetensors differ");
    await Deno.stat(`${root}/b/tokenizer.json`);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("finetune: bad input fails with clear messages", async () => {
  const root = await Deno.makeTempDir();
  try {
    const o = base(`${root}/out`, `${root}/cache`);
    await assertRejects(() => finetune({ ...o, trainSize: 100000 }), "--train-size 100000 + --test-size 8");
    await assertRejects(() => finetune({ ...o, perDeviceTrainBatchSize: 0 }), "--per-device-train-batch-size");
    await assertRejects(() => finetune({ ...o, perDeviceEvalBatchSize: 0 }), "--per-device-eval-batch-size");
    await assertRejects(() => finetune({ ...o, resumeFromCheckpoint: `${root}/nope` }), "no such checkpoint folder");
    await assertRejects(() => finetune({ ...o, fp16: true }), "not supported on backend wasm");
    await assertRejects(() => finetune({ ...o, model: "distilbert-base-uncased" }), "Hub ids need lib/hub");
    await assertRejects(() => finetune({ ...o, dataset: "imdb" }), "Hub ids need lib/hub");
    await Deno.mkdir(`${root}/out`, { recursive: true });
    await Deno.writeTextFile(`${root}/out/trainer_state.json`, "{}");
    await assertRejects(() => finetune(o), "--overwrite-output-dir");
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
