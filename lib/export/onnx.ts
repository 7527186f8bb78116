/**
 * ONNX export in the layout transformers.js (`@huggingface/transformers`) loads: `onnx/model.onnx` beside
 * `config.json` and the tokenizer files. The graph is built from the model's own parameters and follows the same
 * computation as `distilbert.ts` / `bert.ts` / `sequence_classification.ts`, op for op, in standard ONNX ops
 * (opset 17):
 *
 * ```
 * input_ids, attention_mask [, token_type_ids]   int64 [batch_size, sequence_length]
 * embeddings: Gather(word) (+ Gather(token_type)) + Slice(position, 0:seq) → LayerNormalization
 * attention bias: (1 - Cast(attention_mask)) · float32 min → [batch, 1, 1, seq]
 * each layer: Linear = MatMul(x, Transpose(W)) + b; heads by Reshape/Transpose; Softmax(q kᵀ / √d + bias) v;
 *             post-LN residual blocks; GELU as x · ½ · (1 + erf(x / √2))
 * masked LM:  transform → act → LayerNorm → MatMul(h, Transpose(word_embeddings)) + bias   → logits [b, s, vocab]
 * classifier: hidden[:, 0] → pre_classifier/ReLU (DistilBERT) or pooler/tanh (BERT) → classifier → logits [b, labels]
 * ```
 * Initializers are named by their HF checkpoint keys; the tied decoder reads the word-embedding initializer (stored
 * once). Dropout is left out (inference).
 *
 * @module
 */
import type { tf } from "../deps.ts";
import { writeFileAtomic } from "../fs.ts";
import {
  basePrefix,
  type BertConfig,
  configToJson,
  type DistilBertConfig,
  type ModelConfig,
  readConfig,
} from "../model/config.ts";
import { FLOAT32_MIN } from "../model/layers.ts";
import type { MaskedLM } from "../model/masked_lm.ts";
import { loadMaskedLM } from "../model/pretrained.ts";
import {
  classifierConfigJson,
  loadSequenceClassifier,
  type SequenceClassifier,
} from "../model/sequence_classification.ts";
import { CheckpointGraph, type CheckpointValues, OnnxType } from "./onnx_graph.ts";
import { copyTokenizerFiles } from "./tokenizer_files.ts";
import { modernBertOnnx } from "./onnx_modernbert.ts";

/** The opset of the exported graphs (LayerNormalization is a standard op from 17). */
export const ONNX_OPSET = 17;

/** Where transformers.js looks for the fp32 model inside a model folder. */
export const ONNX_MODEL_PATH = "onnx/model.onnx";

const BATCH = "batch_size";
const SEQ = "sequence_length";

/** A model {@link exportOnnx} takes: a masked LM or a sequence classifier (DistilBERT or BERT). */
export type ExportableModel = MaskedLM | SequenceClassifier;

function isClassifier(model: ExportableModel): model is SequenceClassifier {
  return "numLabels" in model;
}

interface Sizes {
  hidden: number;
  heads: number;
  layers: number;
  eps: number;
  act: string;
}

function sizesOf(config: ModelConfig): Sizes {
  if (config.model_type === "distilbert") {
    const c = config as DistilBertConfig;
    return { hidden: c.dim, heads: c.n_heads, layers: c.n_layers, eps: 1e-12, act: c.activation };
  }
  const c = config as BertConfig;
  return {
    hidden: c.hidden_size,
    heads: c.num_attention_heads,
    layers: c.num_hidden_layers,
    eps: c.layer_norm_eps,
    act: c.hidden_act,
  };
}

/** The BERT-family graph under construction (see {@link CheckpointGraph}). */
class BertGraph extends CheckpointGraph {
  readonly #sizes: Sizes;

  constructor(name: string, values: CheckpointValues, sizes: Sizes) {
    super(name, values);
    this.#sizes = sizes;
  }

  /**
   * `x Wᵀ + b` for the Linear `name` (`name.weight` in PyTorch's [out, in] layout, `name.bias`); the result is
   * named `out` when given.
   */
  linear(name: string, x: string, out = this.id(name, "Add")): string {
    const w = this.param(`${name}.weight`);
    const wt = this.g.node("Transpose", [w], this.id(name, "Transpose"), { perm: { ints: [1, 0] } });
    const y = this.g.node("MatMul", [x, wt], this.id(name, "MatMul"));
    return this.g.node("Add", [y, this.param(`${name}.bias`)], out);
  }

  /** LayerNormalization over the last axis with `name.weight`, `name.bias`. */
  norm(name: string, x: string): string {
    const inputs = [x, this.param(`${name}.weight`), this.param(`${name}.bias`)];
    const attributes = { axis: { i: -1 }, epsilon: { f: this.#sizes.eps } };
    return this.g.node("LayerNormalization", inputs, this.id(name, "LayerNormalization"), attributes);
  }

  /** HF `ACT2FN[name]` (default: the config's activation), as `layers.ts` `activation` computes it. */
  act(scope: string, x: string, name = this.#sizes.act): string {
    const g = this.g;
    const c = (v: number) => g.float(this.id(scope, `const_${v}`), v);
    switch (name) {
      case "gelu": {
        const erf = g.node("Erf", [g.node("Mul", [x, c(Math.SQRT1_2)], this.id(scope, "Mul"))], this.id(scope, "Erf"));
        const half = g.node("Mul", [x, c(0.5)], this.id(scope, "Mul"));
        return g.node("Mul", [half, g.node("Add", [erf, c(1)], this.id(scope, "Add"))], this.id(scope, "Mul"));
      }
      case "gelu_new":
      case "gelu_pytorch_tanh": {
        const cube = g.node("Pow", [x, c(3)], this.id(scope, "Pow"));
        const sum = g.node(
          "Add",
          [x, g.node("Mul", [cube, c(0.044715)], this.id(scope, "Mul"))],
          this.id(scope, "Add"),
        );
        const inner = g.node("Mul", [sum, c(Math.sqrt(2 / Math.PI))], this.id(scope, "Mul"));
        const tanh = g.node("Tanh", [inner], this.id(scope, "Tanh"));
        const half = g.node("Mul", [x, c(0.5)], this.id(scope, "Mul"));
        return g.node("Mul", [half, g.node("Add", [tanh, c(1)], this.id(scope, "Add"))], this.id(scope, "Mul"));
      }
      case "relu":
        return g.node("Relu", [x], this.id(scope, "Relu"));
      case "silu":
        return g.node("Mul", [x, g.node("Sigmoid", [x], this.id(scope, "Sigmoid"))], this.id(scope, "Mul"));
      default:
        throw new Error(`exportOnnx: activation ${JSON.stringify(name)} has no ONNX form here`);
    }
  }

  /** Multi-head attention as `layers.ts` `multiHeadAttention`: softmax(q kᵀ / √d + bias) v over `heads` heads. */
  attention(scope: string, q: string, k: string, v: string, bias: string): string {
    const g = this.g, { hidden, heads } = this.#sizes, d = hidden / heads;
    const split = g.int64(this.id(scope, "split_shape"), [0, 0, heads, d]);
    const heads4 = (x: string, perm: number[]) =>
      g.node("Transpose", [g.node("Reshape", [x, split], this.id(scope, "Reshape"))], this.id(scope, "Transpose"), {
        perm: { ints: perm },
      });
    const qh = heads4(q, [0, 2, 1, 3]), kt = heads4(k, [0, 2, 3, 1]), vh = heads4(v, [0, 2, 1, 3]);
    const scores = g.node("MatMul", [qh, kt], this.id(scope, "MatMul"));
    const scaled = g.node("Mul", [scores, g.float(this.id(scope, "scale"), 1 / Math.sqrt(d))], this.id(scope, "Mul"));
    const probs = g.node("Softmax", [g.node("Add", [scaled, bias], this.id(scope, "Add"))], this.id(scope, "Softmax"), {
      axis: { i: -1 },
    });
    const context = g.node(
      "Transpose",
      [g.node("MatMul", [probs, vh], this.id(scope, "MatMul"))],
      this.id(
        scope,
        "Transpose",
      ),
      { perm: { ints: [0, 2, 1, 3] } },
    );
    return g.node(
      "Reshape",
      [context, g.int64(this.id(scope, "merge_shape"), [0, 0, hidden])],
      this.id(
        scope,
        "Reshape",
      ),
    );
  }
}

function embeddings(b: BertGraph, config: ModelConfig): string {
  const base = basePrefix(config);
  if (base === "roberta") return robertaEmbeddings(b, config.pad_token_id!);
  const g = b.g, p = `${base}.embeddings`;
  const words = g.node("Gather", [b.param(`${p}.word_embeddings.weight`), "input_ids"], b.id(p, "Gather"));
  const shape = g.node("Shape", ["input_ids"], b.id(p, "Shape"));
  const seqLen = g.node("Slice", [shape, g.int64(b.id(p, "one"), [1]), g.int64(b.id(p, "two"), [2])], b.id(p, "Slice"));
  const positions = g.node(
    "Slice",
    [b.param(`${p}.position_embeddings.weight`), g.int64(b.id(p, "zero"), [0]), seqLen, g.int64(b.id(p, "axis"), [0])],
    b.id(p, "Slice"),
  );
  let x = words;
  if (base === "bert") {
    const types = g.node("Gather", [b.param(`${p}.token_type_embeddings.weight`), "token_type_ids"], b.id(p, "Gather"));
    x = g.node("Add", [x, types], b.id(p, "Add"));
  }
  return b.norm(`${p}.LayerNorm`, g.node("Add", [x, positions], b.id(p, "Add")));
}

/** RoBERTa's: positions `cumsum(ids != pad) · (ids != pad) + pad`; token type 0; (words + type) + positions → LN. */
function robertaEmbeddings(b: BertGraph, pad: number): string {
  const g = b.g, p = "roberta.embeddings";
  const words = g.node("Gather", [b.param(`${p}.word_embeddings.weight`), "input_ids"], b.id(p, "Gather"));
  const padId = g.int64(b.id(p, "pad"), [pad], true);
  const notPad = g.node("Not", [g.node("Equal", ["input_ids", padId], b.id(p, "Equal"))], b.id(p, "Not"));
  const mask = g.node("Cast", [notPad], b.id(p, "Cast"), { to: { i: OnnxType.INT64 } });
  const cumsum = g.node("CumSum", [mask, g.int64(b.id(p, "axis"), [1], true)], b.id(p, "CumSum"));
  const ids = g.node("Add", [g.node("Mul", [cumsum, mask], b.id(p, "Mul")), padId], b.id(p, "Add"));
  const positions = g.node("Gather", [b.param(`${p}.position_embeddings.weight`), ids], b.id(p, "Gather"));
  const type0 = g.node(
    "Gather",
    [b.param(`${p}.token_type_embeddings.weight`), g.int64(b.id(p, "type"), [0], true)],
    b.id(p, "Gather"),
  );
  const x = g.node("Add", [words, type0], b.id(p, "Add"));
  return b.norm(`${p}.LayerNorm`, g.node("Add", [x, positions], b.id(p, "Add")));
}

function attentionBias(b: BertGraph): string {
  const g = b.g, s = "attention_bias";
  const mask = g.node("Cast", ["attention_mask"], b.id(s, "Cast"), { to: { i: OnnxType.FLOAT } });
  const inverted = g.node("Sub", [g.float(b.id(s, "one"), 1), mask], b.id(s, "Sub"));
  const bias = g.node("Mul", [inverted, g.float(b.id(s, "float32_min"), FLOAT32_MIN)], b.id(s, "Mul"));
  return g.node("Unsqueeze", [bias, g.int64(b.id(s, "axes"), [1, 2])], b.id(s, "Unsqueeze"));
}

function distilbertLayer(b: BertGraph, i: number, x: string, bias: string): string {
  const g = b.g, p = `distilbert.transformer.layer.${i}`;
  const q = b.linear(`${p}.attention.q_lin`, x), k = b.linear(`${p}.attention.k_lin`, x);
  const v = b.linear(`${p}.attention.v_lin`, x);
  const attn = b.linear(`${p}.attention.out_lin`, b.attention(`${p}.attention`, q, k, v, bias));
  const sa = b.norm(`${p}.sa_layer_norm`, g.node("Add", [attn, x], b.id(p, "Add")));
  const ffn = b.linear(`${p}.ffn.lin2`, b.act(`${p}.ffn`, b.linear(`${p}.ffn.lin1`, sa)));
  return b.norm(`${p}.output_layer_norm`, g.node("Add", [ffn, sa], b.id(p, "Add")));
}

function bertLayer(b: BertGraph, base: string, i: number, x: string, bias: string): string {
  const g = b.g, p = `${base}.encoder.layer.${i}`;
  const q = b.linear(`${p}.attention.self.query`, x), k = b.linear(`${p}.attention.self.key`, x);
  const v = b.linear(`${p}.attention.self.value`, x);
  const out = b.linear(`${p}.attention.output.dense`, b.attention(`${p}.attention.self`, q, k, v, bias));
  const a = b.norm(`${p}.attention.output.LayerNorm`, g.node("Add", [out, x], b.id(p, "Add")));
  const h = b.act(`${p}.intermediate`, b.linear(`${p}.intermediate.dense`, a));
  const o = b.linear(`${p}.output.dense`, h);
  return b.norm(`${p}.output.LayerNorm`, g.node("Add", [o, a], b.id(p, "Add")));
}

function mlmHead(b: BertGraph, config: ModelConfig, x: string): string {
  const g = b.g;
  if (basePrefix(config) === "roberta") {
    // RobertaLMHead: dense → gelu (always) → layer_norm → decoder (tied) + lm_head.bias
    const h = b.norm("lm_head.layer_norm", b.act("lm_head.dense", b.linear("lm_head.dense", x), "gelu"));
    const w = config.tie_word_embeddings ? "roberta.embeddings.word_embeddings.weight" : "lm_head.decoder.weight";
    const wt = g.node("Transpose", [b.param(w)], b.id("decoder", "Transpose"), { perm: { ints: [1, 0] } });
    return g.node("Add", [g.node("MatMul", [h, wt], b.id("decoder", "MatMul")), b.param("lm_head.bias")], "logits");
  }
  const distil = config.model_type === "distilbert";
  const [dense, norm, bias] = distil
    ? ["vocab_transform", "vocab_layer_norm", "vocab_projector.bias"]
    : ["cls.predictions.transform.dense", "cls.predictions.transform.LayerNorm", "cls.predictions.bias"];
  const h = b.norm(norm, b.act(dense, b.linear(dense, x)));
  const decoder = config.tie_word_embeddings
    ? `${config.model_type}.embeddings.word_embeddings.weight`
    : distil
    ? "vocab_projector.weight"
    : "cls.predictions.decoder.weight";
  const wt = g.node("Transpose", [b.param(decoder)], b.id("decoder", "Transpose"), { perm: { ints: [1, 0] } });
  const scores = g.node("MatMul", [h, wt], b.id("decoder", "MatMul"));
  return g.node("Add", [scores, b.param(bias)], "logits");
}

function classifierHead(b: BertGraph, config: ModelConfig, x: string): string {
  const g = b.g;
  const cls = g.node("Gather", [x, g.int64(b.id("cls", "index"), [0], true)], b.id("cls", "Gather"), {
    axis: { i: 1 },
  });
  if (basePrefix(config) === "roberta") {
    // RobertaClassificationHead: dense → tanh → out_proj on <s>
    const h = g.node("Tanh", [b.linear("classifier.dense", cls)], b.id("classifier", "Tanh"));
    return b.linear("classifier.out_proj", h, "logits");
  }
  const pooled = config.model_type === "distilbert"
    ? g.node("Relu", [b.linear("pre_classifier", cls)], b.id("pre_classifier", "Relu"))
    : g.node("Tanh", [b.linear("bert.pooler.dense", cls)], b.id("bert.pooler", "Tanh"));
  return b.linear("classifier", pooled, "logits");
}

/** The ONNX model of {@link onnxModelBytes}, with what it declares. */
export interface OnnxExport {
  /** The serialized `ModelProto`. */
  bytes: Uint8Array;
  /** Graph input names, in order. */
  inputs: string[];
  /** How many initializers hold a `[vocab, hidden]` matrix (1: the tied embeddings are stored once). */
  vocabMatrices: number;
}

/**
 * Build the ONNX graph of `model` (weights read from its variables).
 *
 * @example
 * ```ts
 * import { initMaskedLM } from "../model/init.ts";
 * import { parseConfig } from "../model/config.ts";
 * import { onnxModelBytes } from "./onnx.ts";
 * const m = initMaskedLM(parseConfig({ model_type: "bert", vocab_size: 30, hidden_size: 8, num_attention_heads: 2, num_hidden_layers: 1, intermediate_size: 16 }), { seed: 0 });
 * const out = await onnxModelBytes(m);
 * if (out.inputs.join() !== "input_ids,attention_mask,token_type_ids" || out.vocabMatrices !== 1) throw new Error("graph");
 * m.dispose();
 * ```
 */
export async function onnxModelBytes(model: ExportableModel): Promise<OnnxExport> {
  const config = model.config;
  const values = new Map<string, { shape: number[]; data: Float32Array }>();
  for (const [name, v] of model.params as Map<string, tf.Variable>) {
    values.set(name, { shape: v.shape, data: (await v.data()) as Float32Array });
  }
  const classifier = isClassifier(model);
  if (config.model_type === "modernbert") {
    const { graph, inputs } = modernBertOnnx(config, values, classifier ? model.numLabels : undefined);
    const what = classifier ? "sequence classification" : "masked LM";
    const bytes = graph.encode({ opset: ONNX_OPSET, docString: `modernbert ${what} exported by mlm-adapt` });
    return { bytes, inputs, vocabMatrices: graph.countInitializers([config.vocab_size, config.hidden_size]) };
  }
  const sizes = sizesOf(config);
  const b = new BertGraph(
    `${config.model_type}_${classifier ? "sequence_classification" : "masked_lm"}`,
    values,
    sizes,
  );
  const inputs = ["input_ids", "attention_mask", ...(config.model_type === "bert" ? ["token_type_ids"] : [])];
  for (const name of inputs) b.g.input(name, OnnxType.INT64, [BATCH, SEQ]);
  const bias = attentionBias(b);
  let x = embeddings(b, config);
  for (let i = 0; i < sizes.layers; i++) {
    x = config.model_type === "distilbert"
      ? distilbertLayer(b, i, x, bias)
      : bertLayer(b, basePrefix(config), i, x, bias);
  }
  if (classifier) {
    b.g.output(classifierHead(b, config, x), OnnxType.FLOAT, [BATCH, (model as SequenceClassifier).numLabels]);
  } else {
    b.g.output(mlmHead(b, config, x), OnnxType.FLOAT, [BATCH, SEQ, config.vocab_size]);
  }
  const bytes = b.g.encode({
    opset: ONNX_OPSET,
    docString: `${config.model_type} ${classifier ? "sequence classification" : "masked LM"} exported by mlm-adapt`,
  });
  return { bytes, inputs, vocabMatrices: b.g.countInitializers([config.vocab_size, sizes.hidden]) };
}

/** Options of {@link exportOnnx}. */
export interface ExportOnnxOptions {
  /** Copy the tokenizer files found here, `tokenizer_config.json` completed as Python saves it (default: none). */
  tokenizerDir?: string;
}

/** What {@link exportOnnx} wrote. */
export interface ExportOnnxResult {
  /** Path of `onnx/model.onnx`. */
  onnxPath: string;
  /** Every file written, relative to the folder (`onnx/model.onnx`, `config.json`, tokenizer files). */
  files: string[];
  /** Size of the ONNX file in bytes. */
  bytes: number;
}

/**
 * Write `dir/onnx/model.onnx`, `dir/config.json` (HF's, with `architectures` of the model's class) and the tokenizer
 * files from `options.tokenizerDir`: a folder transformers.js' `pipeline("fill-mask" | "text-classification", dir)`
 * runs. Every file is written atomically; other files in `dir` are left alone.
 *
 * @example
 * ```ts
 * import { initMaskedLM } from "../model/init.ts";
 * import { parseConfig } from "../model/config.ts";
 * import { exportOnnx } from "./onnx.ts";
 * const dir = await Deno.makeTempDir();
 * const m = initMaskedLM(parseConfig({ model_type: "distilbert", vocab_size: 30, dim: 8, n_heads: 2, n_layers: 1, hidden_dim: 16 }), { seed: 0 });
 * const r = await exportOnnx(m, dir);
 * if (r.files.join() !== "onnx/model.onnx,config.json") throw new Error(r.files.join());
 * m.dispose();
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function exportOnnx(
  model: ExportableModel,
  dir: string,
  options: ExportOnnxOptions = {},
): Promise<ExportOnnxResult> {
  const { bytes } = await onnxModelBytes(model);
  await Deno.mkdir(`${dir}/onnx`, { recursive: true });
  const onnxPath = `${dir}/${ONNX_MODEL_PATH}`;
  await writeFileAtomic(onnxPath, bytes);
  const config = isClassifier(model) ? classifierConfigJson(model.config) : configToJson(model.config);
  await writeFileAtomic(`${dir}/config.json`, config);
  const files = [ONNX_MODEL_PATH, "config.json"];
  if (options.tokenizerDir) files.push(...await copyTokenizerFiles(options.tokenizerDir, dir, model.config.model_type));
  return { onnxPath, files, bytes: bytes.length };
}

/**
 * Load the checkpoint folder `dir` as the model {@link onnxModelBytes} exports: a sequence classifier when its
 * `config.json` names a `…ForSequenceClassification` architecture, else a masked LM.
 *
 * @example
 * ```ts
 * import { loadExportable } from "./onnx.ts";
 * const m = await loadExportable("fixtures/demo/model");
 * if (m.config.model_type !== "distilbert") throw new Error(m.config.model_type);
 * m.dispose();
 * ```
 */
export async function loadExportable(dir: string): Promise<ExportableModel> {
  const config = await readConfig(dir);
  const architectures = Array.isArray(config.architectures) ? config.architectures as unknown[] : [];
  const classifier = architectures.some((a) => typeof a === "string" && a.endsWith("ForSequenceClassification"));
  return classifier ? await loadSequenceClassifier(dir, { log: () => {} }) : await loadMaskedLM(dir);
}

/** Options of {@link exportCheckpointOnnx}. */
export interface ExportCheckpointOnnxOptions {
  /** Folder to write (default: the checkpoint folder itself). */
  outputDir?: string;
}

/** What {@link exportCheckpointOnnx} wrote, and for which architecture. */
export interface ExportCheckpointOnnxResult extends ExportOnnxResult {
  /** The exported class, e.g. `DistilBertForMaskedLM` or `BertForSequenceClassification`. */
  architecture: string;
  /** The folder written. */
  outputDir: string;
}

/**
 * Export an HF checkpoint folder (`config.json` + `model.safetensors` + tokenizer files): a sequence classifier when
 * its `config.json` `architectures` names a `…ForSequenceClassification` class, else a masked LM. Writes into
 * `options.outputDir` (default: the checkpoint folder) as {@link exportOnnx} does, tokenizer files included.
 *
 * @example
 * ```ts
 * import { initMaskedLM } from "../model/init.ts";
 * import { savePretrained } from "../model/pretrained.ts";
 * import { parseConfig } from "../model/config.ts";
 * import { exportCheckpointOnnx } from "./onnx.ts";
 * const dir = await Deno.makeTempDir();
 * const m = initMaskedLM(parseConfig({ model_type: "bert", vocab_size: 30, hidden_size: 8, num_attention_heads: 2, num_hidden_layers: 1, intermediate_size: 16 }), { seed: 0 });
 * await savePretrained(m, `${dir}/ckpt`);
 * m.dispose();
 * const r = await exportCheckpointOnnx(`${dir}/ckpt`, { outputDir: `${dir}/web` });
 * if (r.architecture !== "BertForMaskedLM") throw new Error(r.architecture);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function exportCheckpointOnnx(
  dir: string,
  options: ExportCheckpointOnnxOptions = {},
): Promise<ExportCheckpointOnnxResult> {
  const model = await loadExportable(dir);
  const outputDir = options.outputDir ?? dir;
  try {
    const result = await exportOnnx(model, outputDir, { tokenizerDir: dir });
    const architecture = JSON.parse(await Deno.readTextFile(`${outputDir}/config.json`)).architectures[0];
    return { ...result, architecture, outputDir };
  } finally {
    model.dispose();
  }
}
