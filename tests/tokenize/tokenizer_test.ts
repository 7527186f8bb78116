import { loadTokenizer } from "../../lib/tokenize/tokenizer.ts";
import { readJsonl } from "../../lib/data/jsonl.ts";
import { assert, assertEquals, assertRejects, assertStringIncludes } from "../support/assert.ts";
import { haveShared, SHARED } from "../support/shared.ts";
import { writeTinyTokenizer } from "./tiny_tokenizer.ts";

const BERT = `${SHARED}/data/bert-base-uncased`;
const GOLDEN = "goldens/tokenizer_bert_base_uncased.jsonl.gz";

Deno.test({
  name: "tokenizer: bert-base-uncased ids and word_ids equal HF BertTokenizerFast on all 2,103 golden texts",
  ignore: !haveShared(GOLDEN, "tokenizer golden") || !haveShared("data/bert-base-uncased", "tokenizer golden"),
  fn: async () => {
    const tok = await loadTokenizer(BERT);
    let n = 0;
    const bad: string[] = [];
    for await (const r of readJsonl(`${SHARED}/${GOLDEN}`)) {
      n++;
      const enc = tok.encode(r.text as string);
      const same = JSON.stringify(enc.input_ids) === JSON.stringify(r.input_ids) &&
        JSON.stringify(enc.word_ids) === JSON.stringify(r.word_ids);
      if (!same) bad.push(JSON.stringify(r.text).slice(0, 80));
      assertEquals(enc.attention_mask.length, enc.input_ids.length);
    }
    assertEquals(n, 2103);
    assertEquals(bad, [], `${bad.length} texts differ from HF`);
  },
});

Deno.test({
  name: "tokenizer: bert-base-uncased special tokens, truncation, decode",
  ignore: !haveShared("data/bert-base-uncased", "tokenizer specials"),
  fn: async () => {
    const tok = await loadTokenizer(BERT);
    assertEquals(
      [tok.clsTokenId, tok.sepTokenId, tok.padTokenId, tok.maskTokenId, tok.unkTokenId, tok.vocabSize],
      [101, 102, 0, 103, 100, 30522],
    );
    assertEquals(tok.maskToken, "[MASK]");
    assertEquals(tok.allSpecialIds, [0, 100, 101, 102, 103]);
    assertEquals(tok.files, ["tokenizer.json", "tokenizer_config.json", "vocab.txt"]);
    // [MASK] in the text is one word of its own; special tokens of the post-processor have no word.
    const enc = tok.encode("[MASK] is great.");
    assertEquals(enc.input_ids, [101, 103, 2003, 2307, 1012, 102]);
    assertEquals(enc.word_ids, [null, 0, 1, 2, 3, null]);
    const truncated = tok.encode("one two three four five", { maxLength: 4 });
    assertEquals(truncated.input_ids, [101, 2028, 2048, 102]);
    assertEquals(truncated.word_ids, [null, 0, 1, null]);
    const bare = tok.encode("Hello world", { addSpecialTokens: false });
    assertEquals(bare.input_ids, [7592, 2088]);
    assertEquals(bare.word_ids, [0, 1]);
    assertEquals(tok.decode(tok.encode("Hello, World!").input_ids), "[CLS] hello, world! [SEP]");
    assertEquals(tok.decode(tok.encode("Hello, World!").input_ids, { skipSpecialTokens: true }), "hello, world!");
    assertEquals(tok.decode([]), "");
    assertEquals(tok.encode("").input_ids, [101, 102]);
  },
});

Deno.test("tokenizer: tiny WordPiece tokenizer — subword word ids, unknown words, batch", async () => {
  const tok = await loadTokenizer(await writeTinyTokenizer());
  const enc = tok.encode("Hello worlds! zzz");
  assertEquals(enc.input_ids, [2, 5, 6, 7, 8, 1, 3]);
  assertEquals(enc.word_ids, [null, 0, 1, 1, 2, 3, null]);
  assertEquals(tok.encodeBatch(["a", "b a"]).map((e) => e.input_ids), [[2, 9, 3], [2, 10, 9, 3]]);
  assertEquals(tok.tokenToId("##s"), 7);
  assertEquals(tok.idToToken(6), "world");
  assertEquals(tok.idToToken(999), undefined);
  assertEquals(tok.files, ["tokenizer.json"]);
});

Deno.test("tokenizer: special tokens named in special_tokens_map.json / tokenizer_config.json win", async () => {
  const dir = await writeTinyTokenizer({
    extraFiles: {
      "special_tokens_map.json": { mask_token: { content: "[UNK]" } },
      "tokenizer_config.json": { pad_token: "[SEP]" },
    },
  });
  const tok = await loadTokenizer(dir);
  assertEquals(tok.maskTokenId, 1);
  assertEquals(tok.maskToken, "[UNK]");
  assertEquals(tok.padTokenId, 3);
  assertEquals(tok.files, ["tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"]);
});

Deno.test("tokenizer: a folder without tokenizer.json fails naming the folder", async () => {
  const dir = await Deno.makeTempDir();
  const err = await assertRejects(() => loadTokenizer(dir), "no tokenizer.json");
  assertStringIncludes(err.message, dir);
});

Deno.test("tokenizer: a tokenizer without a mask token fails clearly", async () => {
  const dir = await writeTinyTokenizer({ withoutMask: true });
  const err = await assertRejects(() => loadTokenizer(dir), "mask_token");
  assertStringIncludes(err.message, "[MASK]");
});

Deno.test("tokenizer: malformed tokenizer.json names the file", async () => {
  const dir = await Deno.makeTempDir();
  await Deno.writeTextFile(`${dir}/tokenizer.json`, "{ not json");
  const err = await assertRejects(() => loadTokenizer(dir), "malformed JSON");
  assert(err.message.includes(`${dir}/tokenizer.json`));
});
