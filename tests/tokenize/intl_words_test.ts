// Word boundaries from Intl.Segmenter: an option of encode / tokenizeStream / prepareDataset (and so of finetune and
// prepare) whose word ids follow ICU's words, placed through each token's character offset; the default stays HF's.
import { loadTokenizer, type Tokenizer } from "../../lib/tokenize/tokenizer.ts";
import { tokenOffsets } from "../../lib/tokenize/intl_words.ts";
import { createWholeWordMaskCollator, wordGroups } from "../../lib/collate/whole_word.ts";
import { fingerprintOf } from "../../lib/prepare/prepared.ts";
import { assert, assertEquals, assertThrows } from "../support/assert.ts";
import { haveShared, SHARED } from "../support/shared.ts";

const REVIEW = "東京で映画を見た。とても良かった！ Great acting.";

/** The text of each word group, decoded. */
function groupTexts(tok: Tokenizer, text: string, wordBoundaries: "hf" | "intl"): string[] {
  const enc = tok.encode(text, { wordBoundaries });
  return wordGroups(enc.word_ids).map((g) => tok.decode(g.map((i) => enc.input_ids[i])).trim());
}

const ignore = !haveShared("data/xlm-roberta-base/tokenizer.json", "intl words") ||
  !haveShared("data/roberta-base/tokenizer.json", "intl words") ||
  !haveShared("data/bert-base-uncased/tokenizer.json", "intl words");

Deno.test({
  name: "intl word boundaries: Japanese words instead of one word per sentence; the default stays HF's",
  ignore,
  fn: async () => {
    const rob = await loadTokenizer(`${SHARED}/data/roberta-base`);
    assertEquals(groupTexts(rob, REVIEW, "hf").slice(0, 4), ["東京で映画を見た", "。", "とても良かった", "！"]);
    assertEquals(groupTexts(rob, REVIEW, "intl").slice(0, 8), ["東京", "で", "映画", "を", "見", "た", "。", "とても"]);
    assertEquals(rob.encode(REVIEW).word_ids, rob.encode(REVIEW, { wordBoundaries: "hf" }).word_ids);
    const xlmr = await loadTokenizer(`${SHARED}/data/xlm-roberta-base`);
    assertEquals(groupTexts(xlmr, REVIEW, "hf")[0], "東京で映画を見た。とても良かった!");
    assertEquals(groupTexts(xlmr, REVIEW, "intl").slice(0, 4), ["東京", "で", "映画", "を見た"]);
    // Thai and Chinese: one word per run of script under hf; ICU's words under intl (a token spanning two ICU words,
    // like เรื่องนี้, stays one token and goes with the first)
    const text = "ภาพยนตร์เรื่องนี้ดีมาก 我喜欢这部电影";
    assertEquals(groupTexts(xlmr, text, "hf"), ["ภาพยนตร์เรื่องนี้ดีมาก", "我喜欢这部电影"]);
    assertEquals(groupTexts(xlmr, text, "intl"), ["ภาพยนตร์", "เรื่องนี้", "ดีมาก", "我", "喜欢", "这部", "电影"]);
    const bert = await loadTokenizer(`${SHARED}/data/bert-base-uncased`);
    assertEquals(groupTexts(bert, "I loved 東京.", "intl"), ["i", "loved", "東 京", "."]);
    // ids are the same whichever boundaries; only word_ids change
    assertEquals(rob.encode(REVIEW, { wordBoundaries: "intl" }).input_ids, rob.encode(REVIEW).input_ids);
    // the same words in English as HF's, bar contractions ICU keeps whole
    assertEquals(groupTexts(rob, "Great acting, don't miss it.", "intl"), [
      "Great",
      "acting",
      ",",
      "don't",
      "miss",
      "it",
      ".",
    ]);
    assertThrows(() => rob.encode("x", { wordBoundaries: "icu" as "intl" }), "wordBoundaries");
  },
});

Deno.test({
  name: "intl word boundaries: the whole-word collator masks 映画 as one word, not the sentence",
  ignore,
  fn: async () => {
    const rob = await loadTokenizer(`${SHARED}/data/roberta-base`);
    for (const wordBoundaries of ["hf", "intl"] as const) {
      const enc = rob.encode(REVIEW, { wordBoundaries });
      const collate = createWholeWordMaskCollator({
        maskTokenId: rob.maskTokenId,
        padTokenId: 1,
        wwmProbability: 0.5,
        seed: 3,
      });
      const batch = collate([enc]);
      const masked = [...batch.labels].map((l, i) => l === -100 ? null : enc.input_ids[i]);
      // every masked run is one whole word of that choice
      const groups = wordGroups(enc.word_ids);
      for (const g of groups) {
        const n = g.filter((i) => masked[i] !== null).length;
        assert(n === 0 || n === g.length, `${wordBoundaries}: a word is masked whole or not at all`);
      }
      const sentence = groups.find((g) => rob.decode(g.map((i) => enc.input_ids[i])).includes("映画"))!;
      assertEquals(
        rob.decode(sentence.map((i) => enc.input_ids[i])),
        wordBoundaries === "hf" ? "東京で映画を見た" : "映画",
      );
    }
  },
});

Deno.test("intl word boundaries: token offsets through folding (WordPiece, Metaspace, unknown tokens)", () => {
  assertEquals(tokenOffsets("Héllo wörld", [["hello"], ["wo", "##rld"]], "wordpiece"), [0, 6, 8]);
  assertEquals(tokenOffsets("a ＡＢ", [["▁a"], ["▁", "AB"]], "metaspace"), [0, 2, 2]);
  assertEquals(tokenOffsets("x ? y", [["x"], ["[UNK]"], ["y"]], "wordpiece"), [0, 2, 4]);
});

Deno.test({
  name: "intl word boundaries: a prepared dataset's fingerprint changes with them and not by default",
  ignore: !haveShared("data/roberta-base/tokenizer.json", "intl words"),
  fn: async () => {
    const dir = await Deno.makeTempDir();
    try {
      await Deno.writeTextFile(`${dir}/c.jsonl`, JSON.stringify({ text: REVIEW }) + "\n");
      const base = { tokenizer: `${SHARED}/data/roberta-base`, out: dir };
      const plain = await fingerprintOf(`${dir}/c.jsonl`, base);
      assertEquals(await fingerprintOf(`${dir}/c.jsonl`, { ...base, wordBoundaries: "hf" }), plain);
      assert(await fingerprintOf(`${dir}/c.jsonl`, { ...base, wordBoundaries: "intl" }) !== plain);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
