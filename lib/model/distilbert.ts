/**
 * DistilBERT for masked language modelling, as HF `modeling_distilbert.py` computes it, in tfjs ops. Parameter names
 * are the checkpoint's tensor names:
 *
 * ```
 * distilbert.embeddings.{word_embeddings,position_embeddings}.weight, distilbert.embeddings.LayerNorm
 * distilbert.transformer.layer.N.attention.{q_lin,k_lin,v_lin,out_lin}   sa_layer_norm
 * distilbert.transformer.layer.N.ffn.{lin1,lin2}                         output_layer_norm
 * vocab_transform → activation → vocab_layer_norm → vocab_projector (weight tied to word_embeddings, own bias)
 * ```
 *
 * @module
 */
import { tf } from "../deps.ts";
import type { DistilBertConfig } from "./config.ts";
import { attentionBias, dropout, embedding, type ForwardOptions, linear, selfAttention } from "./layers.ts";
import { MaskedLMBase, type ParamSpec } from "./masked_lm.ts";

/** DistilBERT's LayerNorms use a fixed epsilon. */
const EPS = 1e-12;

/**
 * The parameter table of `DistilBertForMaskedLM`: HF name → shape and initialiser, in checkpoint order.
 *
 * @example
 * ```ts
 * import { distilbertParams } from "./distilbert.ts";
 * import { parseConfig } from "./config.ts";
 * import type { DistilBertConfig } from "./config.ts";
 * const specs = distilbertParams(parseConfig({ model_type: "distilbert" }) as DistilBertConfig);
 * if (!specs.has("distilbert.transformer.layer.5.ffn.lin2.weight")) throw new Error("6 layers");
 * ```
 */
export function distilbertParams(c: DistilBertConfig): Map<string, ParamSpec> {
  const specs = new Map<string, ParamSpec>();
  const linearSpec = (name: string, out: number, inp: number) => {
    specs.set(`${name}.weight`, { shape: [out, inp], init: "normal" });
    specs.set(`${name}.bias`, { shape: [out], init: "zeros" });
  };
  const norm = (name: string) => {
    specs.set(`${name}.weight`, { shape: [c.dim], init: "ones" });
    specs.set(`${name}.bias`, { shape: [c.dim], init: "zeros" });
  };
  specs.set("distilbert.embeddings.word_embeddings.weight", {
    shape: [c.vocab_size, c.dim],
    init: "normal",
    zeroRow: c.pad_token_id,
  });
  specs.set("distilbert.embeddings.position_embeddings.weight", {
    shape: [c.max_position_embeddings, c.dim],
    init: c.sinusoidal_pos_embds ? "sinusoidal" : "normal",
    trainable: !c.sinusoidal_pos_embds,
  });
  norm("distilbert.embeddings.LayerNorm");
  for (let i = 0; i < c.n_layers; i++) {
    const p = `distilbert.transformer.layer.${i}`;
    for (const lin of ["q_lin", "k_lin", "v_lin", "out_lin"]) linearSpec(`${p}.attention.${lin}`, c.dim, c.dim);
    norm(`${p}.sa_layer_norm`);
    linearSpec(`${p}.ffn.lin1`, c.hidden_dim, c.dim);
    linearSpec(`${p}.ffn.lin2`, c.dim, c.hidden_dim);
    norm(`${p}.output_layer_norm`);
  }
  linearSpec("vocab_transform", c.dim, c.dim);
  norm("vocab_layer_norm");
  if (!c.tie_word_embeddings) specs.set("vocab_projector.weight", { shape: [c.vocab_size, c.dim], init: "normal" });
  specs.set("vocab_projector.bias", { shape: [c.vocab_size], init: "zeros" });
  return specs;
}

/**
 * `DistilBertForMaskedLM` over a set of variables (see {@link distilbertParams}); build one with `loadMaskedLM` or
 * `initMaskedLM`.
 *
 * @example
 * ```ts
 * import { tf } from "../deps.ts";
 * import { initMaskedLM } from "./init.ts";
 * import { parseConfig } from "./config.ts";
 * const m = initMaskedLM(parseConfig({ model_type: "distilbert", vocab_size: 20, dim: 8, n_heads: 2, n_layers: 1, hidden_dim: 16 }), { seed: 1 });
 * const logits = m.logits(tf.tensor2d([[2, 5, 3]], undefined, "int32"), tf.tensor2d([[1, 1, 1]], undefined, "int32"));
 * if (logits.shape[2] !== 20) throw new Error("vocab");
 * m.dispose();
 * ```
 */
export class DistilBertForMaskedLM extends MaskedLMBase<DistilBertConfig> {
  /** Wrap variables already checked against the parameter table. */
  constructor(config: DistilBertConfig, params: Map<string, tf.Variable>) {
    super(config, params, EPS);
  }

  /** Word + position embeddings → LayerNorm → dropout (the positions are the LayerNorm's residual input). */
  #embeddings(input_ids: tf.Tensor2D, options: ForwardOptions): tf.Tensor {
    const seq = input_ids.shape[1];
    const words = embedding(
      this.param("distilbert.embeddings.word_embeddings.weight"),
      input_ids,
      this.config.pad_token_id,
    );
    const positions = tf.slice(this.param("distilbert.embeddings.position_embeddings.weight"), [0, 0], [seq, -1]);
    const x = this.residualNorm("distilbert.embeddings.LayerNorm", words, positions);
    return dropout(x, this.config.dropout, options);
  }

  /** Multi-head self-attention → out_lin. */
  #attention(i: number, x: tf.Tensor, bias: tf.Tensor4D, options: ForwardOptions): tf.Tensor {
    const p = `distilbert.transformer.layer.${i}.attention`;
    const context = selfAttention(x, this.qkv([`${p}.q_lin`, `${p}.k_lin`, `${p}.v_lin`]), bias, {
      heads: this.config.n_heads,
      dropoutRate: this.config.attention_dropout,
      ...options,
    });
    return this.linear(`${p}.out_lin`, context);
  }

  /** lin1 → activation → lin2 (its dropout runs in the block's output_layer_norm). */
  #ffn(i: number, x: tf.Tensor): tf.Tensor {
    const p = `distilbert.transformer.layer.${i}.ffn`;
    const h = this.linearActivation(`${p}.lin1`, this.config.activation, x);
    return this.linear(`${p}.lin2`, h);
  }

  /** One post-LN transformer block: sa_layer_norm(attention + x), output_layer_norm(dropout(ffn) + sa). */
  #block(i: number, x: tf.Tensor, bias: tf.Tensor4D, options: ForwardOptions): tf.Tensor {
    const p = `distilbert.transformer.layer.${i}`;
    const sa = this.residualNorm(`${p}.sa_layer_norm`, this.#attention(i, x, bias, options), x);
    const ffnDropout = { rate: this.config.dropout, options };
    return this.residualNorm(`${p}.output_layer_norm`, this.#ffn(i, sa), sa, ffnDropout);
  }

  /**
   * The encoder's last hidden state `[batch, seq, dim]` (HF `DistilBertModel(...).last_hidden_state`); it reads only
   * the `distilbert.*` parameters, so the task heads (masked LM, sequence classification) share it.
   */
  hiddenStates(input_ids: tf.Tensor2D, attention_mask: tf.Tensor2D, options: ForwardOptions = {}): tf.Tensor3D {
    return tf.tidy(() => {
      const bias = attentionBias(attention_mask);
      let x = this.#embeddings(input_ids, options);
      // each block in its own tidy: its float32 intermediates go as it ends (the backward keeps what blocks save)
      for (let i = 0; i < this.config.n_layers; i++) x = tf.tidy(() => this.#block(i, x, bias, options));
      return x as tf.Tensor3D;
    });
  }

  /**
   * The MLM head on hidden states `[..., dim]` → scores `[..., vocab]`: vocab_transform → activation →
   * vocab_layer_norm → vocab_projector (tied to the word embeddings).
   */
  mlmHead(hidden: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      const t = this.linearActivation("vocab_transform", this.config.activation, hidden);
      const h = this.norm("vocab_layer_norm", t);
      const decoder = this.config.tie_word_embeddings
        ? this.param("distilbert.embeddings.word_embeddings.weight")
        : this.param("vocab_projector.weight");
      return linear(h, decoder, this.param("vocab_projector.bias"));
    });
  }
}
