// The data options of the small masked-LM runs the task tests make: chunks of 32, 40 train and 8 eval chunks.
import { DEMO_FIXTURE_DIR } from "../../lib/app/demo.ts";
import type { DataOptions, FinetuneOptions } from "../../lib/app/finetune.ts";

/** Everything but the dataset and its cache: the course's masking, seed 42. */
export const TINY_DATA: Omit<DataOptions, "dataset" | "cacheDir"> = {
  chunkSize: 32,
  groupBatch: 1000,
  trainSize: 40,
  testSize: 8,
  seed: 42,
  mlmProbability: 0.15,
  perDeviceEvalBatchSize: 8,
};

/**
 * A quiet wasm finetune of the demo model on the demo corpus with {@link TINY_DATA}: batches of 8, lr 1e-3, a
 * checkpoint every 2 steps; `stop` says how long it runs (`maxSteps` or `numTrainEpochs`).
 */
export function tinyFinetune(
  outputDir: string,
  cacheDir: string,
  stop: Pick<FinetuneOptions, "maxSteps" | "numTrainEpochs">,
): FinetuneOptions {
  return {
    model: `${DEMO_FIXTURE_DIR}/model`,
    dataset: `${DEMO_FIXTURE_DIR}/corpus/movie_reviews.jsonl`,
    ...TINY_DATA,
    perDeviceTrainBatchSize: 8,
    learningRate: 1e-3,
    ...stop,
    backend: "wasm",
    outputDir,
    cacheDir,
    saveStrategy: "steps",
    saveSteps: 2,
    log: () => {},
  };
}
