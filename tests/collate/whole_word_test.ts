import { assert, assertAlmostEquals, assertEquals, assertNotEquals, assertThrows } from "../support/assert.ts";
import { haveShared } from "../support/shared.ts";
import {
  createWholeWordMaskCollator,
  type WholeWordMaskCollatorOptions,
  wordGroups,
} from "../../lib/collate/whole_word.ts";
import type { CollatorInput } from "../../lib/collate/pad.ts";
import { Rng } from "../../lib/data/rng.ts";
import type { Chunk } from "../../lib/data/types.ts";
import { BERT, goldenChunks, GOLDENS, syntheticChunks } from "./synthetic.ts";

const BASE = { maskTokenId: BERT.mask, padTokenId: BERT.pad };

/** The course's grouping, transcribed line by line from `whole_word_masking_data_collator`, to compare with. */
function courseMapping(word_ids: (number | null)[]): number[][] {
  const mapping: number[][] = [];
  let currentWordIndex = -1;
  let currentWord: number | null = null;
  word_ids.forEach((wordId, idx) => {
    if (wordId !== null) {
      if (wordId !== currentWord) {
        currentWord = wordId;
        currentWordIndex += 1;
      }
      (mapping[currentWordIndex] ??= []).push(idx);
    }
  });
  return mapping;
}

interface WordTally {
  words: number;
  chosen: number;
  tokens: number;
  maskedTokens: number;
  masks: number;
  random: number;
  unchanged: number;
}

/** Collate, check that words are all-or-nothing and labels sit only on chosen words' tokens, and count. */
function run(chunks: Chunk[], options: Partial<WholeWordMaskCollatorOptions>, batchSize = 32): WordTally {
  const collate = createWholeWordMaskCollator({ ...BASE, seed: 99, ...options });
  const t: WordTally = { words: 0, chosen: 0, tokens: 0, maskedTokens: 0, masks: 0, random: 0, unchanged: 0 };
  for (let start = 0; start < chunks.length; start += batchSize) {
    const part = chunks.slice(start, start + batchSize);
    const batch = collate(part);
    const seq = batch.shape[1];
    part.forEach((chunk, b) => {
      const inWord = new Set<number>();
      for (const group of wordGroups(chunk.word_ids)) {
        t.words++;
        const labelled = group.filter((i) => batch.labels[b * seq + i] !== -100).length;
        assert(labelled === 0 || labelled === group.length, `word ${group} of chunk ${start + b} partly masked`);
        if (labelled > 0) t.chosen++;
        for (const i of group) inWord.add(i);
      }
      chunk.input_ids.forEach((original, i) => {
        const p = b * seq + i, id = batch.input_ids[p], label = batch.labels[p];
        t.tokens++;
        if (label === -100) {
          assertEquals(id, original, `unmasked position ${start + b}:${i} changed`);
          return;
        }
        assert(inWord.has(i), "only tokens of words are masked (never a null word id)");
        assertEquals(label, original, "the label of a masked token is its original id");
        t.maskedTokens++;
        if (id === BERT.mask) t.masks++;
        else if (id === original) t.unchanged++;
        else t.random++;
      });
    });
  }
  return t;
}

Deno.test("wwm: word grouping is the course's (new word where the id changes; null starts nothing)", () => {
  const cases: (number | null)[][] = [
    [null, 0, 1, 1, 2, null, null, 0, 0, 1],
    [3, 3, 4, null, null, 0, 1], // a chunk that starts inside word 3 of a review: its tail is a word of its own
    [null, 0, null, null, 0, 1, null], // a one-word review, then a review: 0 and 0 compare equal across the nulls
    [null, null],
    [],
  ];
  for (const word_ids of cases) assertEquals(wordGroups(word_ids), courseMapping(word_ids), JSON.stringify(word_ids));
  assertEquals(wordGroups(cases[0]), [[1], [2, 3], [4], [7, 8], [9]]);
  assertEquals(wordGroups(cases[1]), [[0, 1], [2], [5], [6]]);
  assertEquals(wordGroups(cases[2]), [[1, 4], [5]]);
  for (const chunk of syntheticChunks(50, 3)) assertEquals(wordGroups(chunk.word_ids), courseMapping(chunk.word_ids));
});

Deno.test("wwm: 20 % of words chosen, all-or-nothing, every token [MASK], labels only there (100k+ tokens)", () => {
  const t = run(syntheticChunks(1000, 11), {});
  assert(t.tokens >= 100_000 && t.words > 50_000, `enough data (${t.tokens} tokens, ${t.words} words)`);
  assertAlmostEquals(t.chosen / t.words, 0.2, 0.01);
  assertEquals([t.masks, t.random, t.unchanged], [t.maskedTokens, 0, 0], "the course masks every token of a word");
});

Deno.test("wwm: configurable word probability and the optional 80/10/10 split", () => {
  const chunks = syntheticChunks(1000, 12);
  const t = run(chunks, { wwmProbability: 0.35, maskReplaceProb: 0.8, randomReplaceProb: 0.1, vocabSize: 30522 });
  assertAlmostEquals(t.chosen / t.words, 0.35, 0.01);
  assertAlmostEquals(t.masks / t.maskedTokens, 0.8, 0.01);
  assertAlmostEquals(t.random / t.maskedTokens, 0.1, 0.01);
  assertAlmostEquals(t.unchanged / t.maskedTokens, 0.1, 0.01);
  assertEquals(run(chunks.slice(0, 20), { wwmProbability: 0 }).chosen, 0);
  const all = run(chunks.slice(0, 20), { wwmProbability: 1 });
  assertEquals(all.chosen, all.words);
});

Deno.test("wwm: padding, labels from the example's labels, word_ids dropped", () => {
  const collate = createWholeWordMaskCollator({ ...BASE, wwmProbability: 1, padToMultipleOf: 4, seed: 0 });
  const b = collate([
    { input_ids: [101, 2307, 2143, 102], word_ids: [null, 0, 0, null], labels: [101, 2307, 2143, 102] },
    { input_ids: [2023, 102, 101, 7592, 999], word_ids: [4, null, null, 0, 1] },
  ]);
  assertEquals(Object.keys(b).sort(), ["attention_mask", "input_ids", "labels", "shape"]);
  assertEquals(b.shape, [2, 8]);
  const M = BERT.mask, X = -100;
  assertEquals([...b.input_ids], [101, M, M, 102, 0, 0, 0, 0, M, 102, 101, M, M, 0, 0, 0]);
  assertEquals([...b.attention_mask], [1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1, 1, 1, 0, 0, 0]);
  assertEquals([...b.labels], [X, 2307, 2143, X, X, X, X, X, 2023, X, X, 7592, 999, X, X, X]);
  // As in the course, the label is read from `labels` (a copy of input_ids for chunks).
  const fromLabels = collate([{ input_ids: [101, 2307, 102], word_ids: [null, 0, null], labels: [7, 8, 9] }]);
  assertEquals([...fromLabels.labels], [X, 8, X, X]);
});

Deno.test("wwm: same seed, same bytes; the generator advances and resumes from a saved state", () => {
  const chunks = syntheticChunks(48, 13);
  const make = (o: Partial<WholeWordMaskCollatorOptions>) => createWholeWordMaskCollator({ ...BASE, ...o });
  const three = (collate: (x: CollatorInput[]) => unknown) => [0, 16, 32].map((s) => collate(chunks.slice(s, s + 16)));
  assertEquals(three(make({ seed: 4 })), three(make({ seed: 4 })));
  assertEquals(three(make({ rng: new Rng(4) })), three(make({ seed: 4 })));
  assertNotEquals(three(make({ seed: 5 })), three(make({ seed: 4 })));
  const rng = new Rng(8);
  const collate = make({ rng });
  collate(chunks.slice(0, 16));
  const saved = rng.state();
  assertEquals(make({ rng: new Rng(saved) })(chunks.slice(16, 32)), collate(chunks.slice(16, 32)));
});

Deno.test("wwm: missing or malformed word_ids and bad options fail clearly", () => {
  const collate = createWholeWordMaskCollator({ ...BASE, seed: 0 });
  assertThrows(() => collate([{ input_ids: [101, 2307, 102] }]), "example 0 has no word_ids");
  assertThrows(() => collate([{ input_ids: [101, 2307, 102], word_ids: [null, 0] }]), "word_ids has 2 entries");
  assertThrows(() => collate([{ input_ids: [101, 2307], word_ids: [null, -1] }]), "word_ids[1] = -1");
  assertThrows(() => collate([{ input_ids: [101, 2307], word_ids: [null, 0], labels: [1] }]), "labels has 1 entries");
  assertThrows(() => createWholeWordMaskCollator({ ...BASE, wwmProbability: 2, seed: 0 }), "wwmProbability");
  assertThrows(
    () => createWholeWordMaskCollator({ ...BASE, maskReplaceProb: 0.8, randomReplaceProb: 0.1, seed: 0 }),
    "vocabSize",
  );
  assertThrows(() => createWholeWordMaskCollator({ ...BASE }), "pass a seed");
});

Deno.test({
  name: "wwm: real bert-base-uncased word_ids (HF tokenizer goldens): whole words, specials never masked",
  ignore: !haveShared(GOLDENS, "wwm real word ids"),
  fn: async () => {
    const chunks = await goldenChunks();
    const t = run(chunks, {}, 64);
    assertAlmostEquals(t.chosen / t.words, 0.2, 0.015);
    const all = run(chunks, { wwmProbability: 1 }, 64);
    const specials = chunks.flatMap((c) => c.word_ids).filter((w) => w === null).length;
    assertEquals(all.maskedTokens, all.tokens - specials, "every worded token masked, and no [CLS]/[SEP]");
  },
});
