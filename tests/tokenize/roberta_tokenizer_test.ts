// roberta-base (byte-level BPE) and xlm-roberta-base (Unigram + Precompiled + WhitespaceSplit/Metaspace): ids and
// word ids equal transformers' fast tokenizer on the goldens of tools/reference/make_tokenizer_goldens.py (2,404 texts
// each: IMDb reviews and excerpts, accents, emoji, HTML, CJK, Thai, whitespace runs, very long words). The "holdout"
// rows were not looked at while the tokenizer code was written; they are checked (and counted) separately.
import { loadTokenizer } from "../../lib/tokenize/tokenizer.ts";
import { assertEquals, assertRejects, assertStringIncludes } from "../support/assert.ts";
import { haveShared, SHARED } from "../support/shared.ts";
import { goldenRows } from "./golden_rows.ts";

const FAMILIES = [
  { name: "roberta-base", golden: "tokenizer_roberta_base.jsonl.gz" },
  { name: "xlm-roberta-base", golden: "tokenizer_xlm_roberta_base.jsonl.gz" },
];

for (const { name, golden } of FAMILIES) {
  for (const split of ["dev", "holdout"] as const) {
    Deno.test({
      name: `tokenizer: ${name} ids and word_ids equal transformers' fast tokenizer on the ${split} goldens`,
      ignore: !haveShared(`data/${name}/tokenizer.json`, `${name} goldens`) ||
        !haveShared("data/imdb/unsupervised.jsonl.gz", `${name} goldens`),
      fn: async () => {
        const tok = await loadTokenizer(`${SHARED}/data/${name}`);
        let n = 0;
        const bad: string[] = [];
        for await (const r of goldenRows(golden)) {
          if (r.split !== split) continue;
          n++;
          const enc = tok.encode(r.text);
          if (JSON.stringify(enc.input_ids) !== JSON.stringify(r.ids)) bad.push(`${r.where}: input_ids`);
          else if (JSON.stringify(enc.word_ids) !== JSON.stringify(r.wordIds)) bad.push(`${r.where}: word_ids`);
        }
        assertEquals(n, split === "dev" ? 1279 : 1125);
        assertEquals(bad, [], `${bad.length} texts differ from transformers`);
      },
    });
  }
}

Deno.test({
  name: "tokenizer: roberta-base and xlm-roberta-base special tokens, <mask> lstrip, truncation, decode",
  ignore: !haveShared("data/roberta-base/tokenizer.json", "roberta specials") ||
    !haveShared("data/xlm-roberta-base/tokenizer.json", "roberta specials"),
  fn: async () => {
    const rob = await loadTokenizer(`${SHARED}/data/roberta-base`);
    assertEquals(
      [rob.clsTokenId, rob.sepTokenId, rob.padTokenId, rob.maskTokenId, rob.unkTokenId, rob.vocabSize],
      [0, 2, 1, 50264, 3, 50265],
    );
    assertEquals(rob.maskToken, "<mask>");
    assertEquals(rob.allSpecialIds, [0, 1, 2, 3, 50264]);
    // <mask> takes the space before it (lstrip), so "a <mask>" and "a<mask>" are the same ids.
    assertEquals(rob.encode("The <mask> end.").input_ids, rob.encode("The<mask> end.").input_ids);
    assertEquals(rob.encode("The <mask> end.").word_ids, [null, 0, 1, 2, 3, null]);
    assertEquals(rob.encode("Hello  world").input_ids, [0, 31414, 1437, 232, 2]);
    assertEquals(rob.encode("one two three four", { maxLength: 4 }).input_ids.at(-1), 2);
    assertEquals(rob.decode(rob.encode("Héllo, world!").input_ids, { skipSpecialTokens: true }), "Héllo, world!");
    const xlmr = await loadTokenizer(`${SHARED}/data/xlm-roberta-base`);
    assertEquals(
      [xlmr.clsTokenId, xlmr.sepTokenId, xlmr.padTokenId, xlmr.maskTokenId, xlmr.unkTokenId, xlmr.vocabSize],
      [0, 2, 1, 250001, 3, 250002],
    );
    assertEquals(xlmr.encode("a <mask> b").input_ids, [0, 10, 250001, 876, 2]);
    assertEquals(xlmr.encode("東京で映画を見た。").word_ids, [null, 0, 0, 0, 0, 0, 0, null]);
    assertEquals(xlmr.decode(xlmr.encode("Hello world").input_ids, { skipSpecialTokens: true }), "Hello world");
  },
});

async function folderWith(tokenizerJson: unknown): Promise<string> {
  const dir = await Deno.makeTempDir();
  await Deno.writeTextFile(`${dir}/tokenizer.json`, JSON.stringify(tokenizerJson));
  return dir;
}

Deno.test("tokenizer: tokenizer.json of the wrong shape fails naming the file, the field and what was expected", async () => {
  const cases: [unknown, string][] = [
    [{ model: null, added_tokens: [] }, `"model" must be an object`],
    [{ model: { type: "BPE", vocab: { a: 0 } }, added_tokens: [] }, `"model.merges" must be an array`],
    [{ model: { type: "BPE", vocab: { a: 0 }, merges: [3] }, added_tokens: [] }, `"model.merges[0]"`],
    [{ model: { type: "Unigram", vocab: { a: 0 } }, added_tokens: [] }, `"model.vocab" must be an array of [piece`],
    [{ model: { type: "Unigram", vocab: [["a", "x"]] }, added_tokens: [] }, `"model.vocab[0]" must be a [piece`],
    [{ model: { type: "WordPiece", vocab: ["a"] }, added_tokens: [] }, `"model.vocab" must be an object`],
    [{ model: { type: "WordPiece", vocab: { a: "0" } }, added_tokens: [] }, `"model.vocab[\"a\"]" must be an integer`],
    [{ model: { type: "Mystery" }, added_tokens: [] }, `"model.type" must be "WordPiece", "BPE" or "Unigram"`],
    [{ model: { type: "BPE", vocab: {}, merges: [] }, added_tokens: {} }, `"added_tokens" must be an array`],
    [{ model: { type: "BPE", vocab: {}, merges: [] }, added_tokens: [{ id: 0 }] }, `"added_tokens[0]"`],
    [{ model: { type: "BPE", vocab: {}, merges: [] }, added_tokens: [], pre_tokenizer: 5 }, `"pre_tokenizer"`],
  ];
  for (const [json, expected] of cases) {
    const dir = await folderWith(json);
    const err = await assertRejects(() => loadTokenizer(dir), expected);
    assertStringIncludes(err.message, `${dir}/tokenizer.json`);
    if (err.message.includes("Cannot read properties")) throw new Error(err.message);
  }
  // A well-formed file whose parts the library cannot build still names the file.
  const dir = await folderWith({
    model: { type: "BPE", vocab: { a: 0 }, merges: [] },
    added_tokens: [],
    post_processor: { type: "NoSuchProcessor" },
  });
  const err = await assertRejects(() => loadTokenizer(dir), "NoSuchProcessor");
  assertStringIncludes(err.message, `${dir}/tokenizer.json`);
});
