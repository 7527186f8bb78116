// Our tokenize + group_texts pipeline on every IMDb split equals Hugging Face's, token for token:
// fixtures/reference/imdb_counts.json was made by tools/reference/hf_reference_counts.ts with HF's Rust tokenizer
// (checked there against the Python goldens). Counts are compared, and sha256 digests of every input_id, word_id
// and chunk id, so any single differing token fails.
import { imdbHashes } from "./imdb_hashes.ts";
import { assert, assertEquals } from "../support/assert.ts";
import { haveShared, ROOT, SHARED } from "../support/shared.ts";

const reference = JSON.parse(await Deno.readTextFile(`${ROOT}/fixtures/reference/imdb_counts.json`));

for (const split of ["train", "test", "unsupervised"]) {
  Deno.test({
    name: `tokenizeStream + groupTexts: IMDb ${split} equals HF (counts and every token id, word id and chunk)`,
    ignore: !haveShared(`data/imdb/${split}.jsonl.gz`, `imdb ${split} counts`) ||
      !haveShared("data/bert-base-uncased/tokenizer.json", `imdb ${split} counts`),
    fn: async () => {
      const { chunk_size, group_batch } = reference;
      const { chunks, ...hashes } = await imdbHashes(
        `${SHARED}/data/imdb/${split}.jsonl.gz`,
        `${SHARED}/data/bert-base-uncased`,
        {
          chunkSize: chunk_size,
          groupBatch: group_batch,
          onChunk: (c, i) => {
            assert(c.input_ids.length === chunk_size && c.word_ids.length === chunk_size, `chunk ${i} length`);
            if (i % 997 === 0) assertEquals(c.labels, c.input_ids, `chunk ${i} labels`);
          },
        },
      );
      assertEquals({
        ...hashes,
        chunks_per_1000_reviews: chunks,
        chunks_global: Math.floor(hashes.tokens / chunk_size),
      }, reference.splits[split]);
    },
  });
}
