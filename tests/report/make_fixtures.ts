/**
 * Regenerates `tests/report/fixtures/{mlm_run,classifier_run}` with the project's own trainers (no hand-written
 * numbers): a 3-epoch masked-LM `finetune` of the demo model on the demo corpus, and a 3-epoch `classifyFinetune`
 * of a tiny model on the toy task, both on the cpu backend, 16 steps per epoch, a step line per step. Only
 * `metrics.jsonl` and `trainer_state.json` are kept.
 *
 * Run: `deno run --allow-read --allow-write --allow-env tests/report/make_fixtures.ts`
 *
 * @module
 */
import { finetune } from "../../lib/app/finetune.ts";
import { DEMO_FIXTURE_DIR } from "../../lib/app/demo.ts";
import { classifyFinetune } from "../../lib/classify/finetune.ts";
import { toyRows, writeJsonl, writeToyModel } from "../classify/toy.ts";

const FIXTURES = new URL("./fixtures", import.meta.url).pathname;

async function keep(runDir: string, name: string): Promise<void> {
  await Deno.mkdir(`${FIXTURES}/${name}`, { recursive: true });
  for (const f of ["metrics.jsonl", "trainer_state.json"]) {
    await Deno.copyFile(`${runDir}/${f}`, `${FIXTURES}/${name}/${f}`);
  }
}

if (import.meta.main) {
  const root = await Deno.makeTempDir({ prefix: "report-fixtures-" });
  const home = Deno.cwd();
  try {
    // Relative names in the logs: run inside the temp folder, with copies of the demo model and corpus.
    Deno.chdir(root);
    await Deno.mkdir("demo-model");
    for await (const e of Deno.readDir(`${DEMO_FIXTURE_DIR}/model`)) {
      await Deno.copyFile(`${DEMO_FIXTURE_DIR}/model/${e.name}`, `demo-model/${e.name}`);
    }
    await Deno.copyFile(`${DEMO_FIXTURE_DIR}/corpus/movie_reviews.jsonl`, "movie_reviews.jsonl");
    await finetune({
      model: "demo-model",
      dataset: "movie_reviews.jsonl",
      backend: "cpu",
      outputDir: "mlm_run",
      chunkSize: 32,
      groupBatch: 1000,
      trainSize: 64,
      testSize: 16,
      seed: 42,
      mlmProbability: 0.15,
      perDeviceEvalBatchSize: 8,
      perDeviceTrainBatchSize: 4,
      numTrainEpochs: 3,
      learningRate: 1e-3,
      warmupSteps: 4,
      loggingSteps: 1,
      saveStrategy: "no",
      cacheDir: ".cache",
      log: () => {},
    });
    await keep("mlm_run", "mlm_run");

    await writeToyModel("toy-model", 1);
    await writeJsonl("toy.jsonl", toyRows(80, 7));
    await classifyFinetune({
      model: "toy-model",
      dataset: "toy.jsonl",
      backend: "cpu",
      outputDir: "classifier_run",
      trainSize: 64,
      testSize: 16,
      maxLength: 16,
      seed: 42,
      learningRate: 3e-2,
      perDeviceTrainBatchSize: 4,
      numTrainEpochs: 3,
      loggingSteps: 1,
      saveStrategy: "no",
      progress: false,
      log: () => {},
    });
    await keep("classifier_run", "classifier_run");
  } finally {
    Deno.chdir(home);
    await Deno.remove(root, { recursive: true });
  }
}
