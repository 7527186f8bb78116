/**
 * The loss scaler inside the training loop, against PyTorch's trace (fixtures/reference/grad_scaler_trace.json): a
 * toy model whose loss is multiplied by inf on the steps where torch found an inf/NaN gradient runs with torch's
 * scale at every step, skips those steps (the learning rate it trains with is torch's: the schedule does not advance
 * on a skipped step), logs the scale and skipped steps, and a run resumed from a checkpoint in the middle ends with
 * the same weights, bit for bit.
 */
import { tf } from "../../lib/deps.ts";
import { assert, assertEquals, assertThrows } from "../support/assert.ts";
import { selectBackend } from "../../lib/model/backend.ts";
import { runTraining, type TrainArgs } from "../../lib/train/trainer.ts";
import { MemorySink, type ResumePoint } from "../../lib/train/sink.ts";
import type { CheckpointData } from "../../lib/train/sink.ts";
import { readTrace } from "../support/grad_scaler_trace.ts";

await selectBackend("cpu", { log: () => {} });

const { settings, steps } = await readTrace();
const injected = new Set(steps.filter((s) => s.found_inf).map((s) => s.step));

/** A 4-weight toy model; its `calls`-th loss (one per step) is multiplied by inf when torch found an inf there. */
function toyModel() {
  const w = tf.variable(tf.tensor([0.5, -1, 2, 0.25]));
  let calls = 0;
  return {
    w,
    setCalls: (n: number) => calls = n,
    params: new Map([["w", w]]),
    loss: (b: { labels: Int32Array }) =>
      tf.tidy(() => {
        calls += 1;
        const x = tf.tensor(Array.from({ length: 4 }, (_, i) => Math.sin(b.labels[0] + i)));
        const l = tf.sum(tf.square(tf.sub(tf.mul(w, x), 1))) as tf.Scalar;
        return injected.has(calls) ? tf.mul(l, Infinity) as tf.Scalar : l;
      }),
  };
}

const rows = Array.from({ length: settings.steps as number }, (_, i) => i);
const args: TrainArgs = {
  outputDir: "",
  learningRate: settings.lr as number,
  warmupSteps: settings.warmup_steps as number,
  maxGradNorm: settings.max_grad_norm as number,
  numTrainEpochs: 1,
  perDeviceTrainBatchSize: 1,
  loggingSteps: 1,
};
const loopOf = (extra: object = {}) => ({
  train: rows,
  makeCollator: () => (xs: readonly number[]) => ({ attention_mask: new Int32Array([1]), labels: Int32Array.from(xs) }),
  evaluate: () => Promise.resolve({ result: 0, fields: { eval_loss: 0 }, line: "" }),
  gradScaler: { growthInterval: settings.growth_interval as number },
  ...extra,
});

Deno.test("loop with a GradScaler: torch's scale, skipped steps and learning rates", async () => {
  const model = toyModel();
  const sink = new MemorySink();
  const lrs: number[] = [];
  const applied: boolean[] = [];
  const r = await runTraining(model, args, {
    ...loopOf({ onRead: (_: number, res: { applied: boolean }) => applied.push(res.applied) }),
  }, { ...sink, record: (e) => sink.record(e), note: () => {}, progress: (p) => lrs.push(p.lr), finish: () => {} });
  assertEquals(r.globalStep, steps.length);
  const logged = sink.rows.filter((e) => e.loss_scale !== undefined);
  assertEquals(logged.length, steps.length);
  for (const s of steps) {
    assertEquals(applied[s.step - 1], !s.found_inf, `step ${s.step} applied`);
    assert(
      Math.abs(lrs[s.step - 1] - s.learning_rate) <= 1e-12,
      `step ${s.step}: lr ${lrs[s.step - 1]} vs torch's ${s.learning_rate}`,
    );
    const row = logged[s.step - 1];
    assertEquals([row.step, row.loss_scale, row.skipped_steps], [s.step, s.scale_after, s.found_inf ? 1 : 0]);
    assert(Number.isFinite(row.loss as number), `step ${s.step}: a skipped step's inf loss is filtered`);
  }
  model.w.dispose();
});

/** A sink keeping checkpoints in memory (weights copied), for resume. */
class CheckpointSink extends MemorySink {
  kept = new Map<string, ResumePoint>();
  constructor(readonly w: tf.Variable) {
    super();
  }
  override note(): void {}
  checkpoint(d: CheckpointData): Promise<string> {
    const name = `checkpoint-${d.step}`;
    const copy = (m: Map<string, tf.Tensor>) => new Map([...m].map(([k, t]) => [k, tf.clone(t)]));
    this.kept.set(name, {
      name,
      optimizer: { step: d.optimizer.step, m: copy(d.optimizer.m), v: copy(d.optimizer.v) },
      trainerState: JSON.parse(JSON.stringify(d.trainerState)),
      trainingState: JSON.parse(JSON.stringify(d.trainingState)),
      weights: new Map([["w", { shape: this.w.shape, data: this.w.dataSync() as Float32Array }]]),
    });
    return Promise.resolve(name);
  }
  loadCheckpoint(name: string): Promise<ResumePoint> {
    const k = this.kept.get(name)!;
    const copy = (m: Map<string, tf.Tensor>) => new Map([...m].map(([n, t]) => [n, tf.clone(t)]));
    return Promise.resolve({ ...k, optimizer: { ...k.optimizer, m: copy(k.optimizer.m), v: copy(k.optimizer.v) } });
  }
}

Deno.test("loop with a GradScaler: resume from a checkpoint between overflows gives the same weights", async () => {
  const full = toyModel();
  await runTraining(full, args, loopOf(), new CheckpointSink(full.w));
  const first = toyModel();
  const sink = new CheckpointSink(first.w);
  await runTraining(first, { ...args, saveStrategy: "steps", saveSteps: 20 }, loopOf(), sink);
  const ck = sink.kept.get("checkpoint-20")!;
  assertEquals(ck.trainingState.grad_scaler, {
    scale: 131072,
    growth_factor: 2,
    backoff_factor: 0.5,
    growth_interval: 3,
    _growth_tracker: 1,
  });
  assertEquals([ck.trainingState.skipped_steps, ck.optimizer.step], [4, steps[19].optimizer_steps]);
  const resumed = toyModel();
  resumed.setCalls(20);
  resumed.w.assign(tf.zeros([4]));
  const rs = new CheckpointSink(resumed.w);
  rs.kept.set("checkpoint-20", ck);
  await runTraining(resumed, { ...args, resumeFromCheckpoint: "checkpoint-20" }, loopOf(), rs);
  assertEquals(Array.from(resumed.w.dataSync()), Array.from(full.w.dataSync()));
  tf.dispose([full.w, first.w, resumed.w]);
});

Deno.test("loop without a GradScaler: a non-finite step still stops the run", async () => {
  const model = toyModel();
  let e: unknown;
  await runTraining(model, args, { ...loopOf(), gradScaler: undefined }, new CheckpointSink(model.w)).catch((x) =>
    e = x
  );
  assert(String(e).includes("training loss is"), String(e));
  assertThrows(() => {
    throw e;
  }, "at step 4");
  model.w.dispose();
});
