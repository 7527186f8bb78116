/**
 * The export layer's third-party modules, pinned by full `npm:` specifier (so `lib/export` works imported by URL):
 * `onnx-proto` (the `onnx.proto` schema compiled with protobufjs) and `hyparquet-writer`. They belong in `lib/deps.ts`
 * beside the project's other pins; until they move there, this is the one file of `lib/export` that names them.
 *
 * @example
 * ```ts
 * import { onnx, ParquetWriter } from "./deps.ts";
 * if (typeof onnx.ModelProto.encode !== "function" || typeof ParquetWriter !== "function") throw new Error("deps");
 * ```
 *
 * @module
 */
import onnxProto from "npm:onnx-proto@8.0.1";

/** The ONNX protobuf bindings (`onnx.ModelProto`, `onnx.TensorProto`, …). */
export const onnx: typeof onnxProto.onnx = onnxProto.onnx;
/** The ONNX protobuf namespace, for its types (`OnnxProto.onnx.INodeProto`, …). */
export type { default as OnnxProto } from "npm:onnx-proto@8.0.1";
export { ByteWriter, ParquetWriter } from "npm:hyparquet-writer@0.17.0";
