import { assert, assertAlmostEquals, assertEquals, assertRejects, assertStringIncludes } from "../support/assert.ts";
import { classifyRecord, epochRows, isClassifierRun, readRunLog } from "../../lib/report/run_log.ts";

const FIXTURES = new URL("./fixtures", import.meta.url).pathname;

/** The fixture's lines, parsed independently of the module under test. */
async function fixtureLines(name: string): Promise<Record<string, unknown>[]> {
  const text = await Deno.readTextFile(`${FIXTURES}/${name}/metrics.jsonl`);
  return text.trim().split("\n").map((l) => JSON.parse(l));
}

Deno.test("readRunLog: a masked-LM run's header, steps, evals, timings and per-epoch table", async () => {
  const lines = await fixtureLines("mlm_run");
  const log = await readRunLog(`${FIXTURES}/mlm_run`);
  assertEquals(log.header.task, "finetune");
  assertEquals(log.header.backend, "webgpu");
  assertStringIncludes(log.header.adapter!, "llvmpipe");
  assertEquals(log.header.args.chunk_size, 128);
  const stepLines = lines.filter((l) => "loss" in l && !("type" in l));
  assertEquals(log.steps.length, stepLines.length);
  assertEquals(log.steps.map((s) => s.learning_rate), stepLines.map((l) => l.learning_rate));
  assertEquals(log.steps.map((s) => s.tokens_per_second), stepLines.map((l) => l.tokens_per_second));
  assertEquals(log.evals.length, 3);
  assertEquals(log.timings.train_runtime, 3725.4);
  assertEquals(log.state.global_step, 48);
  assert(!isClassifierRun(log));

  const rows = epochRows(log);
  assertEquals(rows.map((r) => r.epoch), [1, 2, 3]);
  for (const [i, row] of rows.entries()) {
    const epochSteps = stepLines.filter((l) => (l.step as number) > 16 * i && (l.step as number) <= 16 * (i + 1));
    const mean = epochSteps.reduce((a, l) => a + (l.loss as number), 0) / epochSteps.length;
    assertEquals(epochSteps.length, 16);
    assertAlmostEquals(row.train_loss!, mean, 1e-12);
    assertEquals(row.eval_loss, [3.1, 2.6, 2.4][i]);
    assertAlmostEquals(row.perplexity!, Math.exp(row.eval_loss!), 1e-3);
    assertEquals(row.extra.eval_loss_token_weighted, [3.12, 2.61, 2.41][i]);
  }
});

Deno.test("readRunLog: a classifier run has accuracy and F1 and no perplexity", async () => {
  const log = await readRunLog(`${FIXTURES}/classifier_run`);
  assert(isClassifierRun(log));
  const rows = epochRows(log);
  assertEquals(rows.map((r) => [r.accuracy, r.f1, r.perplexity]), [[0.79, 0.78, null], [0.85, 0.86, null], [
    0.87,
    0.875,
    null,
  ]]);
});

Deno.test("readRunLog: falls back to trainer_state.json log_history when metrics.jsonl is absent", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.copyFile(`${FIXTURES}/mlm_run/trainer_state.json`, `${dir}/trainer_state.json`);
    const fromState = await readRunLog(dir);
    const fromMetrics = await readRunLog(`${FIXTURES}/mlm_run`);
    assertEquals(fromState.steps, fromMetrics.steps);
    assertEquals(fromState.evals, fromMetrics.evals);
    assertEquals(epochRows(fromState), epochRows(fromMetrics));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("classifyRecord: explicit type wins, else inferred from HF field names", () => {
  assertEquals(classifyRecord({ type: "eval", loss: 1 }), "eval");
  assertEquals(classifyRecord({ args: { seed: 1 } }), "header");
  assertEquals(classifyRecord({ train_runtime: 3, train_loss: 2, step: 9 }), "summary");
  assertEquals(classifyRecord({ step: 2, epoch: 1, eval_accuracy: 0.5 }), "eval");
  assertEquals(classifyRecord({ step: 2, lr: 1e-5 }), "train");
  assertEquals(classifyRecord({ message: "hello" }), "other");
});

Deno.test("readRunLog: bad input fails naming the file, line and field", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await assertRejects(() => readRunLog(dir), "no metrics.jsonl or trainer_state.json");
    await Deno.writeTextFile(`${dir}/metrics.jsonl`, '{"step":1,"loss":2}\n{"step":2,"loss":\n');
    await assertRejects(() => readRunLog(dir), `${dir}/metrics.jsonl:2: malformed JSON`);
    await Deno.writeTextFile(`${dir}/metrics.jsonl`, '{"step":1,"loss":"high"}\n');
    await assertRejects(() => readRunLog(dir), `${dir}/metrics.jsonl:1: field "loss": expected a number, got "high"`);
    await Deno.writeTextFile(`${dir}/metrics.jsonl`, '{"epoch":1,"loss":2}\n');
    await assertRejects(() => readRunLog(dir), `${dir}/metrics.jsonl:1: training log without a "step" field`);
    await Deno.remove(`${dir}/metrics.jsonl`);
    await Deno.writeTextFile(`${dir}/trainer_state.json`, '{"log_history": 3}');
    await assertRejects(() => readRunLog(dir), `"log_history": expected an array`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("readRunLog: a resumed run's re-logged steps keep their last line", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const lines = [
      { step: 1, epoch: 0.5, loss: 4, learning_rate: 1e-5 },
      { step: 2, epoch: 1, loss: 3.5, learning_rate: 2e-5 },
      { step: 2, epoch: 1, eval_loss: 3 },
      { step: 3, epoch: 1.5, loss: 9, learning_rate: 1e-5 },
      // resumed from checkpoint-2: step 3 again, then on
      { step: 3, epoch: 1.5, loss: 3, learning_rate: 1e-5 },
      { step: 4, epoch: 2, loss: 2, learning_rate: 0 },
      { step: 4, epoch: 2, eval_loss: 2.5 },
    ];
    await Deno.writeTextFile(`${dir}/metrics.jsonl`, lines.map((l) => JSON.stringify(l)).join("\n"));
    const log = await readRunLog(dir);
    assertEquals(log.steps.map((s) => [s.step, s.loss]), [[1, 4], [2, 3.5], [3, 3], [4, 2]]);
    assertEquals(epochRows(log).map((r) => [r.epoch, r.train_loss, r.eval_loss]), [[1, 3.75, 3], [2, 2.5, 2.5]]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
