/**
 * A small randomly initialised DistilBERT masked LM in Hugging Face's layout, with a tokenizer's files beside it: the
 * starting checkpoint of the interop check (`tests/interop/torch_ddp_test.ts`). HF's `_init_weights` from a seed
 * (`initMaskedLM`), dropout off so that a step is deterministic in both frameworks.
 *
 * ```sh
 * deno run --allow-read --allow-write tools/interop/init_model.ts --tokenizer ../shared/data/bert-base-uncased --out runs/tiny
 * ```
 *
 * Prints `{"path", "parameters", "vocab_size"}` on stdout.
 *
 * @module
 */
import { intFlag, parseFlags, requireFlags, runTask } from "../../lib/cli.ts";
import { parseConfig } from "../../lib/model/config.ts";
import { initMaskedLM } from "../../lib/model/init.ts";
import { savePretrained } from "../../lib/model/pretrained.ts";
import { loadTokenizer } from "../../lib/tokenize/tokenizer.ts";

const USAGE = "deno run --allow-read --allow-write tools/interop/init_model.ts --tokenizer DIR --out DIR " +
  "[--dim 32] [--layers 2] [--heads 2] [--hidden-dim 64] [--max-positions 128] [--seed 0]";

async function main(): Promise<void> {
  const { values } = parseFlags(Deno.args, {
    tokenizer: { type: "string", help: "folder with tokenizer.json (its files are copied beside the model)" },
    out: { type: "string", help: "folder to write (config.json, model.safetensors, tokenizer files)" },
    dim: { type: "string", default: "32", help: "hidden size" },
    layers: { type: "string", default: "2", help: "transformer layers" },
    heads: { type: "string", default: "2", help: "attention heads" },
    "hidden-dim": { type: "string", default: "64", help: "feed-forward size" },
    "max-positions": { type: "string", default: "128", help: "position embeddings (at least the chunk size)" },
    seed: { type: "string", default: "0", help: "seed of the weights" },
  }, USAGE);
  requireFlags(values, ["tokenizer", "out"], USAGE);
  const tokenizer = values.tokenizer as string;
  const vocabSize = (await loadTokenizer(tokenizer)).vocabSize;
  const config = parseConfig({
    model_type: "distilbert",
    architectures: ["DistilBertForMaskedLM"],
    vocab_size: vocabSize,
    dim: intFlag(values, "dim", 1),
    n_layers: intFlag(values, "layers", 1),
    n_heads: intFlag(values, "heads", 1),
    hidden_dim: intFlag(values, "hidden-dim", 1),
    max_position_embeddings: intFlag(values, "max-positions", 1),
    dropout: 0,
    attention_dropout: 0,
    pad_token_id: 0,
  });
  const model = initMaskedLM(config, { seed: intFlag(values, "seed", 0) });
  try {
    await savePretrained(model, values.out as string, { tokenizerDir: tokenizer });
    console.log(JSON.stringify({
      path: values.out,
      parameters: model.numParameters(),
      vocab_size: config.vocab_size,
    }));
  } finally {
    model.dispose();
  }
}

if (import.meta.main) await runTask("init_model", main);
