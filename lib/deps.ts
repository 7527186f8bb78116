/**
 * Every third-party module the library uses, pinned by full `npm:` specifier.
 *
 * Library code imports its dependencies from here (never by bare name), so `mod.ts` resolves when it is imported by
 * URL without this project's import map. The same pins stand in `deno.json` `imports` for tasks and tests;
 * `tests/deps_test.ts` checks that the two lists agree.
 *
 * @module
 */
/**
 * The tfjs instance every model uses: make tensors for a model's inputs and read its outputs with it.
 *
 * @example
 * ```ts
 * import { tf } from "./deps.ts";
 * if (tf.util.sizeFromShape([2, 3]) !== 6) throw new Error("a [2, 3] tensor holds 6 values");
 * ```
 */
export * as tf from "npm:@tensorflow/tfjs@4.22.0";
export { Tokenizer as HfTokenizer } from "npm:@huggingface/tokenizers@0.2.0";
export { parquetMetadataAsync, parquetReadObjects } from "npm:hyparquet@1.31.5";
export type { FileMetaData } from "npm:hyparquet@1.31.5";
/** Load csv-parse's stream parser on demand: only CSV/TSV reading needs it (and its Node stream shims). */
export function importCsvParse(): Promise<typeof import("npm:csv-parse@7.0.3/stream")> {
  return import("npm:csv-parse@7.0.3/stream");
}
/**
 * Load tfjs's WebGPU backend on demand (importing it registers "webgpu" at a priority above "cpu").
 *
 * @example
 * ```ts
 * import { importTfWebgpu } from "./deps.ts";
 * const load: () => Promise<unknown> = importTfWebgpu; // `selectBackend("webgpu")` calls it
 * console.log(typeof load);
 * ```
 */
export function importTfWebgpu(): Promise<typeof import("npm:@tensorflow/tfjs-backend-webgpu@4.22.0")> {
  return import("npm:@tensorflow/tfjs-backend-webgpu@4.22.0");
}
/**
 * Load tfjs's wasm backend on demand (importing it registers "wasm" at a priority above "cpu").
 *
 * @example
 * ```ts
 * import { importTfWasm } from "./deps.ts";
 * const { setWasmPaths } = await importTfWasm();
 * if (typeof setWasmPaths !== "function") throw new Error("the wasm backend module");
 * ```
 */
export function importTfWasm(): Promise<typeof import("npm:@tensorflow/tfjs-backend-wasm@4.22.0")> {
  return import("npm:@tensorflow/tfjs-backend-wasm@4.22.0");
}
/** uPlot's browser build and stylesheet as text (inlined into `report.html`; text imports resolve from the npm cache). */
export { default as UPLOT_JS } from "npm:uplot@1.6.32/dist/uPlot.iife.min.js" with { type: "text" };
export { default as UPLOT_CSS } from "npm:uplot@1.6.32/dist/uPlot.min.css" with { type: "text" };
/**
 * Load `@huggingface/hub` (repo creation and commits with LFS uploads) on demand: only pushing needs it.
 *
 * @example
 * ```ts
 * import { importHfHub } from "./deps.ts";
 * const { uploadFiles } = await importHfHub();
 * if (typeof uploadFiles !== "function") throw new Error("@huggingface/hub");
 * ```
 */
export function importHfHub(): Promise<typeof import("npm:@huggingface/hub@2.17.5")> {
  return import("npm:@huggingface/hub@2.17.5");
}
/**
 * Load Hugging Face's Rust tokenizer (the `tokenizers` node bindings, a prebuilt native addon) on demand: only the
 * reference tools and `bench:data-hf` use it, and it needs `--allow-ffi`. The library's tokenizer is pure JS.
 *
 * @example
 * ```ts
 * import { importHfRustTokenizers } from "./deps.ts";
 * if ((await Deno.permissions.query({ name: "ffi" })).state === "granted") {
 *   const { Tokenizer } = await importHfRustTokenizers();
 *   console.log(typeof Tokenizer.fromFile);
 * }
 * ```
 */
export function importHfRustTokenizers(): Promise<typeof import("npm:tokenizers@0.23.2")> {
  return import("npm:tokenizers@0.23.2");
}
import onnxProto from "npm:onnx-proto@8.0.1";
/** The ONNX protobuf bindings (`onnx.ModelProto`, `onnx.TensorProto`, …): the `onnx.proto` schema compiled with protobufjs. */
export const onnx: typeof onnxProto.onnx = onnxProto.onnx;
/** The ONNX protobuf namespace, for its types (`OnnxProto.onnx.INodeProto`, …). */
export type { default as OnnxProto } from "npm:onnx-proto@8.0.1";
/** Parquet writing (prepared chunks as Parquet). */
export { ByteWriter, ParquetWriter } from "npm:hyparquet-writer@0.17.0";
