/**
 * A small builder for ONNX graphs over the `onnx-proto` protobuf bindings (the `onnx.proto` schema compiled with
 * protobufjs, as onnxruntime-web uses them): initializers, nodes with typed attributes, graph inputs and outputs with
 * symbolic (dynamic) axes, and the encoded `ModelProto`. Only standard-domain ops are emitted.
 *
 * @module
 */
import { onnx, type OnnxProto } from "../deps.ts";

/** ONNX tensor element types used here (`TensorProto.DataType`). */
export const OnnxType = { FLOAT: 1, INT64: 7 } as const;

/** An ONNX tensor element type (`OnnxType.FLOAT` or `OnnxType.INT64`). */
export type OnnxElemType = (typeof OnnxType)[keyof typeof OnnxType];

/** A node attribute: an int (`{ i }`), a float (`{ f }`) or a list of ints (`{ ints }`). */
export type OnnxAttribute = { i: number } | { f: number } | { ints: number[] };

/** A dimension of a graph input or output: a fixed size or a symbolic name (a dynamic axis). */
export type OnnxDim = number | string;

/** Options of {@link OnnxGraphBuilder.encode}. */
export interface OnnxEncodeOptions {
  /** Default-domain opset version (≥ 14). */
  opset: number;
  /** `ModelProto.ir_version` (default 8, the IR of opsets 17–18). */
  irVersion?: number;
  /** `producer_name` (default "mlm-adapt"). */
  producerName?: string;
  /** `doc_string` of the model. */
  docString?: string;
}

function valueInfo(name: string, elemType: OnnxElemType, dims: OnnxDim[]): OnnxProto.onnx.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType,
        shape: { dim: dims.map((d) => (typeof d === "number" ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}

/**
 * Collects one ONNX graph. Names are the ONNX value names: an initializer's name is the checkpoint key it holds, a
 * node's single output is named after the node.
 *
 * @example
 * ```ts
 * import { OnnxGraphBuilder, OnnxType } from "./onnx_graph.ts";
 * const g = new OnnxGraphBuilder("add_one");
 * g.input("x", OnnxType.FLOAT, ["batch"]);
 * g.initializer("one", [1], new Float32Array([1]));
 * g.output(g.node("Add", ["x", "one"], "y"), OnnxType.FLOAT, ["batch"]);
 * const bytes = g.encode({ opset: 17 });
 * if (bytes.length < 20) throw new Error("encoded model");
 * ```
 */
export class OnnxGraphBuilder {
  readonly #name: string;
  readonly #nodes: OnnxProto.onnx.INodeProto[] = [];
  readonly #initializers: OnnxProto.onnx.ITensorProto[] = [];
  readonly #inputs: OnnxProto.onnx.IValueInfoProto[] = [];
  readonly #outputs: OnnxProto.onnx.IValueInfoProto[] = [];
  readonly #names = new Set<string>();

  /** An empty graph called `name`. */
  constructor(name: string) {
    this.#name = name;
  }

  #claim(name: string): string {
    if (this.#names.has(name)) throw new Error(`OnnxGraphBuilder: the value name "${name}" is already used`);
    this.#names.add(name);
    return name;
  }

  /** A graph input with element type and dims (strings are dynamic axes). Returns its name. */
  input(name: string, elemType: OnnxElemType, dims: OnnxDim[]): string {
    this.#inputs.push(valueInfo(this.#claim(name), elemType, dims));
    return name;
  }

  /** Declare the existing value `name` a graph output. */
  output(name: string, elemType: OnnxElemType, dims: OnnxDim[]): void {
    if (!this.#names.has(name)) throw new Error(`OnnxGraphBuilder.output: no value named "${name}"`);
    this.#outputs.push(valueInfo(name, elemType, dims));
  }

  /** A float32 or int64 initializer stored as little-endian raw bytes. Returns its name. */
  initializer(name: string, dims: number[], data: Float32Array | BigInt64Array): string {
    const count = dims.reduce((a, b) => a * b, 1);
    if (data.length !== count) {
      throw new Error(
        `OnnxGraphBuilder.initializer "${name}": dims [${dims}] hold ${count} values, got ${data.length}`,
      );
    }
    const dataType = data instanceof Float32Array ? OnnxType.FLOAT : OnnxType.INT64;
    const rawData = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    this.#initializers.push({ name: this.#claim(name), dims, dataType, rawData });
    return name;
  }

  /** An int64 constant (1-D, or a scalar when `scalar` is true), as an initializer. Returns its name. */
  int64(name: string, values: number[], scalar = false): string {
    if (scalar && values.length !== 1) throw new Error(`OnnxGraphBuilder.int64 "${name}": a scalar holds one value`);
    return this.initializer(name, scalar ? [] : [values.length], BigInt64Array.from(values, BigInt));
  }

  /** A float32 scalar constant, as an initializer. Returns its name. */
  float(name: string, value: number): string {
    return this.initializer(name, [], new Float32Array([value]));
  }

  /** A node `opType(inputs) → name` in the default domain, with attributes. Returns its output's name. */
  node(opType: string, inputs: string[], name: string, attributes: Record<string, OnnxAttribute> = {}): string {
    for (const input of inputs) {
      if (!this.#names.has(input)) throw new Error(`OnnxGraphBuilder.node ${opType} "${name}": no input "${input}"`);
    }
    const attribute = Object.entries(attributes).map(([key, a]) =>
      "ints" in a
        ? { name: key, type: onnx.AttributeProto.AttributeType.INTS, ints: a.ints }
        : "f" in a
        ? { name: key, type: onnx.AttributeProto.AttributeType.FLOAT, f: a.f }
        : { name: key, type: onnx.AttributeProto.AttributeType.INT, i: a.i }
    );
    this.#nodes.push({ opType, input: inputs, output: [this.#claim(name)], name, attribute });
    return name;
  }

  /** Number of initializers whose dims are exactly `dims` (for checks such as "the tied matrix is stored once"). */
  countInitializers(dims: number[]): number {
    return this.#initializers.filter((t) => (t.dims ?? []).map(Number).join() === dims.join()).length;
  }

  /** The serialized `ModelProto`. */
  encode(options: OnnxEncodeOptions): Uint8Array {
    if (options.opset < 14) throw new Error(`OnnxGraphBuilder.encode: opset ${options.opset} < 14`);
    if (this.#outputs.length === 0) throw new Error(`OnnxGraphBuilder.encode: graph "${this.#name}" has no output`);
    const model = onnx.ModelProto.create({
      irVersion: options.irVersion ?? 8,
      producerName: options.producerName ?? "mlm-adapt",
      docString: options.docString ?? "",
      opsetImport: [{ domain: "", version: options.opset }],
      graph: {
        name: this.#name,
        node: this.#nodes,
        initializer: this.#initializers,
        input: this.#inputs,
        output: this.#outputs,
      },
    });
    const bytes = onnx.ModelProto.encode(model).finish(); // a node Buffer under Deno's npm compatibility
    return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
}

/** A decoded `ModelProto` (for tests and inspection). */
export type OnnxModel = OnnxProto.onnx.ModelProto;

/**
 * Decode a serialized ONNX model.
 *
 * @example
 * ```ts
 * import { decodeOnnx, OnnxGraphBuilder, OnnxType } from "./onnx_graph.ts";
 * const g = new OnnxGraphBuilder("id");
 * g.input("x", OnnxType.FLOAT, ["n"]);
 * g.output(g.node("Identity", ["x"], "y"), OnnxType.FLOAT, ["n"]);
 * if (decodeOnnx(g.encode({ opset: 17 })).graph?.node?.[0].opType !== "Identity") throw new Error("round trip");
 * ```
 */
export function decodeOnnx(bytes: Uint8Array): OnnxModel {
  return onnx.ModelProto.decode(bytes);
}

/** A checkpoint's values by key: the shape and float32 data of each parameter. */
export type CheckpointValues = Map<string, { shape: number[]; data: Float32Array }>;

/**
 * A graph under construction plus the checkpoint values its initializers come from: fresh value names per scope
 * ({@link CheckpointGraph.id}) and each parameter added as an initializer on first use ({@link CheckpointGraph.param}).
 *
 * @example
 * ```ts
 * import { CheckpointGraph, OnnxType } from "./onnx_graph.ts";
 * const c = new CheckpointGraph("scale", new Map([["w", { shape: [1], data: new Float32Array([2]) }]]));
 * c.g.input("x", OnnxType.FLOAT, ["n"]);
 * const y = c.g.node("Mul", ["x", c.param("w")], c.id("scale", "Mul"));
 * if (y !== "/scale/Mul_0" || c.param("w") !== "w" || c.has("b")) throw new Error("names");
 * ```
 */
export class CheckpointGraph {
  /** The graph. */
  readonly g: OnnxGraphBuilder;
  readonly #values: CheckpointValues;
  readonly #added = new Set<string>();
  #n = 0;

  /** An empty graph called `name` over the checkpoint `values`. */
  constructor(name: string, values: CheckpointValues) {
    this.g = new OnnxGraphBuilder(name);
    this.#values = values;
  }

  /** A fresh value name under `scope`. */
  id(scope: string, op: string): string {
    return `/${scope}/${op}_${this.#n++}`;
  }

  /** Whether the checkpoint holds key `name`. */
  has(name: string): boolean {
    return this.#values.has(name);
  }

  /** The initializer for checkpoint key `name` (added on first use). */
  param(name: string): string {
    const v = this.#values.get(name);
    if (!v) throw new Error(`exportOnnx: the model has no parameter "${name}"`);
    if (!this.#added.has(name)) {
      this.g.initializer(name, v.shape, v.data);
      this.#added.add(name);
    }
    return name;
  }
}
