/**
 * RoBERTa and XLM-RoBERTa for masked language modelling, as HF `modeling_roberta.py` computes them (XLM-R is the same
 * module graph). The encoder is BERT's ({@linkcode BertForMaskedLM}'s blocks under the `roberta.` prefix); what
 * differs is the embeddings and the head:
 *
 * ```
 * roberta.embeddings.{word,position,token_type}_embeddings.weight, roberta.embeddings.LayerNorm
 *   position ids as HF's create_position_ids_from_input_ids: padding_idx + 1, + 2, … over non-padding tokens,
 *   padding_idx on padding; one token type (0)
 * roberta.encoder.layer.N.…                                   (BERT's layer)
 * lm_head.dense → gelu → lm_head.layer_norm → decoder (tied to word_embeddings) + lm_head.bias
 * ```
 *
 * @module
 */
import { tf } from "../deps.ts";
import { maxSequenceLength, type RobertaConfig } from "./config.ts";
import { BertForMaskedLM, bertParams } from "./bert.ts";
import { dropout, embedding, type ForwardOptions, linear } from "./layers.ts";
import { maxBindingBytes, type ParamSpec } from "./masked_lm.ts";

/**
 * The parameter table of `RobertaForMaskedLM` / `XLMRobertaForMaskedLM`: HF name → shape and initialiser.
 *
 * @example
 * ```ts
 * import { robertaParams } from "./roberta.ts";
 * import { parseConfig, type RobertaConfig } from "./config.ts";
 * const specs = robertaParams(parseConfig({ model_type: "xlm-roberta", vocab_size: 250002 }) as RobertaConfig);
 * if (specs.get("roberta.embeddings.word_embeddings.weight")!.shape[0] !== 250002) throw new Error("vocab");
 * if (!specs.has("lm_head.layer_norm.weight") || specs.has("cls.predictions.bias")) throw new Error("head");
 * ```
 */
export function robertaParams(c: RobertaConfig): Map<string, ParamSpec> {
  const specs = new Map<string, ParamSpec>();
  for (const [name, spec] of bertParams(c, "roberta")) if (!name.startsWith("cls.")) specs.set(name, spec);
  const positions = specs.get("roberta.embeddings.position_embeddings.weight")!;
  specs.set("roberta.embeddings.position_embeddings.weight", { ...positions, zeroRow: c.pad_token_id });
  const h = c.hidden_size;
  specs.set("lm_head.dense.weight", { shape: [h, h], init: "normal" });
  specs.set("lm_head.dense.bias", { shape: [h], init: "zeros" });
  specs.set("lm_head.layer_norm.weight", { shape: [h], init: "ones" });
  specs.set("lm_head.layer_norm.bias", { shape: [h], init: "zeros" });
  if (!c.tie_word_embeddings) specs.set("lm_head.decoder.weight", { shape: [c.vocab_size, h], init: "normal" });
  specs.set("lm_head.bias", { shape: [c.vocab_size], init: "zeros" });
  return specs;
}

/**
 * HF `create_position_ids_from_input_ids`: `cumsum(ids != pad) * (ids != pad) + pad`, as int32 `[batch, seq]`.
 *
 * @example
 * ```ts
 * import { tf } from "../deps.ts";
 * import { robertaPositionIds } from "./roberta.ts";
 * const ids = robertaPositionIds(tf.tensor2d([[0, 9, 2, 1, 1]], undefined, "int32"), 1);
 * if (ids.arraySync()[0].join() !== "2,3,4,1,1") throw new Error("positions");
 * ```
 */
export function robertaPositionIds(input_ids: tf.Tensor2D, paddingIdx: number): tf.Tensor2D {
  return tf.tidy(() => {
    const mask = tf.cast(tf.notEqual(input_ids, paddingIdx), "float32");
    const positions = tf.add(tf.mul(tf.cumsum(mask, 1), mask), paddingIdx);
    return tf.cast(positions, "int32") as tf.Tensor2D;
  });
}

/**
 * `RobertaForMaskedLM` / `XLMRobertaForMaskedLM` over a set of variables (see {@link robertaParams}); build one with
 * `loadMaskedLM` or `initMaskedLM`.
 *
 * @example
 * ```ts
 * import { tf } from "../deps.ts";
 * import { initMaskedLM } from "./init.ts";
 * import { parseConfig } from "./config.ts";
 * const m = initMaskedLM(parseConfig({ model_type: "roberta", vocab_size: 20, hidden_size: 8, num_attention_heads: 2, num_hidden_layers: 1, intermediate_size: 16 }), { seed: 1 });
 * const logits = m.logits(tf.tensor2d([[0, 5, 2, 1]], undefined, "int32"), tf.tensor2d([[1, 1, 1, 0]], undefined, "int32"));
 * if (logits.shape[2] !== 20) throw new Error("vocab");
 * m.dispose();
 * ```
 */
export class RobertaForMaskedLM extends BertForMaskedLM<RobertaConfig> {
  /** Wrap variables already checked against the parameter table. */
  constructor(config: RobertaConfig, params: Map<string, tf.Variable>) {
    super(config, params, "roberta");
  }

  /** Word + token-type (0) + position embeddings (HF position ids) → LayerNorm → dropout. */
  protected override embeddings(input_ids: tf.Tensor2D, options: ForwardOptions): tf.Tensor {
    const pad = this.config.pad_token_id!;
    const table = this.param("roberta.embeddings.word_embeddings.weight");
    // WebGPU binds a tensor as one storage buffer: a larger embedding matrix would read as garbage, so refuse it.
    const bytes = table.size * 4, max = maxBindingBytes();
    if (bytes > max) {
      throw new Error(
        `${this.config.model_type}: the word-embedding matrix [${table.shape}] takes ${bytes} bytes, more than this ` +
          `WebGPU device binds in one buffer (maxStorageBufferBindingSize ${max}); use --backend wasm or cpu, or a ` +
          `GPU whose limit is larger`,
      );
    }
    const longest = maxSequenceLength(this.config);
    if (input_ids.shape[1] > longest) {
      throw new Error(
        `${this.config.model_type}: sequences of ${input_ids.shape[1]} tokens, but positions run from ${pad + 1} to ` +
          `${this.config.max_position_embeddings - 1} (max_position_embeddings): at most ${longest} tokens`,
      );
    }
    const words = embedding(table, input_ids, pad);
    const tokenType = tf.slice(this.param("roberta.embeddings.token_type_embeddings.weight"), [0, 0], [1, -1]);
    const positionIds = robertaPositionIds(input_ids, pad);
    const positions = embedding(this.param("roberta.embeddings.position_embeddings.weight"), positionIds, pad);
    const x = this.residualNorm("roberta.embeddings.LayerNorm", tf.add(words, tokenType), positions);
    return dropout(x, this.config.hidden_dropout_prob, options);
  }

  /** RobertaLMHead: dense → gelu (always, as HF) → layer_norm → decoder (tied to the word embeddings) + bias. */
  override mlmHead(hidden: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      const t = this.linearActivation("lm_head.dense", "gelu", hidden);
      const h = this.norm("lm_head.layer_norm", t);
      const decoder = this.config.tie_word_embeddings
        ? this.param("roberta.embeddings.word_embeddings.weight")
        : this.param("lm_head.decoder.weight");
      return linear(h, decoder, this.param("lm_head.bias"));
    });
  }
}
