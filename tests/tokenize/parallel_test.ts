import { tokenizeStream } from "../../lib/tokenize/parallel.ts";
import { loadTokenizer } from "../../lib/tokenize/tokenizer.ts";
import { readTexts } from "../../lib/data/records.ts";
import { groupTextsStream } from "../../lib/data/group_texts.ts";
import type { Encoding } from "../../lib/data/types.ts";
import { assertEquals, assertRejects } from "../support/assert.ts";
import { haveShared, SHARED } from "../support/shared.ts";
import { writeTinyTokenizer } from "./tiny_tokenizer.ts";

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

Deno.test("tokenizeStream: workers give the same encodings, in input order, as this thread", async () => {
  const dir = await writeTinyTokenizer();
  const texts = Array.from(
    { length: 23 },
    (_, i) => ["a", "b a", "hello worlds!", "a a a a a b"][i % 4] + " b".repeat(i),
  );
  const inline = await collect(tokenizeStream(texts, dir, { workers: 0, batchSize: 5 }));
  const parallel = await collect(tokenizeStream(texts, dir, { workers: 2, batchSize: 2 }));
  const tok = await loadTokenizer(dir);
  assertEquals(inline, tok.encodeBatch(texts));
  assertEquals(parallel, inline);
});

Deno.test("tokenizeStream: encode options reach the workers", async () => {
  const dir = await writeTinyTokenizer();
  async function* texts() {
    yield "a b a b a b";
    yield "hello";
  }
  const out = await collect(tokenizeStream(texts(), dir, { workers: 1, maxLength: 4, addSpecialTokens: true }));
  assertEquals(out.map((e) => e.input_ids), [[2, 9, 10, 3], [2, 5, 3]]);
});

Deno.test("tokenizeStream: bad input and a bad tokenizer folder fail clearly", async () => {
  const dir = await writeTinyTokenizer();
  const bad = ["a", 7 as unknown as string];
  await assertRejects(() => collect(tokenizeStream(bad, dir, { workers: 1 })), "text #1 is number");
  const empty = await Deno.makeTempDir();
  await assertRejects(() => collect(tokenizeStream(["a"], empty, { workers: 2 })), "no tokenizer.json");
  await assertRejects(() => collect(tokenizeStream(["a"], dir, { workers: -1 })), "workers");
});

Deno.test({
  name: "tokenizeStream + groupTexts: IMDb test split token and chunk counts equal HF (parallel path)",
  ignore: !haveShared("goldens/imdb_test_counts.json", "imdb counts") ||
    !haveShared("data/imdb/test.jsonl.gz", "imdb counts"),
  fn: async () => {
    const golden = JSON.parse(await Deno.readTextFile(`${SHARED}/goldens/imdb_test_counts.json`));
    let reviews = 0;
    let tokens = 0;
    async function* counted(encodings: AsyncIterable<Encoding>) {
      for await (const e of encodings) {
        reviews++;
        tokens += e.input_ids.length;
        yield e;
      }
    }
    const encodings = tokenizeStream(
      readTexts(`${SHARED}/data/imdb/test.jsonl.gz`),
      `${SHARED}/data/bert-base-uncased`,
      {
        workers: 2,
      },
    );
    let chunks = 0;
    for await (const c of groupTextsStream(counted(encodings), { chunkSize: 128, groupBatch: 1000 })) {
      if (c.input_ids.length !== 128) throw new Error("chunk size");
      chunks++;
    }
    assertEquals(
      { reviews, tokens, chunks_per_1000_reviews: chunks, chunks_global: Math.floor(tokens / 128) },
      {
        reviews: golden.reviews,
        tokens: golden.tokens,
        chunks_per_1000_reviews: golden.chunks_per_1000_reviews,
        chunks_global: golden.chunks_global,
      },
    );
  },
});
