// Our tokenize + group_texts pipeline on the IMDb test split with roberta-base and xlm-roberta-base equals `datasets`'
// map(tokenize) + map(group_texts) with transformers' fast tokenizers (fixtures/reference/imdb_counts_roberta.json,
// made by tools/reference/make_roberta_imdb_counts.py): counts and sha256 digests of every input id, word id and chunk.
import { imdbHashes } from "./imdb_hashes.ts";
import { assertEquals } from "../support/assert.ts";
import { haveShared, ROOT, SHARED } from "../support/shared.ts";

const reference = JSON.parse(await Deno.readTextFile(`${ROOT}/fixtures/reference/imdb_counts_roberta.json`));

for (const name of ["roberta-base", "xlm-roberta-base"]) {
  Deno.test({
    name: `tokenizeStream + groupTexts: IMDb test with ${name} equals datasets' map(group_texts)`,
    ignore: !haveShared("data/imdb/test.jsonl.gz", `imdb ${name} counts`) ||
      !haveShared(`data/${name}/tokenizer.json`, `imdb ${name} counts`),
    fn: async () => {
      const { chunk_size, group_batch } = reference;
      const { chunks, ...hashes } = await imdbHashes(`${SHARED}/data/imdb/test.jsonl.gz`, `${SHARED}/data/${name}`, {
        chunkSize: chunk_size,
        groupBatch: group_batch,
      });
      assertEquals({ ...hashes, chunks_per_1000_reviews: chunks }, reference.tokenizers[name]);
    },
  });
}
