/**
 * The ONNX graph of a ModernBERT masked LM or sequence classifier, as `modernbert.ts` computes it (HF's padded path),
 * in standard ONNX ops at opset 17, for transformers.js:
 *
 * ```
 * input_ids, attention_mask                      int64 [batch_size, sequence_length]
 * embeddings: Gather(tok_embeddings) → LayerNormalization (no bias unless norm_bias)
 * rotary: positions Range(0, seq) · inv_freq → Concat(freqs, freqs) → Cos, Sin   (one pair per theta)
 * masks: global (1 - mask) · float32 min [b, 1, 1, s]; local Where(|i - j| <= local_attention / 2, global, min)
 * each layer: x + Wo(attention(rotary(q), rotary(k), v)), attn_norm first except in layer 0;
 *             x + mlp.Wo(act(input) · gate) of mlp.Wi(mlp_norm(x))
 * masked LM:  final_norm → head.dense → act → head.norm → MatMul(tok_embeddingsᵀ) (+ decoder.bias) → logits
 * classifier: final_norm → first token or masked mean → head.dense → act → head.norm → classifier → logits
 * ```
 *
 * @module
 */
import type { ModernBertConfig } from "../model/config.ts";
import { modernBertLayerTypes, modernBertRopeTheta } from "../model/config.ts";
import { FLOAT32_MIN } from "../model/layers.ts";
import { CheckpointGraph, type CheckpointValues, OnnxGraphBuilder, OnnxType } from "./onnx_graph.ts";

/** What {@link modernBertOnnx} builds. */
export interface ModernBertOnnx {
  /** The graph, inputs and output declared. */
  graph: OnnxGraphBuilder;
  /** Graph input names, in order. */
  inputs: string[];
}

const BATCH = "batch_size";
const SEQ = "sequence_length";

class Graph extends CheckpointGraph {
  readonly #eps: number;

  constructor(name: string, values: CheckpointValues, eps: number) {
    super(name, values);
    this.#eps = eps;
  }

  op(op: string, inputs: string[], scope: string, attributes = {}): string {
    return this.g.node(op, inputs, this.id(scope, op), attributes);
  }

  float(scope: string, v: number): string {
    return this.g.float(this.id(scope, "const"), v);
  }

  ints(scope: string, v: number[], scalar = false): string {
    return this.g.int64(this.id(scope, "const"), v, scalar);
  }

  /** `x Wᵀ (+ b)`, the bias only where the checkpoint has one. */
  linear(name: string, x: string, out?: string): string {
    const wt = this.op("Transpose", [this.param(`${name}.weight`)], name, { perm: { ints: [1, 0] } });
    const y = this.op("MatMul", [x, wt], name);
    if (!this.has(`${name}.bias`)) return out ? this.g.node("Identity", [y], out) : y;
    return out
      ? this.g.node("Add", [y, this.param(`${name}.bias`)], out)
      : this.op("Add", [y, this.param(`${name}.bias`)], name);
  }

  norm(name: string, x: string): string {
    const inputs = [x, this.param(`${name}.weight`), ...(this.has(`${name}.bias`) ? [this.param(`${name}.bias`)] : [])];
    return this.op("LayerNormalization", inputs, name, { axis: { i: -1 }, epsilon: { f: this.#eps } });
  }

  /** HF `ACT2FN[name]`, as `layers.ts` `activation` computes it. */
  act(name: string, scope: string, x: string): string {
    const c = (v: number) => this.float(scope, v);
    switch (name) {
      case "gelu": {
        const erf = this.op("Erf", [this.op("Mul", [x, c(Math.SQRT1_2)], scope)], scope);
        return this.op("Mul", [this.op("Mul", [x, c(0.5)], scope), this.op("Add", [erf, c(1)], scope)], scope);
      }
      case "gelu_new":
      case "gelu_pytorch_tanh": {
        const cube = this.op("Mul", [this.op("Pow", [x, c(3)], scope), c(0.044715)], scope);
        const inner = this.op("Mul", [this.op("Add", [x, cube], scope), c(Math.sqrt(2 / Math.PI))], scope);
        const tanh = this.op("Tanh", [inner], scope);
        return this.op("Mul", [this.op("Mul", [x, c(0.5)], scope), this.op("Add", [tanh, c(1)], scope)], scope);
      }
      case "relu":
        return this.op("Relu", [x], scope);
      case "silu":
        return this.op("Mul", [x, this.op("Sigmoid", [x], scope)], scope);
      default:
        throw new Error(`exportOnnx: activation ${JSON.stringify(name)} has no ONNX form here`);
    }
  }

  /** `x[..., start:end]` on the last axis. */
  slice(scope: string, x: string, start: number, end: number): string {
    return this.op("Slice", [x, this.ints(scope, [start]), this.ints(scope, [end]), this.ints(scope, [-1])], scope);
  }
}

/**
 * The graph of a ModernBERT masked LM (`numLabels` absent) or sequence classifier, weights from `values` (HF names).
 *
 * @example
 * ```ts
 * import { parseConfig } from "../model/config.ts";
 * import type { ModernBertConfig } from "../model/config.ts";
 * import { modernbertParams } from "../model/modernbert.ts";
 * import { modernBertOnnx } from "./onnx_modernbert.ts";
 * const config = parseConfig({ model_type: "modernbert", vocab_size: 10, hidden_size: 4, num_attention_heads: 1, num_hidden_layers: 2, intermediate_size: 6, pad_token_id: 0 }) as ModernBertConfig;
 * const values = new Map([...modernbertParams(config)].map(([n, s]) => [n, { shape: s.shape, data: new Float32Array(s.shape.reduce((a, b) => a * b, 1)) }]));
 * const { graph, inputs } = modernBertOnnx(config, values);
 * if (inputs.join() !== "input_ids,attention_mask" || graph.encode({ opset: 17 }).length < 100) throw new Error("graph");
 * ```
 */
export function modernBertOnnx(
  config: ModernBertConfig,
  values: Map<string, { shape: number[]; data: Float32Array }>,
  numLabels?: number,
): ModernBertOnnx {
  const classifier = numLabels !== undefined;
  const b = new Graph(`modernbert_${classifier ? "sequence_classification" : "masked_lm"}`, values, config.norm_eps);
  const g = b.g;
  const inputs = ["input_ids", "attention_mask"];
  for (const name of inputs) g.input(name, OnnxType.INT64, [BATCH, SEQ]);
  const heads = config.num_attention_heads, hidden = config.hidden_size, d = hidden / heads;

  let x = b.norm(
    "model.embeddings.norm",
    b.op("Gather", [b.param("model.embeddings.tok_embeddings.weight"), "input_ids"], "embeddings"),
  );

  // positions, rotary tables, masks
  const seqLen = b.op(
    "Gather",
    [b.op("Shape", ["input_ids"], "positions"), b.ints("positions", [1], true)],
    "positions",
  );
  const pos = b.op("Range", [b.ints("positions", [0], true), seqLen, b.ints("positions", [1], true)], "positions");
  const posF = b.op("Unsqueeze", [
    b.op("Cast", [pos], "positions", { to: { i: OnnxType.FLOAT } }),
    b.ints("positions", [1]),
  ], "positions");
  const tables = (type: "full_attention" | "sliding_attention") => {
    const theta = modernBertRopeTheta(config, type), f = Math.fround;
    const inv = Float32Array.from({ length: d / 2 }, (_, i) => f(1 / f(Math.pow(theta, f((2 * i) / d)))));
    const freqs = b.op("Mul", [posF, g.initializer(`rotary.${type}.inv_freq`, [d / 2], inv)], "rotary");
    const emb = b.op("Concat", [freqs, freqs], "rotary", { axis: { i: -1 } });
    return { cos: b.op("Cos", [emb], "rotary"), sin: b.op("Sin", [emb], "rotary") };
  };
  const mask = b.op("Cast", ["attention_mask"], "attention_bias", { to: { i: OnnxType.FLOAT } });
  const inverted = b.op("Sub", [b.float("attention_bias", 1), mask], "attention_bias");
  const min = b.float("attention_bias", FLOAT32_MIN);
  const globalBias = b.op("Unsqueeze", [
    b.op("Mul", [inverted, min], "attention_bias"),
    b.ints("attention_bias", [1, 2]),
  ], "attention_bias");
  const distance = b.op("Abs", [
    b.op("Sub", [
      b.op("Unsqueeze", [pos, b.ints("window", [1])], "window"),
      b.op("Unsqueeze", [pos, b.ints("window", [0])], "window"),
    ], "window"),
  ], "window");
  const band = b.op(
    "LessOrEqual",
    [distance, b.ints("window", [Math.floor(config.local_attention / 2)], true)],
    "window",
  );
  const context = {
    full_attention: { ...tables("full_attention"), bias: globalBias },
    sliding_attention: { ...tables("sliding_attention"), bias: b.op("Where", [band, globalBias, min], "window") },
  };

  const types = modernBertLayerTypes(config);
  for (let i = 0; i < config.num_hidden_layers; i++) {
    const p = `model.layers.${i}`, ctx = context[types[i]];
    const normed = i === 0 ? x : b.norm(`${p}.attn_norm`, x);
    const qkv = b.op("Reshape", [b.linear(`${p}.attn.Wqkv`, normed), b.ints(p, [0, 0, 3, heads, d])], p);
    const parts = b.op("Transpose", [qkv], p, { perm: { ints: [2, 0, 3, 1, 4] } }); // [3, b, heads, s, d]
    const [q, k, v] = [0, 1, 2].map((j) => b.op("Gather", [parts, b.ints(p, [j], true)], p, { axis: { i: 0 } }));
    const rotate = (t: string) => {
      const rotated = b.op("Concat", [b.op("Neg", [b.slice(p, t, d / 2, d)], p), b.slice(p, t, 0, d / 2)], p, {
        axis: { i: -1 },
      });
      return b.op("Add", [b.op("Mul", [t, ctx.cos], p), b.op("Mul", [rotated, ctx.sin], p)], p);
    };
    const kt = b.op("Transpose", [rotate(k)], p, { perm: { ints: [0, 1, 3, 2] } });
    const scores = b.op("Mul", [b.op("MatMul", [rotate(q), kt], p), b.float(p, 1 / Math.sqrt(d))], p);
    const probs = b.op("Softmax", [b.op("Add", [scores, ctx.bias], p)], p, { axis: { i: -1 } });
    const merged = b.op("Transpose", [b.op("MatMul", [probs, v], p)], p, { perm: { ints: [0, 2, 1, 3] } });
    const attn = b.linear(`${p}.attn.Wo`, b.op("Reshape", [merged, b.ints(p, [0, 0, hidden])], p));
    x = b.op("Add", [x, attn], p);
    const h = b.linear(`${p}.mlp.Wi`, b.norm(`${p}.mlp_norm`, x));
    const n = config.intermediate_size;
    const glu = b.op("Mul", [b.act(config.hidden_activation, p, b.slice(p, h, 0, n)), b.slice(p, h, n, 2 * n)], p);
    x = b.op("Add", [x, b.linear(`${p}.mlp.Wo`, glu)], p);
  }
  x = b.norm("model.final_norm", x);

  const head = (h: string) =>
    b.norm("head.norm", b.act(config.classifier_activation, "head", b.linear("head.dense", h)));
  if (classifier) {
    let pooled: string;
    if (config.classifier_pooling === "cls") {
      pooled = b.op("Gather", [x, b.ints("pool", [0], true)], "pool", { axis: { i: 1 } });
    } else {
      const m = b.op("Unsqueeze", [mask, b.ints("pool", [2])], "pool");
      const axes = b.ints("pool", [1]);
      const sum = b.op("ReduceSum", [b.op("Mul", [x, m], "pool"), axes], "pool", { keepdims: { i: 0 } });
      pooled = b.op("Div", [sum, b.op("ReduceSum", [m, axes], "pool", { keepdims: { i: 0 } })], "pool");
    }
    g.output(b.linear("classifier", head(pooled), "logits"), OnnxType.FLOAT, [BATCH, numLabels]);
  } else {
    const decoder = config.tie_word_embeddings ? "model.embeddings.tok_embeddings.weight" : "decoder.weight";
    const wt = b.op("Transpose", [b.param(decoder)], "decoder", { perm: { ints: [1, 0] } });
    const scores = b.op("MatMul", [head(x), wt], "decoder");
    const logits = b.has("decoder.bias")
      ? g.node("Add", [scores, b.param("decoder.bias")], "logits")
      : g.node("Identity", [scores], "logits");
    g.output(logits, OnnxType.FLOAT, [BATCH, SEQ, config.vocab_size]);
  }
  return { graph: g, inputs };
}
