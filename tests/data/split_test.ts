import { numpyPermutation, Pcg64, randomInterval, SeedSequence } from "../../lib/data/numpy_random.ts";
import { select, shuffle, trainTestSplit } from "../../lib/data/split.ts";
import { assert, assertEquals, assertNotEquals, assertThrows } from "../support/assert.ts";

// fixtures/numpy/random.json, made by tools/reference/make_numpy_goldens.py with numpy.
interface IndexSummary {
  length: number;
  sha256: string;
  full?: number[];
  first?: number[];
  last?: number[];
}
interface NumpyGoldens {
  generator: string;
  seedSequence: { seed: number | string; pool: number[]; state32: number[] }[];
  pcg64: { seed: number | string; state: string; inc: string; next64: string[] }[];
  permutations: { seed: number | string; n: number; permutation: IndexSummary }[];
  trainTestSplits: {
    n: number;
    trainSize: number | null;
    testSize: number | null;
    seed: number;
    test: IndexSummary;
    train: IndexSummary;
  }[];
  interval64: { seed: number; max: number; values: number[] }[];
}
const GOLDENS: NumpyGoldens = JSON.parse(
  await Deno.readTextFile(new URL("../../fixtures/numpy/random.json", import.meta.url)),
);
const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);
const seedOf = (seed: number | string): number | bigint => typeof seed === "string" ? BigInt(seed) : seed;

async function sha256Int32(indices: readonly number[]): Promise<string> {
  const bytes = new Uint8Array(Int32Array.from(indices).buffer); // little-endian on every platform Deno runs on
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}

async function assertSummary(actual: readonly number[], expected: IndexSummary, what: string): Promise<void> {
  assertEquals(actual.length, expected.length, `${what}: length`);
  if (expected.full) assertEquals([...actual], expected.full, `${what}: members`);
  if (expected.first) assertEquals(actual.slice(0, expected.first.length), expected.first, `${what}: first members`);
  if (expected.last) assertEquals(actual.slice(-expected.last.length), expected.last, `${what}: last members`);
  assertEquals(await sha256Int32(actual), expected.sha256, `${what}: sha256 of the int32 indices`);
}

Deno.test("SeedSequence: pool and generate_state equal numpy's for 1-, 2- and 5-word seeds", () => {
  assert(GOLDENS.seedSequence.length >= 5);
  for (const { seed, pool, state32 } of GOLDENS.seedSequence) {
    const seq = new SeedSequence(seedOf(seed));
    assertEquals([...seq.pool], pool, `seed ${seed}: pool`);
    assertEquals([...seq.generateState(state32.length)], state32, `seed ${seed}: generate_state`);
  }
  assertThrows(() => new SeedSequence(-1), "non-negative integer, got -1");
  assertThrows(() => new SeedSequence(1.5), "non-negative integer, got 1.5");
});

Deno.test("Pcg64: seeded state and raw 64-bit outputs equal numpy's PCG64", () => {
  for (const { seed, state, inc, next64 } of GOLDENS.pcg64) {
    const g = new Pcg64(seedOf(seed));
    assertEquals(g.state.state, BigInt(state), `seed ${seed}: state`);
    assertEquals(g.state.inc, BigInt(inc), `seed ${seed}: inc`);
    assertEquals(next64.map(() => g.next64()), next64.map(BigInt), `seed ${seed}: random_raw`);
  }
});

Deno.test("Pcg64.next32: the low half of a 64-bit draw, then its high half", () => {
  const a = new Pcg64(42), b = new Pcg64(42);
  const x = a.next64();
  assertEquals([b.next32(), b.next32()], [Number(x & 0xffffffffn), Number(x >> 32n)]);
  assertEquals(b.next64(), a.next64());
});

Deno.test("randomInterval: the 64-bit masked path equals numpy's (RandomState(PCG64).randint over 2^32+)", () => {
  for (const { seed, max, values } of GOLDENS.interval64) {
    const g = new Pcg64(seed);
    assertEquals(values.map(() => randomInterval(g, max)), values, `seed ${seed}, max ${max}`);
  }
  assertThrows(() => randomInterval(new Pcg64(0), -1), "non-negative safe integer, got -1");
});

Deno.test("numpyPermutation: default_rng(seed).permutation(n) for every golden seed and size", async () => {
  assert(GOLDENS.permutations.some((p) => p.n === 61291));
  for (const { seed, n, permutation } of GOLDENS.permutations) {
    await assertSummary(numpyPermutation(n, seedOf(seed)), permutation, `seed ${seed}, n ${n}`);
  }
});

Deno.test("numpyPermutation: a passed generator continues its stream, as calls on one numpy Generator do", () => {
  const g = new Pcg64(5);
  const first = numpyPermutation(20, g);
  const second = numpyPermutation(20, g);
  assertEquals(first, numpyPermutation(20, 5));
  assertNotEquals(second, first);
});

Deno.test("trainTestSplit: the members and order datasets' train_test_split(seed=…) picks (numpy goldens)", async () => {
  assert(GOLDENS.trainTestSplits.some((s) => s.n === 61291 && s.trainSize === 10000 && s.testSize === 1000));
  for (const { n, trainSize, testSize, seed, test, train } of GOLDENS.trainTestSplits) {
    const items = range(n);
    const split = trainTestSplit(items, { trainSize: trainSize ?? undefined, testSize: testSize ?? undefined, seed });
    const what = `n ${n}, train ${trainSize}, test ${testSize}, seed ${seed}`;
    await assertSummary(split.test, test, `${what}: test`);
    await assertSummary(split.train, train, `${what}: train`);
  }
});

Deno.test("shuffle: the order datasets' Dataset.shuffle(seed=…) gives (numpy goldens)", async () => {
  for (const { seed, n, permutation } of GOLDENS.permutations.filter((p) => typeof p.seed === "number")) {
    await assertSummary(shuffle(range(n), { seed: seedOf(seed) }), permutation, `shuffle seed ${seed}, n ${n}`);
  }
});

Deno.test("shuffle: a new array, a full permutation, same seed → same order", () => {
  const items = range(100).map((i) => `item${i}`);
  const copy = [...items];
  const a = shuffle(items, { seed: 42 });
  assertEquals(items, copy, "input untouched");
  assert(a !== items);
  assertEquals([...a].sort(), [...items].sort());
  assertNotEquals(a, items);
  assertEquals(shuffle(items, { seed: 42 }), a);
  assertNotEquals(shuffle(items, { seed: 43 }), a);
  // the order is numpy's permutation of the indices
  assertEquals(a, numpyPermutation(100, 42).map((i) => items[i]));
  assertEquals(shuffle([], { seed: 1 }), []);
});

Deno.test("select: indices in the given order (repeats allowed) or a start/count range", () => {
  const xs = ["a", "b", "c", "d", "e"];
  assertEquals(select(xs, [4, 0, 0, 2]), ["e", "a", "a", "c"]);
  assertEquals(select(xs, []), []);
  assertEquals(select(xs, { start: 1, count: 3 }), ["b", "c", "d"]);
  assertEquals(select(xs, { count: 2 }), ["a", "b"]);
  assertEquals(select(xs, { start: 5, count: 0 }), []);
});

Deno.test("select: indices or ranges outside the items fail naming them", () => {
  const xs = [1, 2, 3];
  assertThrows(() => select(xs, [0, 3]), "indices[1] = 3 is not an index into 3 items");
  assertThrows(() => select(xs, [-1]), "indices[0] = -1");
  assertThrows(() => select(xs, [1.5]), "indices[0] = 1.5");
  assertThrows(() => select(xs, { start: 2, count: 2 }), "range start=2 count=2 does not fit in 3 items");
  assertThrows(() => select(xs, { count: -1 }), "count=-1");
});

Deno.test("trainTestSplit: HF structure — test is the first testSize of one permutation, train the next", () => {
  const items = range(50).map((i) => i * 10);
  const { train, test } = trainTestSplit(items, { trainSize: 30, testSize: 12, seed: 7 });
  const order = numpyPermutation(50, 7);
  assertEquals(test, order.slice(0, 12).map((i) => items[i]));
  assertEquals(train, order.slice(12, 42).map((i) => items[i]));
  assertEquals(new Set([...train, ...test]).size, 42, "no item in both");
  assertEquals(trainTestSplit(items, { trainSize: 30, testSize: 12, seed: 7 }), { train, test });
  assertNotEquals(trainTestSplit(items, { trainSize: 30, testSize: 12, seed: 8 }).test, test);
});

Deno.test("trainTestSplit: fractions round as HF (test up, train down); defaults fill the rest", () => {
  const items = range(10);
  const sizes = (opts: Parameters<typeof trainTestSplit>[1]): [number, number] => {
    const { train, test } = trainTestSplit(items, opts);
    return [train.length, test.length];
  };
  assertEquals(sizes({ testSize: 0.25, seed: 0 }), [7, 3]); // ceil(2.5) = 3
  assertEquals(sizes({ seed: 0 }), [7, 3]); // HF default test_size = 0.25
  assertEquals(sizes({ trainSize: 0.55, seed: 0 }), [5, 5]); // floor(5.5) = 5, test = the rest
  assertEquals(sizes({ trainSize: 0.55, testSize: 0.21, seed: 0 }), [5, 3]);
  assertEquals(sizes({ trainSize: 6, testSize: 0.2, seed: 0 }), [6, 2]);
  assertEquals(sizes({ testSize: 4, seed: 0 }), [6, 4]);
  assertEquals(sizes({ trainSize: 9, seed: 0 }), [9, 1]);
});

Deno.test("trainTestSplit: shuffle false takes train first, then test, in order", () => {
  assertEquals(trainTestSplit(range(10), { trainSize: 6, testSize: 3, shuffle: false }), {
    train: [0, 1, 2, 3, 4, 5],
    test: [6, 7, 8],
  });
});

Deno.test("trainTestSplit: sizes that do not fit fail naming both sizes and n", () => {
  const items = range(10);
  assertThrows(
    () => trainTestSplit(items, { trainSize: 8, testSize: 5, seed: 0 }),
    "trainSize (8 → 8) + testSize (5 → 5) = 13 items, more than the n=10 items given",
  );
  assertThrows(() => trainTestSplit(items, { trainSize: 0.9, testSize: 2, seed: 0 }), "more than the n=10");
  assertThrows(() => trainTestSplit(items, { trainSize: 0.7, testSize: 0.4, seed: 0 }), "exceeds 1");
  assertThrows(() => trainTestSplit(items, { testSize: 10, seed: 0 }), "testSize=10 should be smaller than");
  assertThrows(() => trainTestSplit(items, { testSize: 0, seed: 0 }), "testSize=0 should be a count >= 1");
  assertThrows(() => trainTestSplit(items, { trainSize: 2.5, seed: 0 }), "trainSize=2.5 should be a count");
  assertThrows(() => trainTestSplit(items, { trainSize: -1, seed: 0 }), "trainSize=-1");
  assertThrows(() => trainTestSplit(range(1), { testSize: 0.5, seed: 0 }), "the train set would be empty");
  assertThrows(() => trainTestSplit(items, { testSize: 2 }), "seed is required");
});
