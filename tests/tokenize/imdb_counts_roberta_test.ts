// Our tokenize + group_texts pipeline on the IMDb test split with roberta-base and xlm-roberta-base equals `datasets`'
// map(tokenize) + map(group_texts) with transformers' fast tokenizers (fixtures/reference/imdb_counts_roberta.json,
// made by tools/reference/make_roberta_imdb_counts.py): counts and sha256 digests of every input id, word id and chunk.
import { createHash, type Hash } from "node:crypto";
import { tokenizeStream } from "../../lib/tokenize/parallel.ts";
import { readTexts } from "../../lib/data/records.ts";
import { groupTextsStream } from "../../lib/data/group_texts.ts";
import type { Encoding } from "../../lib/data/types.ts";
import { assertEquals } from "../support/assert.ts";
import { haveShared, ROOT, SHARED } from "../support/shared.ts";

const reference = JSON.parse(await Deno.readTextFile(`${ROOT}/fixtures/reference/imdb_counts_roberta.json`));

function hashInts(hash: Hash, values: ArrayLike<number | null>): void {
  const ints = new Int32Array(values.length);
  for (let i = 0; i < values.length; i++) ints[i] = values[i] ?? -1;
  hash.update(new Uint8Array(ints.buffer));
}

for (const name of ["roberta-base", "xlm-roberta-base"]) {
  Deno.test({
    name: `tokenizeStream + groupTexts: IMDb test with ${name} equals datasets' map(group_texts)`,
    ignore: !haveShared("data/imdb/test.jsonl.gz", `imdb ${name} counts`) ||
      !haveShared(`data/${name}/tokenizer.json`, `imdb ${name} counts`),
    fn: async () => {
      const { chunk_size, group_batch } = reference;
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
      const encodings = tokenizeStream(readTexts(`${SHARED}/data/imdb/test.jsonl.gz`), `${SHARED}/data/${name}`, {
        workers: 2,
      });
      for await (const c of groupTextsStream(hashed(encodings), { chunkSize: chunk_size, groupBatch: group_batch })) {
        hashInts(chunkIds, c.input_ids);
        chunks++;
      }
      assertEquals({
        reviews,
        tokens,
        chunks_per_1000_reviews: chunks,
        input_ids_sha256: ids.digest("hex"),
        word_ids_sha256: words.digest("hex"),
        chunk_input_ids_sha256: chunkIds.digest("hex"),
      }, reference.tokenizers[name]);
    },
  });
}
