import { tf } from "../../lib/deps.ts";
import { selectBackend } from "../../lib/model/backend.ts";
import {
  benchTrain,
  formatTrainBench,
  MODEL_SIZES,
  type ModelSizeName,
  randomMlmBatches,
  withVocabSize,
} from "../../lib/bench/train_bench.ts";
import { maxSequenceLength, parseConfig } from "../../lib/model/config.ts";
import { maxBindingBytes } from "../../lib/model/masked_lm.ts";
import { assert, assertEquals, assertNotEquals, assertStringIncludes } from "../support/assert.ts";
import { webgpuTestOptions } from "../support/webgpu.ts";
import { countWebgpuReadbacks } from "../../lib/bench/dispatch_counter.ts";

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
  assert(r.phases && r.phases.forward_ms > 0 && r.phases.optimizer_ms > 0, "phases timed");
  assert(
    r.encode_ms > 0 && r.readbacks_per_step === undefined && r.dispatches === undefined,
    "no GPU counts off WebGPU",
  );
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
      [{ vocabSize: 104 }, "vocab size: expected an integer >= 105"],
      [{ modelSize: "roberta-tiny", seqLen: 513 }, "seq len: at most 512 for roberta-tiny"],
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

Deno.test("MODEL_SIZES: the base shapes are the checkpoints' config.json sizes, and every shape parses", () => {
  for (const [name, shape] of Object.entries(MODEL_SIZES)) {
    const c = parseConfig({ ...shape }, { source: name });
    assertEquals(c.vocab_size, shape.vocab_size, name);
  }
  const rb = parseConfig({ ...MODEL_SIZES["roberta-base"] });
  assertEquals(
    [
      rb.model_type,
      rb.vocab_size,
      rb.pad_token_id,
      rb.max_position_embeddings,
      rb.type_vocab_size,
      maxSequenceLength(rb),
    ],
    ["roberta", 50265, 1, 514, 1, 512],
  );
  const mb = parseConfig({ ...MODEL_SIZES["modernbert-base"] });
  assertEquals(
    [mb.vocab_size, mb.hidden_size, mb.num_hidden_layers, mb.num_attention_heads, mb.intermediate_size],
    [50368, 768, 22, 12, 1152],
  );
  assertEquals([mb.local_attention, mb.global_attn_every_n_layers, mb.global_rope_theta, mb.local_rope_theta], [
    128,
    3,
    160000,
    10000,
  ]);
  const small = withVocabSize(MODEL_SIZES["roberta-base"], 1000);
  assertEquals([small.vocab_size, small.pad_token_id, small.hidden_size], [1000, 1, 768], "pad 1 still fits");
  assertEquals(MODEL_SIZES["roberta-base"].vocab_size, 50265, "the table is not changed");
});

Deno.test("benchTrain --vocab-size: the result's shape has the vocabulary trained (cpu, tiny)", async () => {
  const r = await benchTrain({
    modelSize: "modernbert-tiny",
    vocabSize: 300,
    batchSize: 1,
    seqLen: 8,
    backend: "cpu",
    steps: 1,
    warmup: 0,
  });
  assertEquals([r.shape.model_type, r.shape.vocab_size, r.shape.num_hidden_layers, r.tensors_leaked], [
    "modernbert",
    300,
    3,
    0,
  ]);
  assert(Math.abs(r.loss_first - Math.log(300)) < 0.5, `loss ≈ ln(300), got ${r.loss_first}`);
});

const gpu = webgpuTestOptions("benchTrain on webgpu");

Deno.test({
  name: "benchTrain on webgpu: no blocking read-back in a step; dispatches per phase; fused and tf-op AdamW agree",
  ...gpu,
  fn: async () => {
    const base = {
      modelSize: "tiny" as const,
      batchSize: 2,
      seqLen: 16,
      backend: "webgpu" as const,
      steps: 3,
      warmup: 1,
    };
    try {
      const fused = await benchTrain({ ...base, adamw: "fused" });
      const ops = await benchTrain({ ...base, adamw: "tfjs" });
      assertEquals([fused.backend, fused.adamw, ops.adamw, fused.tensors_leaked], ["webgpu", "fused", "tfjs", 0]);
      assertEquals([fused.readbacks_per_step, ops.readbacks_per_step], [0, 0]);
      assertEquals([fused.gpu_reads_per_step, ops.gpu_reads_per_step], [1, 1], "one read of each step, a step late");
      const d = fused.dispatches!, o = ops.dispatches!;
      assertEquals([d.forward, d.backward], [o.forward, o.backward]);
      assert(d.forward > 0 && d.backward > 0 && d.optimizer > 0 && o.optimizer > d.optimizer, JSON.stringify([d, o]));
      assertEquals(d.total, d.forward + d.backward + d.optimizer);
      assert(fused.encode_ms > 0 && fused.encode_us_per_dispatch! > 0, JSON.stringify(fused));
      assert(fused.submit_ms! >= 0 && fused.submit_ms! <= fused.encode_ms, "submit time is part of the encode time");
      assertEquals([fused.loss_first, fused.loss_last], [ops.loss_first, ops.loss_last]);
      assertStringIncludes(formatTrainBench(fused), `GPU dispatches/step: forward ${d.forward}`);
      assertStringIncludes(formatTrainBench(fused), "blocking read-backs/step 0");
    } finally {
      await selectBackend("cpu", { log: () => {} });
    }
  },
});

Deno.test({
  name: "countWebgpuReadbacks: a read awaited in the step that issued it blocks; one awaited a step later does not",
  ...gpu,
  fn: async () => {
    await selectBackend("webgpu", { log: () => {} });
    try {
      const counter = countWebgpuReadbacks();
      // Large enough to run on the GPU (tfjs-webgpu computes small CPU-held tensors on the CPU).
      const ones = tf.ones([4096]);
      const a = tf.add(ones, 1), b = tf.add(ones, 2);
      const late = a.data();
      counter.endStep();
      await late;
      await b.data();
      counter.endStep();
      await a.data(); // already on the CPU: not a GPU read
      counter.stop();
      assertEquals([counter.count, counter.reads], [1, 2]);
      tf.dispose([ones, a, b]);
    } finally {
      await selectBackend("cpu", { log: () => {} });
    }
  },
});

Deno.test({
  name: "benchTrain on webgpu: RoBERTa and ModernBERT shapes count dispatches per phase with no blocking read-back",
  ...gpu,
  fn: async () => {
    const base = { batchSize: 1, seqLen: 16, backend: "webgpu" as const, steps: 2, warmup: 1 };
    try {
      const counts: Record<string, unknown> = {};
      for (const modelSize of ["roberta-tiny", "modernbert-tiny"] as ModelSizeName[]) {
        const r = await benchTrain({ ...base, modelSize });
        assertEquals([r.backend, r.shape.model_type, r.tensors_leaked], [
          "webgpu",
          MODEL_SIZES[modelSize].model_type,
          0,
        ]);
        assertEquals([r.readbacks_per_step, r.gpu_reads_per_step], [0, 1], modelSize);
        const d = r.dispatches!;
        assert(d.forward > 0 && d.backward > 0 && d.optimizer > 0, `${modelSize}: ${JSON.stringify(d)}`);
        assertEquals(d.total, d.forward + d.backward + d.optimizer);
        assert(Number.isFinite(r.loss_last), `${modelSize}: loss ${r.loss_last}`);
        counts[modelSize] = d;
      }
      // The full vocabulary where one binding cannot hold its table: refused before anything is built.
      if (50368 * 768 * 4 > maxBindingBytes()) {
        const error = await benchTrain({ ...base, modelSize: "modernbert-base" }).then(() => undefined, (e) => e);
        assert(error instanceof Error, "modernbert-base's 50368 × 768 table refused");
        assertStringIncludes(error.message, "model size modernbert-base: the [50368, 768] word-embedding table");
        assertStringIncludes(error.message, `--vocab-size ${Math.floor(maxBindingBytes() / 3072)}`);
      }
      // A vocabulary twice the size (one flat AdamW chunk and one head block either way): the same dispatches.
      const wider = await benchTrain({ ...base, modelSize: "modernbert-tiny", vocabSize: 2000 });
      assertEquals(wider.shape.vocab_size, 2000);
      assertEquals(wider.dispatches, counts["modernbert-tiny"]);
      assert(
        JSON.stringify(counts["roberta-tiny"]) !== JSON.stringify(counts["modernbert-tiny"]),
        `different graphs, different counts: ${JSON.stringify(counts)}`,
      );
    } finally {
      await selectBackend("cpu", { log: () => {} });
    }
  },
});
