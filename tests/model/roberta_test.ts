// RoBERTa/XLM-R pieces that the parity goldens do not isolate: HF's config defaults, position ids with padding, the
// sequence-length limit their offset sets, checkpoints holding lm_head.decoder.bias instead of lm_head.bias.
import { tf } from "../../lib/deps.ts";
import { basePrefix, maxSequenceLength, parseConfig } from "../../lib/model/config.ts";
import { initMaskedLM } from "../../lib/model/init.ts";
import { prepareTf } from "../../lib/model/backend.ts";
import { checkpointValues } from "../../lib/model/pretrained.ts";
import { robertaPositionIds } from "../../lib/model/roberta.ts";
import type { SafeTensor } from "../../lib/model/safetensors.ts";
import { assert, assertEquals, assertThrows } from "../support/assert.ts";

Deno.test("roberta config: transformers' defaults, the encoder prefix, the length limit, pad_token_id required", () => {
  const r = parseConfig({ model_type: "roberta" });
  assertEquals([r.vocab_size, r.pad_token_id, r.layer_norm_eps, r.max_position_embeddings], [50265, 1, 1e-12, 512]);
  const x = parseConfig({ model_type: "xlm-roberta", max_position_embeddings: 514 });
  assertEquals([x.vocab_size, x.pad_token_id, basePrefix(x), maxSequenceLength(x)], [30522, 1, "roberta", 512]);
  assertEquals(maxSequenceLength(parseConfig({ model_type: "bert" })), 512);
  assertThrows(() => parseConfig({ model_type: "roberta", pad_token_id: null }), "pad_token_id");
});

Deno.test("roberta position ids: padding_idx + 1 onwards, padding keeps padding_idx (left padding too)", async () => {
  prepareTf();
  const ids = tf.tensor2d([[0, 7, 8, 2, 1, 1], [1, 1, 0, 9, 2, 1]], undefined, "int32");
  const pos = robertaPositionIds(ids, 1);
  assertEquals(await pos.array(), [[2, 3, 4, 5, 1, 1], [1, 1, 2, 3, 4, 1]]);
  tf.dispose([ids, pos]);
});

Deno.test("roberta: too long a sequence fails naming the limit; lm_head.decoder.bias stands for lm_head.bias", () => {
  const config = parseConfig({
    model_type: "roberta",
    vocab_size: 12,
    hidden_size: 4,
    num_attention_heads: 1,
    num_hidden_layers: 1,
    intermediate_size: 4,
    max_position_embeddings: 6,
  });
  const m = initMaskedLM(config, { seed: 0 });
  try {
    assertThrows(() => m.logits(tf.zeros([1, 5], "int32"), tf.ones([1, 5], "int32")), "at most 4 tokens");
    const tensors = new Map<string, SafeTensor>();
    for (const [name, v] of m.params) {
      const key = name === "lm_head.bias" ? "lm_head.decoder.bias" : name;
      tensors.set(key, { shape: v.shape, data: v.dataSync() as Float32Array });
    }
    const values = checkpointValues(tensors, config);
    assert(values.has("lm_head.bias") && !values.has("lm_head.decoder.bias"), [...values.keys()].join());
    tensors.set("lm_head.bias", tensors.get("lm_head.decoder.bias")!); // both, as transformers may save them
    assertEquals(checkpointValues(tensors, config).size, m.params.size);
  } finally {
    m.dispose();
  }
});
