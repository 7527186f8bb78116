import { assert, assertAlmostEquals, assertEquals, assertNotEquals, assertThrows } from "../support/assert.ts";
import { haveShared } from "../support/shared.ts";
import { createMlmCollator, type MlmCollatorOptions } from "../../lib/collate/mlm.ts";
import type { CollatorInput } from "../../lib/collate/pad.ts";
import { Rng } from "../../lib/data/rng.ts";
import type { Chunk, MlmBatch } from "../../lib/data/types.ts";
import { BERT, BERT_SPECIALS, goldenChunks, GOLDENS, syntheticChunks } from "./synthetic.ts";

const BASE = { maskTokenId: BERT.mask, vocabSize: BERT.vocabSize, specialIds: BERT_SPECIALS, padTokenId: BERT.pad };

interface Tally {
  tokens: number;
  candidates: number;
  selected: number;
  masked: number;
  random: number;
  unchanged: number;
  randomIds: number[];
}

/** Collate `chunks` in batches of `batchSize`, check every position's invariants, and count what happened. */
function run(chunks: Chunk[], options: Partial<MlmCollatorOptions>, batchSize = 32): Tally {
  const collate = createMlmCollator({ ...BASE, seed: 1234, ...options });
  const specials = new Set([...(options.specialIds ?? BASE.specialIds), BERT.mask, BERT.pad]);
  const t: Tally = { tokens: 0, candidates: 0, selected: 0, masked: 0, random: 0, unchanged: 0, randomIds: [] };
  for (let start = 0; start < chunks.length; start += batchSize) {
    const part = chunks.slice(start, start + batchSize);
    const batch = collate(part);
    const seq = batch.shape[1];
    part.forEach((chunk, b) => {
      chunk.input_ids.forEach((original, i) => {
        const p = b * seq + i, id = batch.input_ids[p], label = batch.labels[p];
        t.tokens++;
        if (specials.has(original)) {
          assertEquals([id, label], [original, -100], `special token ${original} at ${start + b}:${i} was selected`);
          return;
        }
        t.candidates++;
        if (label === -100) {
          assertEquals(id, original, `unselected position ${start + b}:${i} changed`);
          return;
        }
        assertEquals(label, original, "the label of a selected position is its original id");
        t.selected++;
        if (id === BERT.mask) t.masked++;
        else if (id === original) t.unchanged++;
        else {
          t.random++;
          t.randomIds.push(id);
        }
      });
    });
  }
  return t;
}

Deno.test("mlm: 15 % selected, 80/10/10 of them, over 200k synthetic tokens", () => {
  const chunks = syntheticChunks(1600, 7);
  const t = run(chunks, {});
  assert(t.tokens >= 200_000 && t.candidates > 190_000, `enough tokens (${t.tokens})`);
  const V = BERT.vocabSize;
  assertAlmostEquals(t.selected / t.candidates, 0.15, 0.005);
  // A random draw equals the original or [MASK] with probability 1/V each: it then counts as unchanged or masked.
  assertAlmostEquals(t.masked / t.selected, 0.8 + 0.1 / V, 0.01);
  assertAlmostEquals(t.random / t.selected, 0.1 * (1 - 2 / V), 0.01);
  assertAlmostEquals(t.unchanged / t.selected, 0.1 + 0.1 / V, 0.01);
  // Random ids span the whole vocabulary (HF torch.randint(len(tokenizer))), not only the ids seen in the data.
  assert(Math.max(...t.randomIds) < V && Math.min(...t.randomIds) < 1000, "random ids come from [0, vocabSize)");
});

Deno.test("mlm: configurable probabilities are honoured", () => {
  const chunks = syntheticChunks(800, 8);
  const t = run(chunks, { mlmProbability: 0.3, maskReplaceProb: 0.5, randomReplaceProb: 0.4 });
  assertAlmostEquals(t.selected / t.candidates, 0.3, 0.005);
  assertAlmostEquals(t.masked / t.selected, 0.5, 0.01);
  assertAlmostEquals(t.random / t.selected, 0.4, 0.01);
  assertAlmostEquals(t.unchanged / t.selected, 0.1, 0.01);

  const some = chunks.slice(0, 100);
  const allMask = run(some, { maskReplaceProb: 1, randomReplaceProb: 0 });
  assertEquals([allMask.masked, allMask.random, allMask.unchanged > 0], [allMask.selected, 0, false]);
  const noRandom = run(some, { randomReplaceProb: 0 });
  assertEquals(noRandom.random, 0);
  assertAlmostEquals(noRandom.unchanged / noRandom.selected, 0.2, 0.03);
  const none = run(some, { mlmProbability: 0 });
  assertEquals(none.selected, 0);
  const all = run(some, { mlmProbability: 1 });
  assertEquals(all.selected, all.candidates, "probability 1 selects every non-special token");
});

Deno.test("mlm: random replacements are uniform over the whole vocabulary, specials included", () => {
  const V = 200;
  const chunks = syntheticChunks(800, 9, { vocabSize: V, firstId: 104 });
  const t = run(chunks, { vocabSize: V, maskReplaceProb: 0, randomReplaceProb: 1 });
  // Every selected token was redrawn: it stays only when the draw equals it (1/V) and reads as masked when the draw
  // is [MASK] (1/V).
  assertAlmostEquals(t.unchanged / t.selected, 1 / V, 0.003);
  assertAlmostEquals(t.masked / t.selected, 1 / V, 0.003);

  // Every draw, seen where the label is set: a chi-square test of uniformity over [0, V), specials included.
  const collate = createMlmCollator({
    ...BASE,
    vocabSize: V,
    mlmProbability: 1,
    maskReplaceProb: 0,
    seed: 3,
    randomReplaceProb: 1,
  });
  const counts = new Array(V).fill(0);
  let draws = 0;
  for (let start = 0; start < chunks.length; start += 100) {
    const b = collate(chunks.slice(start, start + 100));
    b.labels.forEach((label, p) => {
      if (label === -100) return;
      counts[b.input_ids[p]]++;
      draws++;
    });
  }
  const expected = draws / V;
  const chi2 = counts.reduce((sum, n) => sum + (n - expected) ** 2 / expected, 0);
  // 199 degrees of freedom: mean 199, sd 20; a skew of a few percent in any tenth of the ids would exceed 300.
  assert(chi2 < 300, `chi-square ${chi2.toFixed(1)} over ${draws} draws: not uniform`);
  assert(counts.every((n) => n > 0), "every id, special ones included, is drawn");
});

Deno.test("mlm: padding to the longest and to a multiple; padding never selected; labels and word_ids", () => {
  const examples: CollatorInput[] = [
    { input_ids: [101, 2023, 2003, 1037, 102], word_ids: [null, 0, 1, 2, null], labels: [1, 2, 3, 4, 5] },
    { input_ids: [101, 7592, 102] },
    { input_ids: [101, 2307, 2143, 999, 2009, 2001, 102], attention_mask: [1, 1, 1, 1, 1, 1, 1] },
  ];
  const collate = createMlmCollator({ ...BASE, mlmProbability: 1, maskReplaceProb: 1, randomReplaceProb: 0, seed: 0 });
  const b = collate(examples);
  assertEquals(Object.keys(b).sort(), ["attention_mask", "input_ids", "labels", "shape"]);
  assertEquals(b.shape, [3, 7]);
  const M = BERT.mask, X = -100;
  assertEquals([...b.input_ids], [101, M, M, M, 102, 0, 0, 101, M, 102, 0, 0, 0, 0, 101, M, M, M, M, M, 102]);
  assertEquals([...b.attention_mask], [1, 1, 1, 1, 1, 0, 0, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1]);
  // The incoming labels are ignored: labels are rebuilt from input_ids, -100 on specials and padding.
  assertEquals([...b.labels], [
    X,
    2023,
    2003,
    1037,
    X,
    X,
    X,
    X,
    7592,
    X,
    X,
    X,
    X,
    X,
    X,
    2307,
    2143,
    999,
    2009,
    2001,
    X,
  ]);

  const eight = createMlmCollator({ ...BASE, padToMultipleOf: 8, seed: 0 })(examples);
  assertEquals(eight.shape, [3, 8]);
  assertEquals([...eight.attention_mask.subarray(16)], [1, 1, 1, 1, 1, 1, 1, 0]);
  assertEquals([eight.input_ids[23], eight.labels[23]], [BERT.pad, -100]);
  assertEquals(createMlmCollator({ ...BASE, padToMultipleOf: 7, seed: 0 })(examples).shape, [3, 7]);
  assertEquals(b.labels instanceof Int32Array && b.input_ids instanceof Int32Array, true);
});

Deno.test("mlm: special_tokens_mask from the tokenizer replaces the special-id rule", () => {
  const collate = createMlmCollator({ ...BASE, mlmProbability: 1, maskReplaceProb: 1, randomReplaceProb: 0, seed: 0 });
  const b = collate([{ input_ids: [101, 2023, 100, 102], special_tokens_mask: [1, 1, 0, 1] }]);
  // HF uses the given mask as is: position 1 is protected, and [UNK] (not marked) is selectable.
  assertEquals([...b.labels], [-100, -100, 100, -100]);
  assertThrows(
    () => collate([{ input_ids: [101, 102], special_tokens_mask: [1, 1] }, { input_ids: [101, 102] }]),
    "give it for all or none",
  );
});

Deno.test("mlm: same seed, same bytes; the generator advances per call and can be saved and restored", () => {
  const chunks = syntheticChunks(64, 10);
  const batches = (collate: (x: Chunk[]) => MlmBatch) => [0, 16, 32, 48].map((s) => collate(chunks.slice(s, s + 16)));
  const a = batches(createMlmCollator({ ...BASE, seed: 5 }));
  const b = batches(createMlmCollator({ ...BASE, seed: 5 }));
  assertEquals(a, b);
  assertEquals(batches(createMlmCollator({ ...BASE, rng: new Rng(5) })), a, "seed n is the same as rng: new Rng(n)");
  assertNotEquals(batches(createMlmCollator({ ...BASE, seed: 6 })), a);
  const same = createMlmCollator({ ...BASE, seed: 5 });
  assertNotEquals(same(chunks.slice(0, 16)).labels, same(chunks.slice(0, 16)).labels, "each call draws anew");

  const rng = new Rng(77);
  const collate = createMlmCollator({ ...BASE, rng });
  collate(chunks.slice(0, 16));
  const saved = rng.state();
  const next = collate(chunks.slice(16, 32));
  const resumed = createMlmCollator({ ...BASE, rng: new Rng(saved) })(chunks.slice(16, 32));
  assertEquals(resumed, next);
  assertNotEquals(rng.state(), saved, "the collator advanced the caller's generator");
});

Deno.test("mlm: bad options and bad input fail clearly", () => {
  assertThrows(
    () => createMlmCollator({ ...BASE, mlmProbability: 1.5, seed: 0 }),
    "mlmProbability should be between 0 and 1",
  );
  assertThrows(
    () => createMlmCollator({ ...BASE, maskReplaceProb: 0.8, randomReplaceProb: 0.3, seed: 0 }),
    "should not exceed 1",
  );
  assertThrows(() => createMlmCollator({ ...BASE, maskReplaceProb: -0.1, seed: 0 }), "maskReplaceProb");
  assertThrows(() => createMlmCollator({ ...BASE }), "pass a seed");
  assertThrows(() => createMlmCollator({ ...BASE, seed: 1, rng: new Rng(1) }), "not both");
  assertThrows(() => createMlmCollator({ ...BASE, vocabSize: 0, seed: 0 }), "vocabSize");
  const collate = createMlmCollator({ ...BASE, seed: 0 });
  assertThrows(() => collate([]), "non-empty array of examples");
  assertThrows(() => collate([{ input_ids: [101, 102] }, {} as CollatorInput]), "example 1: missing input_ids");
  assertThrows(
    () => collate([{ input_ids: [101, 40000, 102] }]),
    "example 0: input_ids[1] = 40000 is outside the vocabulary",
  );
  assertThrows(() => collate([{ input_ids: [101, 1.5, 102] }]), "input_ids[1] = 1.5");
  assertThrows(() => collate([{ input_ids: [101, 102], attention_mask: [1] }]), "attention_mask has 1 entries");
});

Deno.test({
  name: "mlm: real bert-base-uncased ids (HF tokenizer goldens): no special token is ever selected",
  ignore: !haveShared(GOLDENS, "mlm real special tokens"),
  fn: async () => {
    const chunks = await goldenChunks();
    const ids = chunks.flatMap((c) => c.input_ids);
    for (const id of BERT_SPECIALS.filter((id) => id !== BERT.pad)) {
      assert(ids.includes(id), `the sample holds special id ${id}`);
    }
    const all = run(chunks, { mlmProbability: 1 }, 64);
    assertEquals(all.selected, all.candidates, "every non-special token selected at probability 1, and no special");
    const t = run(chunks, {}, 64);
    assertAlmostEquals(t.selected / t.candidates, 0.15, 0.01);
  },
});
