import { assert, assertAlmostEquals, assertEquals, assertRejects } from "../support/assert.ts";
import { classifyRecord, isClassifierRun, readRunLog, runEpochs } from "../../lib/report/run_log.ts";

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
  assertEquals(log.header.backend, "cpu");
  assertEquals(log.header.args.chunk_size, 32);
  assertEquals([log.header.other.model_dir, log.header.other.train_samples], ["demo-model", 64]);
  const stepLines = lines.filter((l) => "loss" in l && !("type" in l));
  assertEquals(log.steps.length, stepLines.length);
  assertEquals(log.steps.map((s) => s.learningRate), stepLines.map((l) => l.learning_rate));
  assertEquals(log.steps.map((s) => s.tokensPerSecond), stepLines.map((l) => l.tokens_per_second));
  assertEquals(log.evals.length, 3);
  assertEquals(log.timings.train_runtime, lines.at(-1)!.train_runtime);
  assertEquals(log.state.global_step, 48);
  assert(!isClassifierRun(log));

  const evalLines = lines.filter((l) => typeof l.eval_loss === "number");
  const rows = runEpochs(log);
  assertEquals(rows.map((r) => r.epoch), [1, 2, 3]);
  for (const [i, row] of rows.entries()) {
    const epochSteps = stepLines.filter((l) => (l.step as number) > 16 * i && (l.step as number) <= 16 * (i + 1));
    assertEquals(epochSteps.length, 16);
    // train_loss is the mean of the epoch's step losses (each logged rounded to 4 decimals)
    const mean = epochSteps.reduce((a, l) => a + (l.loss as number), 0) / epochSteps.length;
    assertAlmostEquals(row.trainLoss!, mean, 1e-4);
    assertEquals(row.evalLoss, evalLines[i].eval_loss);
    assertAlmostEquals(row.perplexity!, Math.exp(row.evalLoss), 1e-9);
    assertEquals(log.evals[i].extra.eval_loss_token_weighted, evalLines[i].eval_loss_token_weighted);
  }
});

Deno.test("readRunLog: a classifier run has accuracy and F1 and no perplexity", async () => {
  const lines = await fixtureLines("classifier_run");
  const log = await readRunLog(`${FIXTURES}/classifier_run`);
  assert(isClassifierRun(log));
  const evalLines = lines.filter((l) => typeof l.eval_loss === "number");
  assertEquals(
    runEpochs(log).map((r) => [r.accuracy, r.f1, r.perplexity]),
    evalLines.map((l) => [l.eval_accuracy, l.eval_f1, null]),
  );
});

Deno.test("readRunLog: falls back to trainer_state.json log_history when metrics.jsonl is absent", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.copyFile(`${FIXTURES}/mlm_run/trainer_state.json`, `${dir}/trainer_state.json`);
    const fromState = await readRunLog(dir);
    const fromMetrics = await readRunLog(`${FIXTURES}/mlm_run`);
    assertEquals(fromState.steps, fromMetrics.steps);
    assertEquals(fromState.evals, fromMetrics.evals);
    assertEquals(runEpochs(fromState), runEpochs(fromMetrics));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("classifyRecord: the project's line kinds only (header, summary, eval, step)", () => {
  assertEquals(classifyRecord({ type: "header", args: { seed: 1 } }), "header");
  assertEquals(classifyRecord({ type: "summary", train_runtime: 3, train_loss: 2, step: 9 }), "summary");
  assertEquals(classifyRecord({ step: 2, epoch: 1, eval_loss: 0.4, eval_accuracy: 0.5, train_loss: 0.6 }), "eval");
  assertEquals(classifyRecord({ step: 2, loss: 1, learning_rate: 1e-5 }), "train");
  // aliases of formats this project never writes are not read
  assertEquals(classifyRecord({ step: 2, lr: 1e-5 }), "other");
  assertEquals(classifyRecord({ event: "eval", accuracy: 0.5 }), "other");
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
      { step: 2, epoch: 1, eval_loss: 3, train_loss: 3.75 },
      { step: 3, epoch: 1.5, loss: 9, learning_rate: 1e-5 },
      // resumed from checkpoint-2: step 3 again, then on
      { step: 3, epoch: 1.5, loss: 3, learning_rate: 1e-5 },
      { step: 4, epoch: 2, loss: 2, learning_rate: 0 },
      { step: 4, epoch: 2, eval_loss: 2.5, train_loss: 2.5 },
    ];
    await Deno.writeTextFile(`${dir}/metrics.jsonl`, lines.map((l) => JSON.stringify(l)).join("\n"));
    const log = await readRunLog(dir);
    assertEquals(log.steps.map((s) => [s.step, s.loss]), [[1, 4], [2, 3.5], [3, 3], [4, 2]]);
    assertEquals(runEpochs(log).map((r) => [r.epoch, r.trainLoss, r.evalLoss]), [[1, 3.75, 3], [2, 2.5, 2.5]]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
