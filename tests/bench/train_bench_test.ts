import { tf } from "../../lib/deps.ts";
import { selectBackend } from "../../lib/model/backend.ts";
import { benchTrain, formatTrainBench, MODEL_SIZES, randomMlmBatches } from "../../lib/bench/train_bench.ts";
import { assert, assertEquals, assertNotEquals, assertStringIncludes } from "../support/assert.ts";
import { webgpuTestOptions } from "../support/webgpu.ts";

Deno.test("randomMlmBatches: [CLS] … [SEP] rows, ~15 % labels, seeded", () => {
  const opts = { batchSize: 4, seqLen: 64, vocabSize: 1000, seed: 3 };
  const [a, b] = randomMlmBatches(2, opts);
  assertEquals(a.shape, [4, 64]);
  assertEquals([a.input_ids[0], a.input_ids[63], a.labels[0], a.labels[63]], [101, 102, -100, -100]);
  assert(a.attention_mask.every((m) => m === 1), "full-length rows");
  const labelled = a.labels.filter((l) => l !== -100).length;
  assert(labelled > 15 && labelled < 65, `about 15 % of 248 maskable tokens labelled, got ${labelled}`);
  assertNotEquals([...a.input_ids], [...b.input_ids]);
  assertEquals([...randomMlmBatches(1, opts)[0].input_ids], [...a.input_ids], "same seed, same batch");
});

Deno.test("benchTrain on cpu: times steps, phases with --split-phases, trains, leaks nothing", async () => {
  const r = await benchTrain({
    modelSize: "tiny",
    batchSize: 2,
    seqLen: 16,
    backend: "cpu",
    steps: 2,
    warmup: 1,
    splitPhases: true,
  });
  assertEquals([r.backend, r.batch_size, r.seq_len, r.steps, r.tensors_leaked], ["cpu", 2, 16, 2, 0]);
  assertEquals(r.shape, MODEL_SIZES.tiny);
  assert(r.upload === undefined && r.adapter === undefined, "no upload path off WebGPU");
  assert(r.ms_per_step > 0 && Math.abs(r.tokens_per_s - 32 / (r.ms_per_step / 1000)) <= 1, "tokens/s = B·S / step");
  assert(r.phases && r.phases.forward_ms > 0 && r.phases.optimizer_ms >= r.phases.adamw_ms, "phases timed");
  assert(r.phases.adamw_ms > 0, "AdamW timed alone");
  assert(Number.isFinite(r.loss_first) && Math.abs(r.loss_first - Math.log(1000)) < 0.5, `loss ≈ ln(vocab)`);
  assertStringIncludes(formatTrainBench(r), "forward");
  assertEquals(JSON.parse(JSON.stringify(r)).bench, "train");
  assertEquals(tf.getBackend(), "cpu");
});

Deno.test("benchTrain: bad options name the field", async () => {
  const base = { modelSize: "tiny" as const, batchSize: 2, seqLen: 16, backend: "cpu" as const, steps: 1, warmup: 0 };
  for (
    const [bad, msg] of [
      [{ modelSize: "huge" }, "model size: unknown"],
      [{ batchSize: 0 }, "batch size: expected an integer >= 1"],
      [{ seqLen: 1000 }, "seq len: at most 512"],
      [{ upload: "dma" }, "upload: expected write or mapped"],
      [{ adamw: "adam" }, "adamw: expected fused or tfjs"],
    ] as const
  ) {
    let error: Error | undefined;
    try {
      await benchTrain({ ...base, ...bad } as Parameters<typeof benchTrain>[0]);
    } catch (e) {
      error = e as Error;
    }
    assert(error, `expected a failure for ${JSON.stringify(bad)}`);
    assertStringIncludes(error.message, msg);
  }
  await selectBackend("cpu", { log: () => {} });
});

Deno.test("deno task bench:train --json prints one JSON line (cpu, tiny)", async () => {
  const out = await new Deno.Command("deno", {
    args: [
      "run",
      "--allow-read",
      "tasks/bench_train.ts",
      ...["--model-size", "tiny", "--batch-size", "2", "--seq-len", "8", "--backend", "cpu"],
      ...["--steps", "1", "--warmup", "0", "--json", "--quiet"],
    ],
    cwd: new URL("../../", import.meta.url).pathname,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stderr = new TextDecoder().decode(out.stderr);
  assertEquals(out.code, 0, stderr);
  const lines = new TextDecoder().decode(out.stdout).trim().split("\n");
  assertEquals(lines.length, 1);
  const r = JSON.parse(lines[0]);
  assertEquals([r.model_size, r.backend, r.batch_size, r.seq_len], ["tiny", "cpu", 2, 8]);
  assertStringIncludes(stderr, "tokens/s");
});

const gpu = webgpuTestOptions("benchTrain on webgpu");

Deno.test({
  name: "benchTrain on webgpu: GPU dispatches per phase; the fused AdamW takes 3 per parameter, same losses as tf ops",
  ...gpu,
  fn: async () => {
    const base = {
      modelSize: "tiny" as const,
      batchSize: 2,
      seqLen: 16,
      backend: "webgpu" as const,
      steps: 2,
      warmup: 0,
    };
    try {
      const fused = await benchTrain({ ...base, adamw: "fused" });
      const ops = await benchTrain({ ...base, adamw: "tfjs" });
      assertEquals([fused.backend, fused.adamw, ops.adamw, fused.tensors_leaked], ["webgpu", "fused", "tfjs", 0]);
      const d = fused.dispatches!, o = ops.dispatches!;
      const tensors = 4 + 16 * MODEL_SIZES.tiny.n_layers + 5; // embeddings, blocks, MLM head (decoder tied)
      assertEquals(d.adamw, 3 * tensors);
      assert(o.adamw > 10 * tensors, `tf-op AdamW dispatches ${o.adamw}`);
      assertEquals([d.forward, d.backward], [o.forward, o.backward]);
      assert(d.forward > 0 && d.backward > 0 && d.optimizer > d.adamw, JSON.stringify(d));
      assertEquals(d.total, d.forward + d.backward + d.optimizer);
      assertEquals([fused.loss_first, fused.loss_last], [ops.loss_first, ops.loss_last]);
      assertStringIncludes(formatTrainBench(fused), `GPU dispatches/step: forward ${d.forward}`);
    } finally {
      await selectBackend("cpu", { log: () => {} });
    }
  },
});
