/**
 * A tiny model repo for the Hub tests, written with plain bytes: `config.json`, a `model.safetensors` of one F32
 * tensor (big enough to be dropped halfway), and the tiny WordPiece `tokenizer.json` with its `vocab.txt`.
 *
 * @module
 */
import { TINY_VOCAB, writeTinyTokenizer } from "../tokenize/tiny_tokenizer.ts";

/** Token the local Hub accepts in these tests. */
export const TOKEN = "hf_test_write_token_0123456789";

/** A safetensors file holding one F32 tensor `weight` of `n` values `i * 0.5`. */
export function tinySafetensors(n: number): Uint8Array {
  const header = new TextEncoder().encode(
    JSON.stringify({ __metadata__: { format: "pt" }, weight: { dtype: "F32", shape: [n], data_offsets: [0, 4 * n] } }),
  );
  const out = new Uint8Array(8 + header.length + 4 * n);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(header.length), true);
  out.set(header, 8);
  for (let i = 0; i < n; i++) view.setFloat32(8 + header.length + 4 * i, i * 0.5, true);
  return out;
}

/** The files of a tiny DistilBERT repo, by path. */
export async function tinyModelFiles(n = 16384): Promise<Record<string, string | Uint8Array>> {
  const tokDir = await writeTinyTokenizer();
  const files: Record<string, string | Uint8Array> = {
    "config.json": JSON.stringify({
      architectures: ["DistilBertForMaskedLM"],
      model_type: "distilbert",
      vocab_size: TINY_VOCAB.length,
      dim: 8,
      n_layers: 1,
      n_heads: 2,
      hidden_dim: 16,
      max_position_embeddings: 16,
    }),
    "tokenizer.json": await Deno.readTextFile(`${tokDir}/tokenizer.json`),
    "vocab.txt": TINY_VOCAB.join("\n") + "\n",
    "model.safetensors": tinySafetensors(n),
    ".gitattributes": "*.safetensors filter=lfs diff=lfs merge=lfs -text\n",
  };
  await Deno.remove(tokDir, { recursive: true });
  return files;
}
