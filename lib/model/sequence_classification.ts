/**
 * `DistilBertForSequenceClassification` and `BertForSequenceClassification` as Hugging Face computes them, on the
 * same encoder code as the masked-LM models (`hiddenStates` of `distilbert.ts` / `bert.ts`). Parameter names are the
 * checkpoint's tensor names:
 *
 * ```
 * DistilBERT: distilbert.* → hidden[:, 0] → pre_classifier → ReLU → dropout(seq_classif_dropout) → classifier
 * BERT:       bert.*       → hidden[:, 0] → bert.pooler.dense → tanh → dropout(classifier_dropout ?? hidden_dropout_prob) → classifier
 * ```
 *
 * The label set lives in the config as HF keeps it (`id2label` with string keys, `label2id`, `problem_type`).
 * {@link loadSequenceClassifier} takes the encoder from any masked-LM or classifier checkpoint and initialises what
 * the checkpoint lacks (the new head) as HF's `_init_weights` does — normal(0, `initializer_range`), zero biases —
 * from a seed, printing HF's "Some weights of … were not initialized …" / "… were not used …" messages.
 *
 * @module
 */
import { tf } from "../deps.ts";
import { Rng } from "../data/rng.ts";
import { TOKENIZER_FILES } from "../tokenize/tokenizer.ts";
import { type BertConfig, dims, type DistilBertConfig, type ModelConfig, readConfig } from "./config.ts";
import { BertForMaskedLM } from "./bert.ts";
import { DistilBertForMaskedLM } from "./distilbert.ts";
import { crossEntropySum, dropout, type ForwardOptions, linear } from "./layers.ts";
import { makeVariables, MaskedLMBase, type ParamSpec } from "./masked_lm.ts";
import { paramSpecs } from "./architectures.ts";
import { initValues } from "./init.ts";
import { readSafetensors, type SafeTensor, writeSafetensors } from "./safetensors.ts";
import { type BackendName, prepareTf, selectBackend } from "./backend.ts";

/** A padded batch for a sequence classifier: `[batch, seq]` ids and mask, one class id per row. */
export interface ClassificationBatch {
  /** Token ids, right-padded. */
  input_ids: Int32Array;
  /** 1 for real tokens, 0 for padding. */
  attention_mask: Int32Array;
  /** `[batch]` class ids (`-100` rows take no loss, as PyTorch's `ignore_index`). */
  labels: Int32Array;
  /** `[batch, seq]`. */
  shape: [number, number];
}

/** A sequence classifier with HF parameter names. */
export interface SequenceClassifier {
  /** The HF configuration (with `id2label`, `label2id`, `problem_type`). */
  readonly config: ModelConfig;
  /** Parameters by HF checkpoint name (variables named `mlm<N>/<hf name>`). */
  readonly params: Map<string, tf.Variable>;
  /** Number of classes. */
  readonly numLabels: number;
  /** `[batch, num_labels]` scores (`SequenceClassifierOutput.logits`). */
  logits(input_ids: tf.Tensor2D, attention_mask: tf.Tensor2D, options?: ForwardOptions): tf.Tensor2D;
  /** Mean cross-entropy over rows whose label is not -100 (HF `single_label_classification`). */
  loss(batch: ClassificationBatch, options?: ForwardOptions): tf.Scalar;
  /** Number of parameters (HF `num_parameters()`). */
  numParameters(): number;
  /** Free every variable. */
  dispose(): void;
}

/** HF class name of the config's sequence classifier. */
export function classifierArchitecture(config: ModelConfig): string {
  return config.model_type === "distilbert" ? "DistilBertForSequenceClassification" : "BertForSequenceClassification";
}

/** Options of {@link withClassifierConfig}. */
export interface ClassifierConfigOptions {
  /** Label names in class-id order (sets `id2label` / `label2id`). */
  labels?: readonly string[];
  /** Number of classes when no names are given (`LABEL_0`, `LABEL_1`, … as HF). */
  numLabels?: number;
}

/**
 * The label names of a config in class-id order: its `id2label`, else `num_labels` × `LABEL_i`, else HF's default of
 * two labels.
 *
 * @example
 * ```ts
 * import { labelNames } from "./sequence_classification.ts";
 * import { parseConfig } from "./config.ts";
 * if (labelNames(parseConfig({ model_type: "bert" })).join() !== "LABEL_0,LABEL_1") throw new Error("HF default");
 * ```
 */
export function labelNames(config: ModelConfig): string[] {
  const id2label = config.id2label;
  if (id2label !== undefined && id2label !== null) {
    if (typeof id2label !== "object" || Array.isArray(id2label)) {
      throw new Error(`config field "id2label": expected an object {"0": name, …}, got ${JSON.stringify(id2label)}`);
    }
    const entries = Object.entries(id2label as Record<string, unknown>);
    const names: string[] = new Array(entries.length);
    for (const [k, v] of entries) {
      const id = Number(k);
      if (!Number.isInteger(id) || id < 0 || id >= entries.length || names[id] !== undefined) {
        throw new Error(
          `config field "id2label": keys must be the ids 0..${entries.length - 1}, got ${JSON.stringify(k)}`,
        );
      }
      names[id] = String(v);
    }
    return names;
  }
  const n = config.num_labels ?? 2;
  if (typeof n !== "number" || !Number.isInteger(n) || n < 1) {
    throw new Error(`config field "num_labels": expected an integer >= 1, got ${JSON.stringify(n)}`);
  }
  return Array.from({ length: n }, (_, i) => `LABEL_${i}`);
}

/**
 * A copy of `config` with the classifier fields HF writes: `id2label` (string keys), `label2id`, and `problem_type`
 * `"single_label_classification"` (the only one supported). Without options the config's own labels are kept.
 *
 * @example
 * ```ts
 * import { withClassifierConfig } from "./sequence_classification.ts";
 * import { parseConfig } from "./config.ts";
 * const c = withClassifierConfig(parseConfig({ model_type: "distilbert" }), { labels: ["neg", "pos"] });
 * if ((c.label2id as Record<string, number>).pos !== 1) throw new Error("label2id");
 * ```
 */
export function withClassifierConfig(config: ModelConfig, options: ClassifierConfigOptions = {}): ModelConfig {
  let names: string[];
  if (options.labels !== undefined) names = [...options.labels];
  else if (options.numLabels !== undefined) names = Array.from({ length: options.numLabels }, (_, i) => `LABEL_${i}`);
  else names = labelNames(config);
  if (names.length < 2) {
    throw new Error(`classifier: need at least 2 labels for single-label classification, got ${names.length}`);
  }
  if (new Set(names).size !== names.length) {
    throw new Error(`classifier: label names must be distinct, got ${JSON.stringify(names)}`);
  }
  const problem = config.problem_type;
  if (problem !== undefined && problem !== null && problem !== "single_label_classification") {
    throw new Error(
      `config field "problem_type": only "single_label_classification" is supported, got ${JSON.stringify(problem)}`,
    );
  }
  const out = { ...config } as ModelConfig;
  delete out.num_labels;
  out.id2label = Object.fromEntries(names.map((n, i) => [String(i), n]));
  out.label2id = Object.fromEntries(names.map((n, i) => [n, i]));
  out.problem_type = "single_label_classification";
  return out;
}

/**
 * The head's parameter table: `pre_classifier` + `classifier` (DistilBERT) or `bert.pooler.dense` + `classifier`
 * (BERT), HF-initialised (normal weights, zero biases).
 *
 * @example
 * ```ts
 * import { classifierHeadParams } from "./sequence_classification.ts";
 * import { parseConfig } from "./config.ts";
 * const head = classifierHeadParams(parseConfig({ model_type: "bert", hidden_size: 8, num_attention_heads: 2 }));
 * if (head.get("classifier.weight")!.shape.join() !== "2,8") throw new Error("two labels by default");
 * ```
 */
export function classifierHeadParams(config: ModelConfig): Map<string, ParamSpec> {
  const hidden = dims(config).hidden;
  const n = labelNames(config).length;
  const specs = new Map<string, ParamSpec>();
  const dense = config.model_type === "distilbert" ? "pre_classifier" : "bert.pooler.dense";
  specs.set(`${dense}.weight`, { shape: [hidden, hidden], init: "normal" });
  specs.set(`${dense}.bias`, { shape: [hidden], init: "zeros" });
  specs.set("classifier.weight", { shape: [n, hidden], init: "normal" });
  specs.set("classifier.bias", { shape: [n], init: "zeros" });
  return specs;
}

/**
 * Every parameter of the config's sequence classifier: the encoder's (the masked-LM table without its head) then the
 * classifier head's.
 *
 * @example
 * ```ts
 * import { sequenceClassificationParams } from "./sequence_classification.ts";
 * import { parseConfig } from "./config.ts";
 * const specs = sequenceClassificationParams(parseConfig({ model_type: "distilbert" }));
 * if (specs.has("vocab_transform.weight") || !specs.has("pre_classifier.weight")) throw new Error("head");
 * ```
 */
export function sequenceClassificationParams(config: ModelConfig): Map<string, ParamSpec> {
  const prefix = `${config.model_type}.`;
  const specs = new Map([...paramSpecs(config)].filter(([name]) => name.startsWith(prefix)));
  for (const [name, spec] of classifierHeadParams(config)) specs.set(name, spec);
  return specs;
}

function sumParams(params: Map<string, tf.Variable>): number {
  let n = 0;
  for (const v of params.values()) n += v.size;
  return n;
}

function meanLoss(logits: tf.Tensor2D, labels: Int32Array): tf.Scalar {
  let count = 0;
  for (const l of labels) if (l !== -100) count++;
  return tf.div(crossEntropySum(logits, tf.tensor1d(labels, "int32")), count) as tf.Scalar;
}

function checkBatch(batch: ClassificationBatch): void {
  const [b, s] = batch.shape;
  for (const field of ["input_ids", "attention_mask"] as const) {
    if (batch[field].length !== b * s) {
      throw new Error(`ClassificationBatch.${field}: expected ${b}×${s} = ${b * s} values, got ${batch[field].length}`);
    }
  }
  if (batch.labels.length !== b) {
    throw new Error(`ClassificationBatch.labels: expected one label per row (${b}), got ${batch.labels.length}`);
  }
}

function first(hidden: tf.Tensor3D): tf.Tensor2D {
  const [b, , h] = hidden.shape;
  return tf.slice(hidden, [0, 0, 0], [b, 1, h]).reshape([b, h]);
}

/**
 * What both classifiers share: the variables, the encoder of the masked-LM family over the same variables (it reads
 * only the encoder's), `loss` (mean cross-entropy, HF `CrossEntropyLoss`), the parameter count and `dispose`. A
 * family supplies its head on the [CLS] hidden state.
 *
 * @example
 * ```ts
 * import { initSequenceClassifier, SequenceClassifierBase } from "./sequence_classification.ts";
 * import { parseConfig } from "./config.ts";
 * const m = initSequenceClassifier(parseConfig({ model_type: "distilbert", vocab_size: 20, dim: 8, n_heads: 2, n_layers: 1, hidden_dim: 16 }), { seed: 1 });
 * if (!(m instanceof SequenceClassifierBase)) throw new Error("both heads extend SequenceClassifierBase");
 * m.dispose();
 * ```
 */
export abstract class SequenceClassifierBase<C extends ModelConfig> implements SequenceClassifier {
  /** HF configuration. */
  readonly config: C;
  /** Variables by HF name. */
  readonly params: Map<string, tf.Variable>;
  /** Number of classes. */
  readonly numLabels: number;
  readonly #encoder: MaskedLMBase<C>;

  /** Wrap variables already checked against {@link sequenceClassificationParams}; `encoder` reads the same ones. */
  constructor(config: C, params: Map<string, tf.Variable>, encoder: MaskedLMBase<C>) {
    this.config = config;
    this.params = params;
    this.numLabels = labelNames(config).length;
    this.#encoder = encoder;
  }

  /** The head: [CLS] hidden states `[batch, dim]` → class scores `[batch, numLabels]`. */
  protected abstract head(cls: tf.Tensor, options: ForwardOptions): tf.Tensor;

  /** The variable named `name` (an HF checkpoint key). */
  protected param(name: string): tf.Variable {
    const v = this.params.get(name);
    if (!v) throw new Error(`${this.constructor.name}: no parameter "${name}"`);
    return v;
  }

  /** See {@link SequenceClassifier.logits}. */
  logits(input_ids: tf.Tensor2D, attention_mask: tf.Tensor2D, options: ForwardOptions = {}): tf.Tensor2D {
    return tf.tidy(() => {
      const hidden = this.#encoder.hiddenStates(input_ids, attention_mask, options);
      return this.head(first(hidden), options) as tf.Tensor2D;
    });
  }

  /** See {@link SequenceClassifier.loss}. */
  loss(batch: ClassificationBatch, options: ForwardOptions = {}): tf.Scalar {
    checkBatch(batch);
    return tf.tidy(() => {
      const ids = tf.tensor2d(batch.input_ids, batch.shape, "int32");
      const mask = tf.tensor2d(batch.attention_mask, batch.shape, "int32");
      return meanLoss(this.logits(ids, mask, options), batch.labels);
    });
  }

  /** See {@link SequenceClassifier.numParameters}. */
  numParameters(): number {
    return sumParams(this.params);
  }

  /** See {@link SequenceClassifier.dispose}. */
  dispose(): void {
    for (const v of this.params.values()) v.dispose();
  }
}

/**
 * HF `DistilBertForSequenceClassification`: the [CLS] hidden state → `pre_classifier` → ReLU → dropout → `classifier`.
 *
 * @example
 * ```ts
 * import { tf } from "../deps.ts";
 * import { initSequenceClassifier } from "./sequence_classification.ts";
 * import { parseConfig } from "./config.ts";
 * const m = initSequenceClassifier(parseConfig({ model_type: "distilbert", vocab_size: 20, dim: 8, n_heads: 2, n_layers: 1, hidden_dim: 16 }), { seed: 1 });
 * const logits = m.logits(tf.tensor2d([[2, 5, 3]], undefined, "int32"), tf.tensor2d([[1, 1, 1]], undefined, "int32"));
 * if (logits.shape.join() !== "1,2") throw new Error("two labels");
 * m.dispose();
 * ```
 */
export class DistilBertForSequenceClassification extends SequenceClassifierBase<DistilBertConfig> {
  /** Wrap variables already checked against {@link sequenceClassificationParams}. */
  constructor(config: DistilBertConfig, params: Map<string, tf.Variable>) {
    super(config, params, new DistilBertForMaskedLM(config, params)); // reads only the distilbert.* parameters
  }

  /** pre_classifier → ReLU → dropout(seq_classif_dropout) → classifier. */
  protected head(cls: tf.Tensor, options: ForwardOptions): tf.Tensor {
    const pooled = tf.relu(linear(cls, this.param("pre_classifier.weight"), this.param("pre_classifier.bias")));
    const dropped = dropout(pooled, (this.config.seq_classif_dropout as number | undefined) ?? 0.2, options);
    return linear(dropped, this.param("classifier.weight"), this.param("classifier.bias"));
  }
}

/**
 * HF `BertForSequenceClassification`: the [CLS] hidden state → `bert.pooler.dense` → tanh → dropout → `classifier`.
 *
 * @example
 * ```ts
 * import { tf } from "../deps.ts";
 * import { initSequenceClassifier } from "./sequence_classification.ts";
 * import { parseConfig } from "./config.ts";
 * const m = initSequenceClassifier(parseConfig({ model_type: "bert", vocab_size: 20, hidden_size: 8, num_attention_heads: 2, num_hidden_layers: 1, intermediate_size: 16 }), { seed: 1, labels: ["a", "b", "c"] });
 * const logits = m.logits(tf.tensor2d([[2, 5, 3]], undefined, "int32"), tf.tensor2d([[1, 1, 0]], undefined, "int32"));
 * if (logits.shape.join() !== "1,3") throw new Error("three labels");
 * m.dispose();
 * ```
 */
export class BertForSequenceClassification extends SequenceClassifierBase<BertConfig> {
  /** Wrap variables already checked against {@link sequenceClassificationParams}. */
  constructor(config: BertConfig, params: Map<string, tf.Variable>) {
    super(config, params, new BertForMaskedLM(config, params)); // reads only the bert.embeddings/encoder parameters
  }

  /** bert.pooler.dense → tanh → dropout(classifier_dropout ?? hidden_dropout_prob) → classifier. */
  protected head(cls: tf.Tensor, options: ForwardOptions): tf.Tensor {
    const pooled = tf.tanh(linear(cls, this.param("bert.pooler.dense.weight"), this.param("bert.pooler.dense.bias")));
    const rate = (this.config.classifier_dropout as number | null | undefined) ?? this.config.hidden_dropout_prob;
    return linear(dropout(pooled, rate, options), this.param("classifier.weight"), this.param("classifier.bias"));
  }
}

/**
 * Build the classifier from values checked against {@link sequenceClassificationParams}.
 *
 * @example
 * ```ts
 * import { buildSequenceClassifier, sequenceClassificationParams } from "./sequence_classification.ts";
 * import { parseConfig } from "./config.ts";
 * const config = parseConfig({ model_type: "bert", vocab_size: 8, hidden_size: 4, num_attention_heads: 1, num_hidden_layers: 1, intermediate_size: 4 });
 * const values = new Map([...sequenceClassificationParams(config)].map(([n, s]) => [n, new Float32Array(s.shape.reduce((a, b) => a * b, 1))]));
 * buildSequenceClassifier(config, values).dispose();
 * ```
 */
export function buildSequenceClassifier(config: ModelConfig, values: Map<string, Float32Array>): SequenceClassifier {
  prepareTf();
  const c = withClassifierConfig(config);
  const params = makeVariables(values, sequenceClassificationParams(c));
  return c.model_type === "distilbert"
    ? new DistilBertForSequenceClassification(c as DistilBertConfig, params)
    : new BertForSequenceClassification(c as BertConfig, params);
}

/** Options of {@link initSequenceClassifier}. */
export interface InitSequenceClassifierOptions extends ClassifierConfigOptions {
  /** Seed of the weights. */
  seed: number;
}

/**
 * A randomly initialised sequence classifier (HF `_init_weights`), every parameter from `Rng(seed).fork(name)`.
 *
 * @example
 * ```ts
 * import { initSequenceClassifier } from "./sequence_classification.ts";
 * import { parseConfig } from "./config.ts";
 * const m = initSequenceClassifier(parseConfig({ model_type: "distilbert", vocab_size: 30, dim: 8, n_heads: 2, n_layers: 1, hidden_dim: 16 }), { seed: 0 });
 * if (m.numLabels !== 2) throw new Error("HF default");
 * m.dispose();
 * ```
 */
export function initSequenceClassifier(
  config: ModelConfig,
  options: InitSequenceClassifierOptions,
): SequenceClassifier {
  const c = withClassifierConfig(config, options);
  const rng = new Rng(options.seed);
  const values = new Map<string, Float32Array>();
  for (const [name, spec] of sequenceClassificationParams(c)) {
    values.set(name, initValues(spec, c.initializer_range, rng.fork(name)));
  }
  return buildSequenceClassifier(c, values);
}

/** What a checkpoint gave a classifier. */
export interface ClassifierCheckpointValues {
  /** Values of the parameters found in the checkpoint. */
  values: Map<string, Float32Array>;
  /** Parameters the checkpoint lacks (all in the head), to be newly initialised. */
  newlyInitialized: string[];
  /** Checkpoint tensors the classifier does not use (e.g. the masked-LM head), by their names in the file. */
  unused: string[];
}

/** Options of {@link classifierCheckpointValues}. */
export interface ClassifierCheckpointValuesOptions {
  /** File name for error messages. */
  source?: string;
}

const HEAD_PREFIXES = ["vocab_", "cls.", "pre_classifier.", "classifier.", "qa_outputs.", "dropout."];

/**
 * Map a checkpoint's tensors onto the classifier's parameter table, as HF `from_pretrained` does: legacy
 * `gamma`/`beta` names renamed, a base-model file's names given the `distilbert.`/`bert.` prefix, `position_ids`
 * buffers skipped. Missing head parameters are reported (to be initialised); unused tensors are listed. A checkpoint
 * with no encoder weights, a partly missing encoder, or a tensor of the wrong shape fails listing the problems.
 *
 * @example
 * ```ts
 * import { classifierCheckpointValues } from "./sequence_classification.ts";
 * import { parseConfig } from "./config.ts";
 * const config = parseConfig({ model_type: "distilbert", vocab_size: 4, dim: 2, n_heads: 1, n_layers: 1, hidden_dim: 2 });
 * const err = (() => { try { classifierCheckpointValues(new Map(), config); } catch (e) { return e as Error; } })();
 * if (!err?.message.includes("no encoder weights")) throw new Error("clear error");
 * ```
 */
export function classifierCheckpointValues(
  tensors: Map<string, SafeTensor>,
  config: ModelConfig,
  options: ClassifierCheckpointValuesOptions = {},
): ClassifierCheckpointValues {
  const source = options.source ?? "checkpoint";
  const c = withClassifierConfig(config);
  const specs = sequenceClassificationParams(c);
  const base = c.model_type;
  const hasBase = [...tensors.keys()].some((n) => n.startsWith(`${base}.`));
  const values = new Map<string, Float32Array>();
  const unused: string[] = [];
  const problems: string[] = [];
  for (const [from, t] of tensors) {
    let name = from.replace(/\.gamma$/, ".weight").replace(/\.beta$/, ".bias");
    if (/\.position_ids$/.test(name)) continue;
    if (!hasBase && !HEAD_PREFIXES.some((p) => name.startsWith(p))) name = `${base}.${name}`;
    const spec = specs.get(name);
    if (!spec) {
      unused.push(from);
      continue;
    }
    if (t.shape.length !== spec.shape.length || t.shape.some((d, i) => d !== spec.shape[i])) {
      problems.push(
        `tensor "${from}": expected shape [${spec.shape}], found [${t.shape}]` +
          (name.startsWith("classifier.")
            ? ` (the checkpoint's classifier has another number of labels than this run's ${labelNames(c).length})`
            : ""),
      );
      continue;
    }
    if (!(t.data instanceof Float32Array)) {
      problems.push(`tensor "${from}": expected a floating-point tensor, found an integer one`);
      continue;
    }
    if (values.has(name)) {
      problems.push(`two tensors map to "${name}"`);
      continue;
    }
    values.set(name, t.data);
  }
  const head = classifierHeadParams(c);
  const encoderNames = [...specs.keys()].filter((n) => !head.has(n));
  const missingEncoder = encoderNames.filter((n) => !values.has(n));
  if (missingEncoder.length === encoderNames.length) {
    const found = [...tensors.keys()];
    throw new Error(
      `${source}: no encoder weights for ${classifierArchitecture(c)} (expected tensors such as ` +
        `"${encoderNames[0]}"); the file holds ${found.length} tensor(s)${
          found.length
            ? `: ${found.slice(0, 6).map((n) => JSON.stringify(n)).join(", ")}${found.length > 6 ? ", …" : ""}`
            : ""
        }. Pass a masked-LM or classifier checkpoint of model_type "${base}".`,
    );
  }
  for (const n of missingEncoder) {
    problems.push(`missing encoder tensor "${n}" (expected shape [${specs.get(n)!.shape}])`);
  }
  if (problems.length > 0) {
    const shown = problems.slice(0, 12).map((p) => `  - ${p}`);
    if (problems.length > 12) shown.push(`  … and ${problems.length - 12} more`);
    throw new Error(
      `${source}: does not match the config (${classifierArchitecture(c)}); nothing was loaded:\n${shown.join("\n")}`,
    );
  }
  const newlyInitialized = [...head.keys()].filter((n) => !values.has(n));
  return { values, newlyInitialized, unused };
}

/** Options of {@link loadSequenceClassifier}. */
export interface LoadSequenceClassifierOptions extends ClassifierConfigOptions {
  /** Seed of the newly initialised head weights (default 42). */
  seed?: number;
  /** Select this backend first; default: keep the active one. */
  backend?: BackendName;
  /** Where HF's load messages go (default: stderr). */
  log?: (line: string) => void;
}

/**
 * Load a classifier from `DIR` (`config.json` + `model.safetensors`) — a masked-LM checkpoint (the head is new) or a
 * classifier one — with the labels given (default: the config's).
 *
 * @example
 * ```ts
 * import { initMaskedLM } from "./init.ts";
 * import { savePretrained } from "./pretrained.ts";
 * import { loadSequenceClassifier } from "./sequence_classification.ts";
 * import { parseConfig } from "./config.ts";
 * const dir = await Deno.makeTempDir();
 * const mlm = initMaskedLM(parseConfig({ model_type: "distilbert", vocab_size: 30, dim: 8, n_heads: 2, n_layers: 1, hidden_dim: 16 }), { seed: 0 });
 * await savePretrained(mlm, `${dir}/mlm`);
 * const lines: string[] = [];
 * const cls = await loadSequenceClassifier(`${dir}/mlm`, { labels: ["neg", "pos"], log: (l) => lines.push(l) });
 * if (!lines.join("\n").includes("newly initialized")) throw new Error("message");
 * mlm.dispose(); cls.dispose();
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function loadSequenceClassifier(
  dir: string,
  options: LoadSequenceClassifierOptions = {},
): Promise<SequenceClassifier> {
  if (options.backend) await selectBackend(options.backend);
  const log = options.log ?? ((line: string) => console.error(line));
  const config = withClassifierConfig(await readConfig(dir), options);
  const path = `${dir}/model.safetensors`;
  const file = await readSafetensors(path);
  const { values, newlyInitialized, unused } = classifierCheckpointValues(file.tensors, config, { source: path });
  const arch = classifierArchitecture(config);
  const specs = sequenceClassificationParams(config);
  const rng = new Rng(options.seed ?? 42);
  for (const name of newlyInitialized) {
    values.set(name, initValues(specs.get(name)!, config.initializer_range, rng.fork(name)));
  }
  const list = (names: string[]) => `[${names.map((n) => `'${n}'`).join(", ")}]`;
  if (unused.length > 0) {
    log(
      `Some weights of the model checkpoint at ${dir} were not used when initializing ${arch}: ${list(unused)}\n` +
        `- This IS expected if you are initializing ${arch} from the checkpoint of a model trained on another task ` +
        `or with another architecture (e.g. initializing a ${arch} model from a masked-LM model).`,
    );
  }
  if (newlyInitialized.length > 0) {
    log(
      `Some weights of ${arch} were not initialized from the model checkpoint at ${dir} and are newly initialized: ` +
        `${list(newlyInitialized)}\nYou should probably TRAIN this model on a down-stream task to be able to use it ` +
        `for predictions and inference.`,
    );
  }
  return buildSequenceClassifier(config, values);
}

/** The classifier's `config.json` as HF writes it: sorted keys, `architectures` set to the classifier class. */
export function classifierConfigJson(config: ModelConfig): string {
  const out: Record<string, unknown> = {
    ...withClassifierConfig(config),
    architectures: [classifierArchitecture(config)],
  };
  const sorted: Record<string, unknown> = {};
  for (const k of Object.keys(out).sort()) sorted[k] = out[k];
  return JSON.stringify(sorted, null, 2) + "\n";
}

/** Options of {@link saveSequenceClassifier}. */
export interface SaveSequenceClassifierOptions {
  /** Copy the tokenizer files found here. */
  tokenizerDir?: string;
}

/**
 * Write `config.json` (architectures: the classifier class) + `model.safetensors` (+ tokenizer files) so PyTorch's
 * `AutoModelForSequenceClassification.from_pretrained(dir)` loads it. Each file goes to a temporary name, then is
 * renamed.
 *
 * @example
 * ```ts
 * import { initSequenceClassifier, saveSequenceClassifier } from "./sequence_classification.ts";
 * import { parseConfig } from "./config.ts";
 * const dir = await Deno.makeTempDir();
 * const m = initSequenceClassifier(parseConfig({ model_type: "bert", vocab_size: 30, hidden_size: 8, num_attention_heads: 2, num_hidden_layers: 1, intermediate_size: 16 }), { seed: 0 });
 * await saveSequenceClassifier(m, dir);
 * if (!(await Deno.readTextFile(`${dir}/config.json`)).includes("BertForSequenceClassification")) throw new Error("arch");
 * m.dispose();
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function saveSequenceClassifier(
  model: SequenceClassifier,
  dir: string,
  options: SaveSequenceClassifierOptions = {},
): Promise<void> {
  const tensors = new Map<string, SafeTensor>();
  for (const [name, v] of model.params) tensors.set(name, { shape: v.shape, data: (await v.data()) as Float32Array });
  await Deno.mkdir(dir, { recursive: true });
  const atomic = async (path: string, bytes: Uint8Array) => {
    const tmp = `${path}.tmp-${crypto.randomUUID()}`;
    await Deno.writeFile(tmp, bytes);
    await Deno.rename(tmp, path);
  };
  await atomic(`${dir}/config.json`, new TextEncoder().encode(classifierConfigJson(model.config)));
  await writeSafetensors(`${dir}/model.safetensors`, tensors, { metadata: { format: "pt" } });
  if (options.tokenizerDir) {
    for (const f of TOKENIZER_FILES) {
      const bytes = await Deno.readFile(`${options.tokenizerDir}/${f}`).catch(() => undefined);
      if (bytes) await atomic(`${dir}/${f}`, bytes);
    }
  }
}
