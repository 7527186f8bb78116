/**
 * Domain-adapt masked language models (DistilBERT, BERT) on WebGPU from Deno — the Hugging Face course chapter
 * "Fine-tuning a masked language model", in TypeScript.
 *
 * The pipeline, one module per arrow: records (streamed, {@link readRecords}) → {@link Tokenizer} encode with
 * `word_ids` → {@link groupTexts} into fixed chunks → {@link trainTestSplit} → collator ({@link createMlmCollator} or
 * {@link createWholeWordMaskCollator}) → model ({@link loadMaskedLM}) → loss → {@link AdamW} → checkpoint
 * ({@link savePretrained}); evaluation: {@link maskOnce} → {@link batchFixed} → {@link evaluateMlm} (mean loss,
 * perplexity). {@link finetune}, {@link evaluateModel} and {@link runDemo} are what `deno task finetune`, `evaluate`
 * and `demo` run.
 *
 * This root holds what a user of the pipeline needs. The advanced parts are subpath exports, each importable by URL
 * too (the `mod.ts` files `deno.json`'s `exports` names): `./data`, `./tokenize`, `./prepare`, `./collate`, `./model` (every model
 * part, sequence classifiers included), `./train` (the loop's parts), `./hub` (cache layout, HTTP, uploads),
 * `./pipelines`, `./classify` (downstream classification), `./report`, `./webgpu` (the WebGPU kernels) and `./bench`
 * (benchmarks).
 *
 * This module imports nothing through an import map, so it works imported by URL.
 *
 * @example
 * ```ts
 * import { createMlmCollator, groupTexts } from "./mod.ts";
 * const encodings = [{ input_ids: [101, 7, 8, 9, 102], attention_mask: [1, 1, 1, 1, 1], word_ids: [null, 0, 1, 2, null] }];
 * const chunks = groupTexts(encodings, { chunkSize: 4 });
 * const collate = createMlmCollator({ maskTokenId: 103, vocabSize: 200, specialIds: [0, 100, 101, 102, 103], padTokenId: 0, seed: 42 });
 * console.log(collate(chunks).shape); // [1, 4]
 * ```
 *
 * @module
 */

// Data: read records, select and split with a seeded Rng, group token streams into chunks; cache prepared chunks.
export {
  type Chunk,
  type DataRecord,
  type Encoding,
  groupTexts,
  type GroupTextsOptions,
  groupTextsStream,
  type MlmBatch,
  readAclImdb,
  readCsv,
  readJsonl,
  readParquet,
  readRecords,
  type ReadRecordsOptions,
  readText,
  readTexts,
  Rng,
  select,
  shuffle,
  type TrainTestSplit,
  trainTestSplit,
  type TrainTestSplitOptions,
} from "./lib/data/mod.ts";
export {
  loadPrepared,
  prepareDataset,
  PreparedDataset,
  type PrepareOptions,
  type PrepareResult,
} from "./lib/prepare/mod.ts";

// Tokenization with word ids, in this thread or across workers.
export {
  type EncodeOptions,
  loadTokenizer,
  Tokenizer,
  tokenizeStream,
  type TokenizeStreamOptions,
} from "./lib/tokenize/mod.ts";

// Masking collators and the fixed eval set.
export {
  batchFixed,
  type Collator,
  createMlmCollator,
  createWholeWordMaskCollator,
  loadMasked,
  maskOnce,
  type MlmCollatorOptions,
  padBatch,
  saveMasked,
  type WholeWordMaskCollatorOptions,
} from "./lib/collate/mod.ts";

// Models, checkpoints, backends; `tf` is the tfjs instance the models use (to make and read tensors).
export { tf } from "./lib/deps.ts";
export {
  type BackendName,
  BertForMaskedLM,
  DistilBertForMaskedLM,
  initMaskedLM,
  loadMaskedLM,
  type LoadMaskedLMOptions,
  type MaskedLM,
  type ModelConfig,
  parseConfig,
  readConfig,
  readSafetensors,
  savePretrained,
  type SavePretrainedOptions,
  selectBackend,
  writeConfig,
  writeSafetensors,
} from "./lib/model/mod.ts";

// Pipelines.
export { fillMask, type FillMaskPrediction, formatFillMask } from "./lib/pipelines/mod.ts";

// Training and evaluation: the task entry points, then the parts of the loop a script composes.
export {
  AdamW,
  clipGradNorm,
  evaluateMlm,
  linearScheduleWithWarmup,
  MemorySink,
  type RunSink,
  runTraining,
  train,
  trainStep,
} from "./lib/train/mod.ts";
export {
  evaluateModel,
  FileSink,
  finetune,
  type FinetuneOptions,
  type FinetuneResult,
  formatDemo,
  loadCheckpoint,
  runDemo,
  saveCheckpoint,
} from "./lib/app/mod.ts";

// The Hugging Face Hub at the level a user calls it: resolve/download a model, stream a dataset, push a folder.
export {
  hubDownload,
  HubError,
  modelCard,
  pushToHub,
  type PushToHubOptions,
  resolveModel,
  snapshotModel,
  streamHubDataset,
} from "./lib/hub/mod.ts";

// The training report.
export { renderReport } from "./lib/report/mod.ts";

// Interop: an ONNX export that transformers.js runs, and prepared chunks as Parquet.
export { exportCheckpointOnnx, exportOnnx, exportPreparedParquet } from "./lib/export/mod.ts";
