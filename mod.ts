/**
 * Domain-adapt masked language models (DistilBERT, BERT) on WebGPU from Deno — the Hugging Face course chapter
 * "Fine-tuning a masked language model", in TypeScript.
 *
 * The pipeline, one module per arrow: records (streamed) → {@link Tokenizer} encode with `word_ids` →
 * {@link groupTexts} into fixed chunks → {@link trainTestSplit} → collator ({@link createMlmCollator} or
 * {@link createWholeWordMaskCollator}) → model → loss → AdamW → checkpoint; evaluation: {@link maskOnce} →
 * {@link batchFixed} → mean loss → perplexity.
 *
 * This module imports nothing through an import map, so it works imported by URL.
 *
 * @example
 * ```ts
 * import { createMlmCollator, groupTexts, Rng } from "./mod.ts";
 * const rng = new Rng(42);
 * const encodings = [{ input_ids: [101, 7, 8, 9, 102], attention_mask: [1, 1, 1, 1, 1], word_ids: [null, 0, 1, 2, null] }];
 * const chunks = groupTexts(encodings, { chunkSize: 4 });
 * const collate = createMlmCollator({ maskTokenId: 103, vocabSize: 200, specialIds: [0, 100, 101, 102, 103], padTokenId: 0, rng });
 * console.log(collate(chunks).shape); // [1, 4]
 * ```
 *
 * @module
 */

// Data: records, splits, randomness, chunking, prepared datasets.
export * from "./lib/data/mod.ts";
export {
  fingerprintOf,
  loadPrepared,
  PREPARED_FORMAT,
  type PreparedArrays,
  prepareDataset,
  PreparedDataset,
  type PreparedMeta,
  type PrepareOptions,
  type PrepareProgress,
  type PrepareResult,
} from "./lib/data/prepared.ts";

// Tokenization with word ids.
export {
  type DecodeOptions,
  type EncodeOptions,
  loadTokenizer,
  Tokenizer,
  TOKENIZER_FILES,
  type TokenizerParts,
} from "./lib/tokenize/tokenizer.ts";
export { defaultWorkers, tokenizeStream, type TokenizeStreamOptions } from "./lib/tokenize/parallel.ts";
export { BERT_SPECIAL_TOKENS, bertWordPieceTokenizerJson } from "./lib/tokenize/wordpiece.ts";

// Masking collators and the fixed eval set.
export * from "./lib/collate/mod.ts";

// Training report.
export * from "./lib/report/mod.ts";

// Models, checkpoints, backends; `tf` is the tfjs instance the models use (to make and read tensors).
export { tf } from "./lib/deps.ts";
export * from "./lib/model/mod.ts";

// Pipelines.
export * from "./lib/pipelines/mod.ts";

// The Hugging Face Hub.
export * from "./lib/hub/mod.ts";

// Downstream classification: does adaptation help?
export * from "./lib/classify/mod.ts";
export {
  BertForSequenceClassification,
  buildSequenceClassifier,
  type ClassificationBatch,
  classifierArchitecture,
  type ClassifierCheckpointValues,
  classifierCheckpointValues,
  type ClassifierCheckpointValuesOptions,
  classifierConfigJson,
  type ClassifierConfigOptions,
  classifierHeadParams,
  DistilBertForSequenceClassification,
  initSequenceClassifier,
  type InitSequenceClassifierOptions,
  labelNames,
  loadSequenceClassifier,
  type LoadSequenceClassifierOptions,
  saveSequenceClassifier,
  type SaveSequenceClassifierOptions,
  sequenceClassificationParams,
  type SequenceClassifier,
  SequenceClassifierBase,
  withClassifierConfig,
} from "./lib/model/sequence_classification.ts";

// Training: AdamW, schedule, clipping, the loop, evaluation, checkpoints, finetune/evaluate/demo.
export * from "./lib/train/mod.ts";

// Speed: the training-step benchmark and WebGPU kernels.
export {
  type AdamWKernel,
  benchTrain,
  type DispatchCounts,
  formatTrainBench,
  MODEL_SIZES,
  randomMlmBatches,
  type TrainBenchOptions,
  type TrainBenchResult,
} from "./lib/bench/train_bench.ts";
export { installWriteBufferUpload, uninstallWriteBufferUpload } from "./lib/model/kernels/webgpu_upload.ts";
export { registerTiledMatMul, unregisterTiledMatMul } from "./lib/model/kernels/webgpu_matmul.ts";
export {
  matMulWithoutAtomicsRegistered,
  registerMatMulWithoutAtomics,
  unregisterMatMulWithoutAtomics,
  usesSplitK,
} from "./lib/model/kernels/webgpu_matmul_no_atomics.ts";
export {
  registerWebgpuSegmentSum,
  unregisterWebgpuSegmentSum,
  webgpuSegmentSumRegistered,
} from "./lib/model/kernels/webgpu_segment_sum.ts";
export {
  type AdamWScalars,
  type FusedAdamWInputs,
  type FusedAdamWOutputs,
  fusedAdamWSource,
  fusedAdamWUpdate,
} from "./lib/model/kernels/webgpu_adamw.ts";
export { countWebgpuDispatches, type DispatchCounter } from "./lib/bench/dispatch_counter.ts";
