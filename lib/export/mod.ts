/**
 * Ways out of this project: an ONNX export that transformers.js runs ({@link exportOnnx},
 * {@link exportCheckpointOnnx}), a push that uploads it ({@link pushToHubWithOnnx}), the model-card snippet that runs it ({@link transformersJsSnippet}), and prepared
 * chunks as Parquet ({@link exportPreparedParquet}).
 *
 * @example
 * ```ts
 * import { ONNX_MODEL_PATH } from "./mod.ts";
 * if (ONNX_MODEL_PATH !== "onnx/model.onnx") throw new Error("transformers.js layout");
 * ```
 *
 * @module
 */
export {
  type ExportableModel,
  exportCheckpointOnnx,
  type ExportCheckpointOnnxOptions,
  type ExportCheckpointOnnxResult,
  exportOnnx,
  type ExportOnnxOptions,
  type ExportOnnxResult,
  ONNX_MODEL_PATH,
  ONNX_OPSET,
  type OnnxExport,
  onnxModelBytes,
} from "./onnx.ts";
export {
  type OnnxHubFiles,
  onnxHubFiles,
  pushToHubWithOnnx,
  transformersJsSnippet,
  type TransformersJsSnippetOptions,
} from "./hub.ts";
export {
  exportPreparedParquet,
  type ExportPreparedParquetOptions,
  type ExportPreparedParquetResult,
  PREPARED_PARQUET_COLUMNS,
} from "./parquet.ts";
export { completeTokenizerConfig, copyTokenizerFiles } from "./tokenizer_files.ts";
