// The one training loop with an in-memory sink: no file, a stop seen between steps on a backend whose steps never
// wait (a worker's Stop is a macrotask), errors that name the option.
import { tf } from "../../lib/deps.ts";
import { assert, assertEquals, assertRejects } from "../support/assert.ts";
import { selectBackend } from "../../lib/model/backend.ts";
import { runTraining } from "../../lib/train/trainer.ts";
import { MemorySink } from "../../lib/train/sink.ts";
import { SEED_STREAMS } from "../../lib/train/plan.ts";

function toy() {
  const w = tf.variable(tf.tensor([1, -2]));
  const model = { params: new Map([["w", w]]), loss: () => tf.sum(tf.square(w)) as tf.Scalar };
  const rows = Array.from({ length: 12 }, (_, i) => i);
  const loop = {
    train: rows,
    makeCollator: () => (xs: readonly number[]) => ({
      attention_mask: Int32Array.from(xs, () => 1),
      labels: Int32Array.from(xs),
    }),
    evaluate: async () => {
      const loss = Array.from(await w.data() as Float32Array).reduce((a, x) => a + x * x, 0);
      return { result: loss, fields: { eval_loss: loss }, line: `eval_loss ${loss}` };
    },
  };
  return { w, model, loop };
}

Deno.test("runTraining with a MemorySink: rows and notes in memory, the summary last", async () => {
  await selectBackend("cpu", { log: () => {} });
  const { w, model, loop } = toy();
  try {
    const sink = new MemorySink();
    const r = await runTraining(
      model,
      {
        outputDir: "",
        learningRate: 0.1,
        perDeviceTrainBatchSize: 4,
        numTrainEpochs: 2,
        loggingSteps: 1,
      },
      loop,
      sink,
    );
    assertEquals(r.globalStep, 6);
    assertEquals(r.evals.length, 2);
    assertEquals(sink.rows.filter((row) => typeof row.loss === "number").length, 6);
    assertEquals(sink.rows.at(-1)?.type, "summary");
    assertEquals(sink.trainerState?.global_step, 6);
    assertEquals(sink.notes.length, 2);
  } finally {
    w.dispose();
  }
});

Deno.test("runTraining sees an abort sent as a macrotask after the step it arrives in (a worker's Stop)", async () => {
  await selectBackend("cpu", { log: () => {} });
  const { w, model, loop } = toy();
  try {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 0); // as a worker's message: runs only when the loop yields to the event loop
    const r = await runTraining(
      model,
      {
        outputDir: "",
        learningRate: 0.1,
        perDeviceTrainBatchSize: 1,
        numTrainEpochs: 3,
      },
      { ...loop, signal: controller.signal },
      new MemorySink(),
    );
    assertEquals(r.globalStep, 1, "stopped after the first step");
    assertEquals(r.interrupted, "step 1");
  } finally {
    w.dispose();
  }
});

Deno.test("runTraining: a bad argument fails naming the option, before any step", async () => {
  const { w, model, loop } = toy();
  try {
    await assertRejects(
      () => runTraining(model, { outputDir: "", learningRate: 0 }, loop, new MemorySink()),
      "learningRate must be a number > 0, got 0",
    );
    await assertRejects(
      () => runTraining(model, { outputDir: "", seed: -1 }, loop, new MemorySink()),
      "seed must be an integer >= 0, got -1",
    );
    assertEquals(Array.from(await w.data()), [1, -2]);
  } finally {
    w.dispose();
  }
});

Deno.test("every random stream of a run has its own name", () => {
  const names = Object.values(SEED_STREAMS);
  assertEquals(new Set(names).size, names.length);
  assert(names.includes("eval-mask"));
});
