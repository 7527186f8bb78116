import { assert, assertEquals, assertRejects } from "../support/assert.ts";
import { finetune, type FinetuneOptions } from "../../lib/app/finetune.ts";
import { tinyFinetune } from "./tiny_data.ts";

const base = (outputDir: string, cacheDir: string): FinetuneOptions =>
  tinyFinetune(outputDir, cacheDir, { numTrainEpochs: 1 });

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
    // metrics.jsonl: a header line first, a summary line last (what lib/report reads); report.html beside it.
    const lines = (await Deno.readTextFile(`${root}/a/metrics.jsonl`)).trim().split("\n").map((l) => JSON.parse(l));
    assertEquals(lines[0].type, "header");
    assertEquals([lines[0].task, lines[0].backend, lines[0].model], ["finetune", "wasm", opts.model]);
    assertEquals([lines[0].args.train_size, lines[0].args.wwm_probability, lines[0].args.chunk_size], [40, 0.2, 32]);
    assert(!Number.isNaN(Date.parse(lines[0].started_at)), "started_at is a date");
    const summary = lines.at(-1);
    assertEquals([summary.type, summary.step], ["summary", 5]);
    assert(summary.train_runtime > 0 && summary.train_loss > 0, JSON.stringify(summary));
    const meanLoss = full.epochs.reduce((acc, e) => acc + e.trainLoss!, 0) / full.epochs.length;
    assert(Math.abs(summary.train_loss - meanLoss) < 1e-9, "train_loss is the mean step loss of the run");
    assertEquals(full.report, `${root}/a/report.html`);
    assert((await Deno.readTextFile(full.report)).includes("finetune"), "the report names the task");
    assertEquals(
      JSON.parse(await Deno.readTextFile(`${root}/b/metrics.jsonl`).then((t) => t.split("\n")[0])).type,
      "header",
    );
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("finetune: bad input fails with clear messages", async () => {
  const root = await Deno.makeTempDir();
  try {
    const o = base(`${root}/out`, `${root}/cache`);
    await assertRejects(() => finetune({ ...o, trainSize: 100000 }), "--train-size 100000 + --test-size 8");
    // Library errors name the option; the task says the same as a flag (tests/tasks/tasks_test.ts).
    await assertRejects(
      () => finetune({ ...o, perDeviceTrainBatchSize: 0 }),
      "perDeviceTrainBatchSize must be an integer >= 1, got 0",
    );
    await assertRejects(() => finetune({ ...o, learningRate: 0 }), "learningRate must be a number > 0, got 0");
    await assertRejects(() => finetune({ ...o, perDeviceEvalBatchSize: 0 }), "perDeviceEvalBatchSize must be");
    await assertRejects(() => finetune({ ...o, resumeFromCheckpoint: `${root}/nope` }), "no such checkpoint folder");
    await assertRejects(
      () => finetune({ ...o, fp16: true }),
      "--fp16 needs the webgpu backend with WebGPU's shader-f16",
    );
    // Hub ids go through lib/hub; offline with an empty cache they fail saying so.
    const hub = { offline: true, cacheDir: `${root}/hf` };
    await assertRejects(() => finetune({ ...o, hub, model: "distilbert-base-uncased" }), "not in the cache");
    await assertRejects(() => finetune({ ...o, hub, dataset: "imdb" }), "no Parquet files in the cache");
    await assertRejects(() => finetune({ ...o, model: `${root}/no/such/model` }), "no such folder");
    await assertRejects(() => finetune({ ...o, pushToHub: true, hubToken: " " }), "needs a write token");
    await assertRejects(() => finetune({ ...o, hub, pushToHub: true, hubToken: "hf_x" }), "offline mode");
    await assertRejects(
      () => finetune({ ...o, pushToHub: true, hubToken: "hf_x", hubStrategy: "checkpoint" as "end" }),
      'hubStrategy must be end or every_save, got "checkpoint"',
    );
    await Deno.mkdir(`${root}/out`, { recursive: true });
    await Deno.writeTextFile(`${root}/out/trainer_state.json`, "{}");
    await assertRejects(() => finetune(o), "--overwrite-output-dir");
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
