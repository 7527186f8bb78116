// Our tokenize + group_texts pipeline on every IMDb split equals Hugging Face's, token for token:
// fixtures/reference/imdb_counts.json was made by tools/reference/hf_reference_counts.ts with HF's Rust tokenizer
// (checked there against the Python goldens). Counts are compared, and sha256 digests of every input_id, word_id
// and chunk id, so any single differing token fails.
import { createHash, type Hash } from "node:crypto";
import { tokenizeStream } from "../../lib/tokenize/parallel.ts";
import { readTexts } from "../../lib/data/records.ts";
import { groupTextsStream } from "../../lib/data/group_texts.ts";
import type { Encoding } from "../../lib/data/types.ts";
import { assert, assertEquals } from "../support/assert.ts";
import { haveShared, ROOT, SHARED } from "../support/shared.ts";

const reference = JSON.parse(await Deno.readTextFile(`${ROOT}/fixtures/reference/imdb_counts.json`));

function hashInts(hash: Hash, values: ArrayLike<number | null>): void {
  const ints = new Int32Array(values.length);
  for (let i = 0; i < values.length; i++) ints[i] = values[i] ?? -1;
  hash.update(new Uint8Array(ints.buffer));
}

for (const split of ["train", "test", "unsupervised"]) {
  Deno.test({
    name: `tokenizeStream + groupTexts: IMDb ${split} equals HF (counts and every token id, word id and chunk)`,
    ignore: !haveShared(`data/imdb/${split}.jsonl.gz`, `imdb ${split} counts`) ||
      !haveShared("data/bert-base-uncased/tokenizer.json", `imdb ${split} counts`),
    fn: async () => {
      const { chunk_size, group_batch } = reference;
      const ids = createHash("sha256");
      const words = createHash("sha256");
      const chunkIds = createHash("sha256");
      let reviews = 0;
      let tokens = 0;
      async function* hashed(encodings: AsyncIterable<Encoding>): AsyncGenerator<Encoding> {
        for await (const e of encodings) {
          reviews++;
          tokens += e.input_ids.length;
          hashInts(ids, e.input_ids);
          hashInts(words, e.word_ids);
          yield e;
        }
      }
      const encodings = tokenizeStream(
        readTexts(`${SHARED}/data/imdb/${split}.jsonl.gz`),
        `${SHARED}/data/bert-base-uncased`,
        { workers: 2 },
      );
      let chunks = 0;
      for await (const c of groupTextsStream(hashed(encodings), { chunkSize: chunk_size, groupBatch: group_batch })) {
        assert(c.input_ids.length === chunk_size && c.word_ids.length === chunk_size, `chunk ${chunks} length`);
        if (chunks % 997 === 0) assertEquals(c.labels, c.input_ids, `chunk ${chunks} labels`);
        hashInts(chunkIds, c.input_ids);
        chunks++;
      }
      assertEquals({
        reviews,
        tokens,
        chunks_per_1000_reviews: chunks,
        chunks_global: Math.floor(tokens / chunk_size),
        input_ids_sha256: ids.digest("hex"),
        word_ids_sha256: words.digest("hex"),
        chunk_input_ids_sha256: chunkIds.digest("hex"),
      }, reference.splits[split]);
    },
  });
}
