/**
 * Models in tfjs with Hugging Face checkpoint names (the `./model` subpath export): {@link loadMaskedLM} /
 * {@link savePretrained} for HF folders (`config.json` + `model.safetensors`), {@link initMaskedLM} for fresh weights,
 * {@link selectBackend} for `webgpu` / `wasm` / `cpu` / `auto`, the {@link MaskedLM} interface (`logits`, `loss`,
 * `params`), and the sequence classifiers ({@link loadSequenceClassifier}, {@link saveSequenceClassifier}).
 *
 * @example
 * ```ts
 * import { initMaskedLM, parseConfig } from "./mod.ts";
 * const model = initMaskedLM(parseConfig({ model_type: "distilbert", vocab_size: 100, dim: 16, n_heads: 2, n_layers: 1, hidden_dim: 32 }), { seed: 0 });
 * const loss = model.loss({
 *   input_ids: new Int32Array([2, 7, 9, 3]), attention_mask: new Int32Array([1, 1, 1, 1]),
 *   labels: new Int32Array([-100, 8, -100, -100]), shape: [1, 4],
 * });
 * if (!(loss.dataSync()[0] > 0)) throw new Error("loss");
 * loss.dispose();
 * model.dispose();
 * ```
 *
 * @module
 */
export {
  type BertConfig,
  configToJson,
  type DistilBertConfig,
  type ModelConfig,
  type ModernBertConfig,
  parseConfig,
  type ParseConfigOptions,
  readConfig,
  SUPPORTED_MODEL_TYPES,
  writeConfig,
} from "./config.ts";
export {
  encodeSafetensors,
  type EncodeSafetensorsOptions,
  parseSafetensors,
  type ParseSafetensorsOptions,
  readSafetensors,
  type SafeTensor,
  type SafetensorsFile,
  writeSafetensors,
} from "./safetensors.ts";
export {
  type ForwardOptions,
  type HeadBlock,
  headBlocks,
  type MaskedLM,
  MaskedLMBase,
  maxBindingBytes,
  paddedRows,
  type ParamInit,
  type ParamSpec,
} from "./masked_lm.ts";
export { DistilBertForMaskedLM } from "./distilbert.ts";
export { BertForMaskedLM } from "./bert.ts";
export { ModernBertForMaskedLM } from "./modernbert.ts";
export { architectureName, paramSpecs } from "./architectures.ts";
export { initMaskedLM, type InitMaskedLMOptions } from "./init.ts";
export {
  assertTokenizerMatches,
  type AssertTokenizerMatchesOptions,
  checkpointValues,
  type CheckpointValuesOptions,
  loadMaskedLM,
  type LoadMaskedLMOptions,
  savePretrained,
  type SavePretrainedOptions,
} from "./pretrained.ts";
export {
  type AdapterDecision,
  BACKEND_NAMES,
  type BackendChoice,
  type BackendName,
  chooseWebgpuOrWasm,
  prepareTf,
  selectBackend,
  type SelectBackendOptions,
  webgpuAdapter,
} from "./backend.ts";
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
} from "./sequence_classification.ts";
