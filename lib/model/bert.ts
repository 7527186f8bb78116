/**
 * BERT for masked language modelling, as HF `modeling_bert.py` computes it, in tfjs ops. Parameter names are the
 * checkpoint's tensor names:
 *
 * ```
 * bert.embeddings.{word,position,token_type}_embeddings.weight, bert.embeddings.LayerNorm
 * bert.encoder.layer.N.attention.self.{query,key,value}   attention.output.dense   attention.output.LayerNorm
 * bert.encoder.layer.N.intermediate.dense                  output.dense             output.LayerNorm
 * cls.predictions.transform.dense → act → transform.LayerNorm → decoder (tied to word_embeddings) + cls.predictions.bias
 * ```
 * Token types are all 0 (HF's default when `token_type_ids` is not given).
 *
 * @module
 */
import { tf } from "../deps.ts";
import type { BertConfig, RobertaConfig } from "./config.ts";
import { attentionBias, dropout, embedding, type ForwardOptions, linear, selfAttention } from "./layers.ts";
import { MaskedLMBase, type ParamSpec } from "./masked_lm.ts";

/**
 * The parameter table of `BertForMaskedLM`: HF name → shape and initialiser, in checkpoint order (the encoder's keys
 * under `prefix`).
 *
 * @example
 * ```ts
 * import { bertParams } from "./bert.ts";
 * import { parseConfig } from "./config.ts";
 * import type { BertConfig, RobertaConfig } from "./config.ts";
 * const specs = bertParams(parseConfig({ model_type: "bert" }) as BertConfig);
 * if (!specs.has("cls.predictions.transform.LayerNorm.weight")) throw new Error("MLM head");
 * ```
 */
export function bertParams(c: BertConfig | RobertaConfig, prefix = "bert"): Map<string, ParamSpec> {
  const specs = new Map<string, ParamSpec>();
  const h = c.hidden_size;
  const linearSpec = (name: string, out: number, inp: number) => {
    specs.set(`${name}.weight`, { shape: [out, inp], init: "normal" });
    specs.set(`${name}.bias`, { shape: [out], init: "zeros" });
  };
  const norm = (name: string) => {
    specs.set(`${name}.weight`, { shape: [h], init: "ones" });
    specs.set(`${name}.bias`, { shape: [h], init: "zeros" });
  };
  specs.set(`${prefix}.embeddings.word_embeddings.weight`, {
    shape: [c.vocab_size, h],
    init: "normal",
    zeroRow: c.pad_token_id,
  });
  specs.set(`${prefix}.embeddings.position_embeddings.weight`, {
    shape: [c.max_position_embeddings, h],
    init: "normal",
  });
  specs.set(`${prefix}.embeddings.token_type_embeddings.weight`, { shape: [c.type_vocab_size, h], init: "normal" });
  norm(`${prefix}.embeddings.LayerNorm`);
  for (let i = 0; i < c.num_hidden_layers; i++) {
    const p = `${prefix}.encoder.layer.${i}`;
    for (const lin of ["query", "key", "value"]) linearSpec(`${p}.attention.self.${lin}`, h, h);
    linearSpec(`${p}.attention.output.dense`, h, h);
    norm(`${p}.attention.output.LayerNorm`);
    linearSpec(`${p}.intermediate.dense`, c.intermediate_size, h);
    linearSpec(`${p}.output.dense`, h, c.intermediate_size);
    norm(`${p}.output.LayerNorm`);
  }
  linearSpec("cls.predictions.transform.dense", h, h);
  norm("cls.predictions.transform.LayerNorm");
  if (!c.tie_word_embeddings) specs.set("cls.predictions.decoder.weight", { shape: [c.vocab_size, h], init: "normal" });
  specs.set("cls.predictions.bias", { shape: [c.vocab_size], init: "zeros" });
  return specs;
}

/**
 * `BertForMaskedLM` over a set of variables (see {@link bertParams}); build one with `loadMaskedLM` or
 * `initMaskedLM`.
 *
 * @example
 * ```ts
 * import { tf } from "../deps.ts";
 * import { initMaskedLM } from "./init.ts";
 * import { parseConfig } from "./config.ts";
 * const m = initMaskedLM(parseConfig({ model_type: "bert", vocab_size: 20, hidden_size: 8, num_attention_heads: 2, num_hidden_layers: 1, intermediate_size: 16 }), { seed: 1 });
 * const logits = m.logits(tf.tensor2d([[2, 5, 3]], undefined, "int32"), tf.tensor2d([[1, 1, 0]], undefined, "int32"));
 * if (logits.shape[2] !== 20) throw new Error("vocab");
 * m.dispose();
 * ```
 */
export class BertForMaskedLM<C extends BertConfig | RobertaConfig = BertConfig> extends MaskedLMBase<C> {
  /** The encoder's key prefix (`bert`; `roberta` for the RoBERTa family, which shares these blocks). */
  protected readonly prefix: string;

  /** Wrap variables already checked against the parameter table. */
  constructor(config: C, params: Map<string, tf.Variable>, prefix = "bert") {
    super(config, params, config.layer_norm_eps);
    this.prefix = prefix;
  }

  /** Word + position + token-type (0) embeddings → LayerNorm → dropout. */
  protected embeddings(input_ids: tf.Tensor2D, options: ForwardOptions): tf.Tensor {
    const seq = input_ids.shape[1];
    const words = embedding(this.param("bert.embeddings.word_embeddings.weight"), input_ids, this.config.pad_token_id);
    const positions = tf.slice(this.param("bert.embeddings.position_embeddings.weight"), [0, 0], [seq, -1]);
    const tokenType = tf.slice(this.param("bert.embeddings.token_type_embeddings.weight"), [0, 0], [1, -1]);
    const x = this.residualNorm("bert.embeddings.LayerNorm", tf.add(words, tokenType), positions);
    return dropout(x, this.config.hidden_dropout_prob, options);
  }

  /** BertAttention: self-attention → output.dense → dropout → LayerNorm(+ input). */
  #attention(i: number, x: tf.Tensor, bias: tf.Tensor4D, options: ForwardOptions): tf.Tensor {
    const p = `${this.prefix}.encoder.layer.${i}.attention`;
    const projections = this.qkv([`${p}.self.query`, `${p}.self.key`, `${p}.self.value`]);
    const context = selfAttention(x, projections, bias, {
      heads: this.config.num_attention_heads,
      dropoutRate: this.config.attention_probs_dropout_prob,
      ...options,
    });
    const out = this.linear(`${p}.output.dense`, context);
    return this.residualNorm(`${p}.output.LayerNorm`, out, x, { rate: this.config.hidden_dropout_prob, options });
  }

  /** BertLayer: attention → intermediate (act) → output.dense → dropout → LayerNorm(+ attention output). */
  #layer(i: number, x: tf.Tensor, bias: tf.Tensor4D, options: ForwardOptions): tf.Tensor {
    const p = `${this.prefix}.encoder.layer.${i}`;
    const a = this.#attention(i, x, bias, options);
    const h = this.linearActivation(`${p}.intermediate.dense`, this.config.hidden_act, a);
    const out = this.linear(`${p}.output.dense`, h);
    return this.residualNorm(`${p}.output.LayerNorm`, out, a, { rate: this.config.hidden_dropout_prob, options });
  }

  /**
   * The encoder's last hidden state `[batch, seq, hidden]` (HF `BertModel(...).last_hidden_state`); it reads only
   * the `bert.embeddings.*` / `bert.encoder.*` parameters, so the task heads (masked LM, sequence classification)
   * share it.
   */
  hiddenStates(input_ids: tf.Tensor2D, attention_mask: tf.Tensor2D, options: ForwardOptions = {}): tf.Tensor3D {
    return tf.tidy(() => {
      const bias = attentionBias(attention_mask);
      let x = this.embeddings(input_ids, options);
      // each layer in its own tidy: its float32 intermediates go as it ends (the backward keeps what layers save)
      for (let i = 0; i < this.config.num_hidden_layers; i++) x = tf.tidy(() => this.#layer(i, x, bias, options));
      return x as tf.Tensor3D;
    });
  }

  /**
   * The MLM head (`cls.predictions`) on hidden states `[..., hidden]` → scores `[..., vocab]`: transform (dense →
   * activation → LayerNorm) → decoder (tied to the word embeddings) + bias.
   */
  mlmHead(hidden: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      const t = this.linearActivation("cls.predictions.transform.dense", this.config.hidden_act, hidden);
      const h = this.norm("cls.predictions.transform.LayerNorm", t);
      const decoder = this.config.tie_word_embeddings
        ? this.param("bert.embeddings.word_embeddings.weight")
        : this.param("cls.predictions.decoder.weight");
      return linear(h, decoder, this.param("cls.predictions.bias"));
    });
  }
}
