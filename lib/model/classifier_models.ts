/**
 * `DistilBertForSequenceClassification` and `BertForSequenceClassification` as Hugging Face computes them, on the
 * same encoder code as the masked-LM models (`hiddenStates` of `distilbert.ts` / `bert.ts`). Parameter names are the
 * checkpoint's tensor names:
 *
 * ```
 * DistilBERT: distilbert.* → hidden[:, 0] → pre_classifier → ReLU → dropout(seq_classif_dropout) → classifier
 * BERT:       bert.*       → hidden[:, 0] → bert.pooler.dense → tanh → dropout(classifier_dropout ?? hidden_dropout_prob) → classifier
 * ModernBERT: model.*      → hidden[:, 0] or the mean over real tokens (classifier_pooling) → head.dense → act
 *             → head.norm → dropout(classifier_dropout) → classifier
 * ```
 *
 * @module
 */
import { tf } from "../deps.ts";
import { Rng } from "../data/rng.ts";
import type { BertConfig, DistilBertConfig, ModelConfig, ModernBertConfig } from "./config.ts";
import { BertForMaskedLM } from "./bert.ts";
import { ModernBertForMaskedLM } from "./modernbert.ts";
import { DistilBertForMaskedLM } from "./distilbert.ts";
import {
  activation,
  biasActivation,
  crossEntropySum,
  dropout,
  type ForwardOptions,
  layerNorm,
  linear,
} from "./layers.ts";
import { makeVariables, type MaskedLMBase } from "./masked_lm.ts";
import { initValues } from "./init.ts";
import { prepareTf } from "./backend.ts";
import {
  type ClassifierConfigOptions,
  labelNames,
  sequenceClassificationParams,
  withClassifierConfig,
} from "./classifier_config.ts";

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

  /** The head: pooled hidden states `[batch, dim]` → class scores `[batch, numLabels]`. */
  protected abstract head(cls: tf.Tensor, options: ForwardOptions): tf.Tensor;

  /** The encoder's `[batch, seq, dim]` → `[batch, dim]` the head reads: the first ([CLS]) token's. */
  protected pool(hidden: tf.Tensor3D, _attention_mask: tf.Tensor2D): tf.Tensor {
    return first(hidden);
  }

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
      return this.head(this.pool(hidden, attention_mask), options) as tf.Tensor2D;
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
 * HF `ModernBertForSequenceClassification`: the [CLS] hidden state (`classifier_pooling` `"cls"`) or the mean over
 * real tokens (`"mean"`) → `head.dense` → `classifier_activation` → `head.norm` → dropout → `classifier`.
 *
 * @example
 * ```ts
 * import { tf } from "../deps.ts";
 * import { initSequenceClassifier } from "./sequence_classification.ts";
 * import { parseConfig } from "./config.ts";
 * const m = initSequenceClassifier(parseConfig({ model_type: "modernbert", vocab_size: 20, hidden_size: 8, num_attention_heads: 2, num_hidden_layers: 1, intermediate_size: 12, pad_token_id: 0, classifier_pooling: "mean" }), { seed: 1 });
 * const logits = m.logits(tf.tensor2d([[2, 5, 3]], undefined, "int32"), tf.tensor2d([[1, 1, 0]], undefined, "int32"));
 * if (logits.shape.join() !== "1,2") throw new Error("two labels");
 * m.dispose();
 * ```
 */
export class ModernBertForSequenceClassification extends SequenceClassifierBase<ModernBertConfig> {
  /** Wrap variables already checked against {@link sequenceClassificationParams}. */
  constructor(config: ModernBertConfig, params: Map<string, tf.Variable>) {
    super(config, params, new ModernBertForMaskedLM(config, params)); // reads only the model.* parameters
  }

  /** `classifier_pooling`: the first token, or `Σ hidden · mask / Σ mask` over each row. */
  protected override pool(hidden: tf.Tensor3D, attention_mask: tf.Tensor2D): tf.Tensor {
    if (this.config.classifier_pooling === "cls") return super.pool(hidden, attention_mask);
    const mask = tf.cast(attention_mask, "float32").expandDims(2);
    return tf.div(tf.sum(tf.mul(hidden, mask), 1), tf.sum(mask, 1));
  }

  /** head.dense → act → head.norm → dropout(classifier_dropout) → classifier. */
  protected head(pooled: tf.Tensor, options: ForwardOptions): tf.Tensor {
    const c = this.config, bias = this.params.get("head.dense.bias");
    const dense = linear(pooled, this.param("head.dense.weight"));
    const act = bias
      ? biasActivation(c.classifier_activation, dense, bias)
      : activation(c.classifier_activation, dense);
    const w = this.param("head.norm.weight");
    const normed = layerNorm(act, w, this.params.get("head.norm.bias") ?? tf.zerosLike(w), c.norm_eps);
    return linear(
      dropout(normed, c.classifier_dropout, options),
      this.param("classifier.weight"),
      this.param("classifier.bias"),
    );
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
  if (c.model_type === "modernbert") return new ModernBertForSequenceClassification(c, params);
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
