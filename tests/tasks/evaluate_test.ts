import { assert, assertAlmostEquals } from "../support/assert.ts";
import { DEMO_FIXTURE_DIR } from "../../lib/app/demo.ts";
import { evaluateModel, finetune } from "../../lib/app/finetune.ts";

Deno.test("evaluate: a fine-tuned folder scores what finetune's last evaluation reported", async () => {
  const root = await Deno.makeTempDir();
  const data = {
    dataset: `${DEMO_FIXTURE_DIR}/corpus/movie_reviews.jsonl`,
    chunkSize: 32,
    groupBatch: 1000 as const,
    trainSize: 24,
    testSize: 8,
    seed: 7,
    mlmProbability: 0.15,
    perDeviceEvalBatchSize: 4,
    cacheDir: `${root}/cache`,
    backend: "wasm" as const,
    log: () => {},
  };
  try {
    const run = await finetune({
      ...data,
      model: `${DEMO_FIXTURE_DIR}/model`,
      outputDir: `${root}/out`,
      perDeviceTrainBatchSize: 8,
      learningRate: 1e-3,
      maxSteps: 2,
      saveStrategy: "no",
    });
    const r = await evaluateModel({ ...data, model: `${root}/out` });
    assertAlmostEquals(r.eval_loss, run.evals.at(-1)!.eval_loss, 1e-6);
    assert(Math.abs(r.perplexity - Math.exp(r.eval_loss)) < 1e-9);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
