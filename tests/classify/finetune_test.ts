import { classifyFinetune, type ClassifyFinetuneOptions } from "../../lib/classify/finetune.ts";
import { readRunLog } from "../../lib/report/run_log.ts";
import { writeSafetensors } from "../../lib/model/safetensors.ts";
import { assert, assertEquals, assertRejects, assertStringIncludes } from "../support/assert.ts";
import { toyRows, writeJsonl, writeToyModel } from "./toy.ts";
import { selectBackend, webgpuAdapter } from "../../lib/model/backend.ts";

async function setup(root: string): Promise<Omit<ClassifyFinetuneOptions, "outputDir">> {
  await writeToyModel(`${root}/mlm`, 1);
  await writeJsonl(`${root}/toy.jsonl`, toyRows(120, 7));
  return {
    model: `${root}/mlm`,
    dataset: `${root}/toy.jsonl`,
    trainSize: 96,
    testSize: 24,
    maxLength: 16,
    seed: 42,
    learningRate: 1e-2,
    perDeviceTrainBatchSize: 16,
    numTrainEpochs: 8,
    backend: "cpu",
    progress: false,
    log: () => {},
  };
}

Deno.test("classify-finetune: a toy separable task trains above chance; logs, report and an HF classifier are written", async () => {
  const root = await Deno.makeTempDir();
  try {
    const base = await setup(root);
    const lines: string[] = [];
    const r = await classifyFinetune({ ...base, outputDir: `${root}/run`, log: (l) => lines.push(l) });
    console.log(r.table);
    assertEquals(r.globalStep, 48);
    assertEquals(r.epochs.length, 8);
    assertEquals(r.labels, ["0", "1"]);
    const last = r.epochs.at(-1)!;
    assert(last.accuracy! >= 0.9, `accuracy ${last.accuracy} after 8 epochs on a separable task`);
    assert(last.f1! >= 0.9, `f1 ${last.f1}`);
    assert(last.evalLoss < r.epochs[0].evalLoss - 0.1, "eval loss falls");
    assert(r.epochs[0].accuracy! < 0.9, "it was learned, not given");
    assertStringIncludes(lines.join("\n"), "newly initialized: ['pre_classifier.weight'");

    const log = await readRunLog(`${root}/run`);
    assertEquals(log.header.task, "classify-finetune");
    assertEquals(log.header.backend, "cpu");
    assertEquals(log.header.args.max_length, 16);
    assertEquals([log.header.other.train_samples, log.header.other.model_dir], [96, r.modelDir]);
    assertEquals(log.evals.length, 8);
    assertEquals(log.evals[7].accuracy, last.accuracy);
    assert(log.steps.length >= 4 && log.steps.every((s) => s.learningRate !== null && s.tokensPerSecond !== null));
    assert(typeof log.timings.train_runtime === "number", "summary line");
    const html = await Deno.readTextFile(r.report);
    assertStringIncludes(html, "accuracy");

    const config = JSON.parse(await Deno.readTextFile(`${root}/run/config.json`));
    assertEquals(config.architectures, ["DistilBertForSequenceClassification"]);
    assertEquals(config.id2label, { "0": "0", "1": "1" });
    await Deno.stat(`${root}/run/tokenizer.json`);
    await Deno.stat(`${root}/run/checkpoint-48/optimizer.safetensors`);

    // the same run resumed from its epoch-4 checkpoint ends byte-identical
    const resumed = await classifyFinetune({
      ...base,
      outputDir: `${root}/resumed`,
      resumeFromCheckpoint: `${root}/run/checkpoint-24`,
    });
    assertEquals(resumed.globalStep, 48);
    const a = await Deno.readFile(`${root}/run/model.safetensors`);
    const b = await Deno.readFile(`${root}/resumed/model.safetensors`);
    assert(a.length === b.length && a.every((x, i) => x === b[i]), "resumed model differs");
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("classify-finetune: bad input fails with clear messages", async () => {
  const root = await Deno.makeTempDir();
  try {
    const base = { ...(await setup(root)), outputDir: `${root}/out` };
    const rows = toyRows(20, 3);
    rows[4].label = 5;
    await writeJsonl(`${root}/bad.jsonl`, rows);
    await assertRejects(
      () => classifyFinetune({ ...base, dataset: `${root}/bad.jsonl`, labels: ["0", "1"], trainSize: 10, testSize: 5 }),
      `${root}/bad.jsonl record 5: label "5"`,
    );
    await writeJsonl(`${root}/one.jsonl`, toyRows(20, 3).map((r) => ({ ...r, label: 0 })));
    await assertRejects(
      () => classifyFinetune({ ...base, dataset: `${root}/one.jsonl`, trainSize: 10, testSize: 5 }),
      "single class",
    );
    await Deno.mkdir(`${root}/empty-model`);
    await Deno.copyFile(`${root}/mlm/config.json`, `${root}/empty-model/config.json`);
    await Deno.copyFile(`${root}/mlm/tokenizer.json`, `${root}/empty-model/tokenizer.json`);
    await writeSafetensors(
      `${root}/empty-model/model.safetensors`,
      new Map([["lm_head.weight", { shape: [2], data: new Float32Array(2) }]]),
    );
    await assertRejects(
      () => classifyFinetune({ ...base, model: `${root}/empty-model` }),
      "no encoder weights for DistilBertForSequenceClassification",
    );
    await assertRejects(() => classifyFinetune({ ...base, maxLength: 64 }), "--max-length 64: the model has only 32");
    await assertRejects(() => classifyFinetune({ ...base, maxLength: 1 }), "--max-length");
    await assertRejects(
      () => classifyFinetune({ ...base, resumeFromCheckpoint: `${root}/nope` }),
      "no such checkpoint",
    );
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

const f16Adapter = (await webgpuAdapter())?.shaderF16 === true;
if (!f16Adapter) console.log("SKIP classify-finetune --fp16 on webgpu: no WebGPU adapter with shader-f16");

Deno.test({
  name: "classify-finetune --fp16: trains on webgpu with shader-f16 logging its loss scale; refused on cpu",
  ignore: !f16Adapter,
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    const root = await Deno.makeTempDir();
    try {
      const base = { ...(await setup(root)), trainSize: 32, testSize: 8, numTrainEpochs: 1 };
      await assertRejects(
        () => classifyFinetune({ ...base, outputDir: `${root}/cpu`, fp16: true }),
        "--fp16 needs the webgpu backend with WebGPU's shader-f16 feature; backend cpu",
      );
      const r = await classifyFinetune({ ...base, backend: "webgpu", fp16: true, outputDir: `${root}/run` });
      assertEquals(r.globalStep, 2);
      const log = await readRunLog(`${root}/run`);
      const rows = (await Deno.readTextFile(`${root}/run/metrics.jsonl`)).trim().split("\n").map((l) => JSON.parse(l));
      assert(rows.some((row) => row.loss_scale === 65536 && row.skipped_steps === 0), "the loss scale is logged");
      assertEquals(log.header.backend, "webgpu");
    } finally {
      await Deno.remove(root, { recursive: true });
      await selectBackend("cpu", { log: () => {} });
    }
  },
});
