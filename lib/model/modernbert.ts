/**
 * ModernBERT for masked language modelling, as HF `modeling_modernbert.py` (transformers 5) computes it on its padded
 * path (eager / sdpa attention), in the layers of `layers.ts` (tf ops; fused kernels on webgpu, rotary and GeGLU
 * included). Parameter names are the checkpoint's tensor names:
 *
 * ```
 * model.embeddings.tok_embeddings → model.embeddings.norm → dropout
 * model.layers.N: x + attn.Wo(attention(rotary(attn.Wqkv(attn_norm(x)))))      (attn_norm: none in layer 0)
 *                 x + mlp.Wo(act(input) · gate), input | gate = mlp.Wi(mlp_norm(x))   (GeGLU)
 * model.final_norm → head.dense → act → head.norm → decoder (tied to tok_embeddings) + decoder.bias
 * ```
 *
 * Layers alternate global attention and sliding-window attention (`layer_types`, or every
 * `global_attn_every_n_layers`-th layer global): a local layer's query attends to keys at most
 * `local_attention / 2` positions away, as HF's 4-D mask does. Positions are rotary embeddings, with
 * `global_rope_theta` in global layers and `local_rope_theta` in local ones. Biases and LayerNorm biases exist only
 * where the config asks (`attention_bias`, `mlp_bias`, `norm_bias`, `classifier_bias`, `decoder_bias`).
 *
 * @module
 */
import { tf } from "../deps.ts";
import {
  type ModernBertConfig,
  type ModernBertLayerType,
  modernBertLayerTypes,
  modernBertRopeTheta,
} from "./config.ts";
import {
  activation,
  attentionBias,
  biasActivation,
  dropout,
  embedding,
  type ForwardOptions,
  geglu,
  layerNorm,
  linear,
  packedAttention,
  residualAdd,
  rotaryQkv,
} from "./layers.ts";
import { MaskedLMBase, type ParamSpec } from "./masked_lm.ts";

/**
 * The parameter table of `ModernBertForMaskedLM`: HF name → shape and initialiser, in checkpoint order.
 *
 * @example
 * ```ts
 * import { modernbertParams } from "./modernbert.ts";
 * import { parseConfig } from "./config.ts";
 * import type { ModernBertConfig } from "./config.ts";
 * const specs = modernbertParams(parseConfig({ model_type: "modernbert" }) as ModernBertConfig);
 * if (specs.has("model.layers.0.attn_norm.weight") || !specs.has("model.layers.1.attn_norm.weight")) {
 *   throw new Error("no attn_norm in layer 0");
 * }
 * ```
 */
export function modernbertParams(c: ModernBertConfig): Map<string, ParamSpec> {
  const specs = new Map<string, ParamSpec>();
  const h = c.hidden_size;
  const linearSpec = (name: string, out: number, inp: number, bias: boolean) => {
    specs.set(`${name}.weight`, { shape: [out, inp], init: "normal" });
    if (bias) specs.set(`${name}.bias`, { shape: [out], init: "zeros" });
  };
  const norm = (name: string) => {
    specs.set(`${name}.weight`, { shape: [h], init: "ones" });
    if (c.norm_bias) specs.set(`${name}.bias`, { shape: [h], init: "zeros" });
  };
  specs.set("model.embeddings.tok_embeddings.weight", {
    shape: [c.vocab_size, h],
    init: "normal",
    zeroRow: c.pad_token_id,
  });
  norm("model.embeddings.norm");
  for (let i = 0; i < c.num_hidden_layers; i++) {
    const p = `model.layers.${i}`;
    if (i > 0) norm(`${p}.attn_norm`);
    linearSpec(`${p}.attn.Wqkv`, 3 * h, h, c.attention_bias);
    linearSpec(`${p}.attn.Wo`, h, h, c.attention_bias);
    norm(`${p}.mlp_norm`);
    linearSpec(`${p}.mlp.Wi`, 2 * c.intermediate_size, h, c.mlp_bias);
    linearSpec(`${p}.mlp.Wo`, h, c.intermediate_size, c.mlp_bias);
  }
  norm("model.final_norm");
  linearSpec("head.dense", h, h, c.classifier_bias);
  norm("head.norm");
  if (!c.tie_word_embeddings) specs.set("decoder.weight", { shape: [c.vocab_size, h], init: "normal" });
  if (c.decoder_bias) specs.set("decoder.bias", { shape: [c.vocab_size], init: "zeros" });
  return specs;
}

/** Rotary tables: `cos` and `sin` of each position's angles, `[seq, headDim]` row-major. */
export interface RotaryTables {
  /** `cos(position · inv_freq)`, the frequencies repeated over both halves of a head. */
  cos: Float32Array;
  /** `sin(position · inv_freq)`, laid out as `cos`. */
  sin: Float32Array;
}

/**
 * HF `ModernBertRotaryEmbedding` (default rope) for positions `0 … seq-1`, in float32 step by step as PyTorch does
 * it: `inv_freq[i] = 1 / theta^(2i / headDim)`, angle `position · inv_freq`, `cat(freqs, freqs)`, then cos and sin.
 *
 * @example
 * ```ts
 * import { rotaryTables } from "./modernbert.ts";
 * const { cos, sin } = rotaryTables(2, 4, 10000);
 * if (cos[0] !== 1 || sin[0] !== 0 || Math.abs(sin[4] - Math.sin(1)) > 1e-7) throw new Error("angles");
 * ```
 */
export function rotaryTables(seq: number, headDim: number, theta: number): RotaryTables {
  const f = Math.fround, half = headDim / 2;
  const invFreq = Array.from({ length: half }, (_, i) => f(1 / f(Math.pow(theta, f((2 * i) / headDim)))));
  const cos = new Float32Array(seq * headDim), sin = new Float32Array(seq * headDim);
  for (let p = 0; p < seq; p++) {
    for (let i = 0; i < half; i++) {
      const angle = f(p * invFreq[i]);
      cos[p * headDim + i] = cos[p * headDim + half + i] = Math.cos(angle);
      sin[p * headDim + i] = sin[p * headDim + half + i] = Math.sin(angle);
    }
  }
  return { cos, sin };
}

/** Per-forward tensors a layer of one attention type reads: padding mask, rotary tables, window. */
interface LayerContext {
  /** HF's additive padding mask `[batch, 1, 1, seq]`. */
  bias: tf.Tensor4D;
  /** `[seq, headDim]`. */
  cos: tf.Tensor;
  /** `[seq, headDim]`. */
  sin: tf.Tensor;
  /** Sliding window (keys at most this far), or none for global layers. */
  window?: number;
}

/**
 * `ModernBertForMaskedLM` over a set of variables (see {@link modernbertParams}); build one with `loadMaskedLM` or
 * `initMaskedLM`.
 *
 * @example
 * ```ts
 * import { tf } from "../deps.ts";
 * import { initMaskedLM } from "./init.ts";
 * import { parseConfig } from "./config.ts";
 * const m = initMaskedLM(parseConfig({ model_type: "modernbert", vocab_size: 20, hidden_size: 8, num_attention_heads: 2, num_hidden_layers: 2, intermediate_size: 12, local_attention: 2, pad_token_id: 0 }), { seed: 1 });
 * const logits = m.logits(tf.tensor2d([[2, 5, 3, 0]], undefined, "int32"), tf.tensor2d([[1, 1, 1, 0]], undefined, "int32"));
 * if (logits.shape[2] !== 20) throw new Error("vocab");
 * m.dispose();
 * ```
 */
export class ModernBertForMaskedLM extends MaskedLMBase<ModernBertConfig> {
  readonly #layerTypes: ModernBertLayerType[];

  /** Wrap variables already checked against the parameter table. */
  constructor(config: ModernBertConfig, params: Map<string, tf.Variable>) {
    super(config, params, config.norm_eps);
    this.#layerTypes = modernBertLayerTypes(config);
  }

  /** `nn.Linear` `name`, with its bias if the checkpoint has one. */
  #linear(name: string, x: tf.Tensor): tf.Tensor {
    return linear(x, this.param(`${name}.weight`), this.params.get(`${name}.bias`));
  }

  /** `nn.LayerNorm` `name` (no bias unless `norm_bias`). */
  #norm(name: string, x: tf.Tensor): tf.Tensor {
    const w = this.param(`${name}.weight`);
    return layerNorm(x, w, this.params.get(`${name}.bias`) ?? tf.zerosLike(w), this.config.norm_eps);
  }

  /** `act(x W^T + b)`, the bias (if any) added with the activation. */
  #linearActivation(name: string, act: string, x: tf.Tensor): tf.Tensor {
    const bias = this.params.get(`${name}.bias`);
    const y = linear(x, this.param(`${name}.weight`));
    return bias ? biasActivation(act, y, bias) : activation(act, y);
  }

  /** ModernBertEmbeddings: tok_embeddings → norm → dropout. */
  #embeddings(input_ids: tf.Tensor2D, options: ForwardOptions): tf.Tensor {
    const tok = this.param("model.embeddings.tok_embeddings.weight");
    const x = this.#norm("model.embeddings.norm", embedding(tok, input_ids, this.config.pad_token_id));
    return dropout(x, this.config.embedding_dropout, options);
  }

  /** ModernBertAttention: Wqkv → q, k rotated → attention (windowed in local layers) → Wo → dropout. */
  #attention(i: number, x: tf.Tensor, ctx: LayerContext, options: ForwardOptions): tf.Tensor {
    const p = `model.layers.${i}.attn`;
    const heads = this.config.num_attention_heads;
    const qkv = rotaryQkv(this.#linear(`${p}.Wqkv`, x), ctx.cos, ctx.sin, heads);
    const context = packedAttention(qkv, ctx.bias, {
      heads,
      dropoutRate: this.config.attention_dropout,
      window: ctx.window,
      ...options,
    });
    return dropout(this.#linear(`${p}.Wo`, context), this.config.attention_dropout, options);
  }

  /** ModernBertMLP (GeGLU): Wi → input | gate → act(input) · gate → dropout → Wo. */
  #mlp(i: number, x: tf.Tensor, options: ForwardOptions): tf.Tensor {
    const p = `model.layers.${i}.mlp`;
    const glu = geglu(this.config.hidden_activation, this.#linear(`${p}.Wi`, x));
    return this.#linear(`${p}.Wo`, dropout(glu, this.config.mlp_dropout, options));
  }

  /** ModernBertEncoderLayer: x + attn(attn_norm(x)), then + mlp(mlp_norm(·)). */
  #layer(i: number, x: tf.Tensor, ctx: LayerContext, options: ForwardOptions): tf.Tensor {
    const p = `model.layers.${i}`;
    const normed = i === 0 ? x : this.#norm(`${p}.attn_norm`, x);
    const a = residualAdd(x, this.#attention(i, normed, ctx, options));
    return residualAdd(a, this.#mlp(i, this.#norm(`${p}.mlp_norm`, a), options));
  }

  /** The context of each attention type for a `[batch, seq]` batch. */
  #contexts(attention_mask: tf.Tensor2D): Record<ModernBertLayerType, LayerContext> {
    const seq = attention_mask.shape[1], d = this.config.hidden_size / this.config.num_attention_heads;
    const bias = attentionBias(attention_mask);
    const make = (type: ModernBertLayerType, window?: number): LayerContext => {
      const { cos, sin } = rotaryTables(seq, d, modernBertRopeTheta(this.config, type));
      return { bias, cos: tf.tensor2d(cos, [seq, d]), sin: tf.tensor2d(sin, [seq, d]), window };
    };
    return {
      full_attention: make("full_attention"),
      sliding_attention: make("sliding_attention", Math.floor(this.config.local_attention / 2)),
    };
  }

  /**
   * The encoder's last hidden state `[batch, seq, hidden]` after `model.final_norm` (HF `ModernBertModel(...)
   * .last_hidden_state`); it reads only `model.*` parameters, so the task heads share it.
   */
  hiddenStates(input_ids: tf.Tensor2D, attention_mask: tf.Tensor2D, options: ForwardOptions = {}): tf.Tensor3D {
    return tf.tidy(() => {
      const contexts = this.#contexts(attention_mask);
      let x = this.#embeddings(input_ids, options);
      for (let i = 0; i < this.config.num_hidden_layers; i++) {
        // its own tidy: the layer's float32 intermediates go as it ends (the backward keeps what layers save)
        x = tf.tidy(() => this.#layer(i, x, contexts[this.#layerTypes[i]], options));
      }
      return this.#norm("model.final_norm", x) as tf.Tensor3D;
    });
  }

  /**
   * ModernBertPredictionHead + decoder on hidden states `[..., hidden]` → scores `[..., vocab]`: head.dense →
   * `classifier_activation` → head.norm → decoder (tied to the token embeddings) + decoder.bias.
   */
  mlmHead(hidden: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      const h = this.#norm(
        "head.norm",
        this.#linearActivation("head.dense", this.config.classifier_activation, hidden),
      );
      const decoder = this.config.tie_word_embeddings
        ? this.param("model.embeddings.tok_embeddings.weight")
        : this.param("decoder.weight");
      return linear(h, decoder, this.params.get("decoder.bias"));
    });
  }
}
