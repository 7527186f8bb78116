// The data options of the small masked-LM runs the task tests make: chunks of 32, 40 train and 8 eval chunks.
import type { DataOptions } from "../../lib/app/finetune.ts";

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
