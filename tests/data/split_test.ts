import { permutation, Rng } from "../../lib/data/rng.ts";
import { select, shuffle, trainTestSplit } from "../../lib/data/split.ts";
import { assert, assertEquals, assertNotEquals, assertThrows } from "../support/assert.ts";

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

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
  // the order is the project Rng's permutation of the indices
  assertEquals(a, permutation(100, new Rng(42)).map((i) => items[i]));
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
  const order = permutation(50, new Rng(7));
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
