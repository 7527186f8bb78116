// What the IMDb count tests compare with the Python/Rust references: our tokenize + group_texts pipeline over one
// corpus file, counted, with sha256 digests of every input id, word id and chunk (int32 little-endian, null = -1).
import { createHash, type Hash } from "node:crypto";
import { tokenizeStream } from "../../lib/tokenize/parallel.ts";
import { readTexts } from "../../lib/data/records.ts";
import { groupTextsStream } from "../../lib/data/group_texts.ts";
import type { Chunk, Encoding } from "../../lib/data/types.ts";

/** Counts and digests of one corpus file through tokenizeStream + groupTextsStream. */
export interface ImdbHashes {
  /** Reviews read. */
  reviews: number;
  /** Tokens over all reviews (special tokens included). */
  tokens: number;
  /** Chunks grouped (per `groupBatch` reviews, as `datasets`' batched map). */
  chunks: number;
  /** sha256 of every review's input ids. */
  input_ids_sha256: string;
  /** sha256 of every review's word ids. */
  word_ids_sha256: string;
  /** sha256 of every chunk's input ids. */
  chunk_input_ids_sha256: string;
}

function hashInts(hash: Hash, values: ArrayLike<number | null>): void {
  const ints = new Int32Array(values.length);
  for (let i = 0; i < values.length; i++) ints[i] = values[i] ?? -1;
  hash.update(new Uint8Array(ints.buffer));
}

/**
 * Tokenize `corpus` (a .jsonl[.gz] of `text`) with the tokenizer in `tokenizerDir` (2 workers), group into
 * `chunkSize`-token chunks per `groupBatch` reviews, and count and hash it all; `onChunk` sees each chunk and its index.
 */
export async function imdbHashes(
  corpus: string,
  tokenizerDir: string,
  options: { chunkSize: number; groupBatch: number; onChunk?: (chunk: Chunk, index: number) => void },
): Promise<ImdbHashes> {
  const ids = createHash("sha256"), words = createHash("sha256"), chunkIds = createHash("sha256");
  let reviews = 0, tokens = 0, chunks = 0;
  async function* hashed(encodings: AsyncIterable<Encoding>): AsyncGenerator<Encoding> {
    for await (const e of encodings) {
      reviews++;
      tokens += e.input_ids.length;
      hashInts(ids, e.input_ids);
      hashInts(words, e.word_ids);
      yield e;
    }
  }
  const encodings = tokenizeStream(readTexts(corpus), tokenizerDir, { workers: 2 });
  const { chunkSize, groupBatch } = options;
  for await (const c of groupTextsStream(hashed(encodings), { chunkSize, groupBatch })) {
    options.onChunk?.(c, chunks);
    hashInts(chunkIds, c.input_ids);
    chunks++;
  }
  return {
    reviews,
    tokens,
    chunks,
    input_ids_sha256: ids.digest("hex"),
    word_ids_sha256: words.digest("hex"),
    chunk_input_ids_sha256: chunkIds.digest("hex"),
  };
}
