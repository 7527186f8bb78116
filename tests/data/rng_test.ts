import { permutation, Rng, shuffleInPlace } from "../../lib/data/rng.ts";
import { assert, assertEquals, assertNotEquals, assertThrows } from "../support/assert.ts";

/** xoshiro128** written from the published algorithm with BigInt arithmetic, to check `nextU32` against. */
function referenceXoshiro128ss(state: bigint[]): () => number {
  const M = 0xffffffffn;
  const rotl = (x: bigint, k: bigint): bigint => ((x << k) | (x >> (32n - k))) & M;
  const s = [...state];
  return () => {
    const result = (rotl((s[1] * 5n) & M, 7n) * 9n) & M;
    const t = (s[1] << 9n) & M;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 11n);
    return Number(result);
  };
}

Deno.test("Rng: nextU32 is xoshiro128** (checked against a BigInt reference)", () => {
  for (const state of [[1, 2, 3, 4], [0xdeadbeef, 0x12345678, 0xffffffff, 0x80000000]] as const) {
    const rng = new Rng([...state]);
    const ref = referenceXoshiro128ss(state.map(BigInt));
    for (let i = 0; i < 1000; i++) assertEquals(rng.nextU32(), ref());
  }
});

Deno.test("Rng: same seed gives the same numbers, different seeds differ", () => {
  const draw = (seed: number): number[] => {
    const rng = new Rng(seed);
    return [rng.nextU32(), rng.random(), rng.int(1000), rng.nextU32()];
  };
  assertEquals(draw(42), draw(42));
  assertNotEquals(draw(42), draw(43));
  assertNotEquals(draw(0), draw(2 ** 32)); // the high word of the seed counts too
  assertEquals(draw(2 ** 53 - 1), draw(2 ** 53 - 1));
});

Deno.test("Rng: rejects seeds that are not non-negative safe integers", () => {
  for (const seed of [-1, 1.5, NaN, 2 ** 53]) assertThrows(() => new Rng(seed), "non-negative integer");
});

Deno.test("Rng: state() saves and new Rng(state) resumes exactly", () => {
  const rng = new Rng(7);
  for (let i = 0; i < 17; i++) rng.nextU32();
  const saved = rng.state();
  const expected = [rng.nextU32(), rng.int(10), rng.random()];
  const resumed = new Rng(saved);
  assertEquals([resumed.nextU32(), resumed.int(10), resumed.random()], expected);
  // state() is a copy: changing it does not touch the generator
  saved[0] ^= 1;
  assertNotEquals(new Rng(saved).state(), rng.state());
});

Deno.test("Rng: random() lies in [0, 1)", () => {
  const rng = new Rng(3);
  let sum = 0;
  for (let i = 0; i < 10000; i++) {
    const x = rng.random();
    assert(x >= 0 && x < 1, `random() = ${x}`);
    sum += x;
  }
  assert(Math.abs(sum / 10000 - 0.5) < 0.02, `mean ${sum / 10000}`);
});

Deno.test("Rng: int(n) stays in [0, n) and is uniform (chi-square)", () => {
  const rng = new Rng(12345);
  const n = 10;
  const draws = 100000;
  const counts = new Array(n).fill(0);
  for (let i = 0; i < draws; i++) {
    const k = rng.int(n);
    assert(Number.isInteger(k) && k >= 0 && k < n, `int(${n}) = ${k}`);
    counts[k]++;
  }
  const expected = draws / n;
  const chi2 = counts.reduce((acc, c) => acc + (c - expected) ** 2 / expected, 0);
  assert(chi2 < 27.9, `chi-square ${chi2} over 9 degrees of freedom (p < 0.001 bound 27.9): ${counts}`);
  assertEquals(new Rng(1).int(1), 0);
  const big = new Rng(2);
  for (let i = 0; i < 100; i++) {
    const k = big.int(2 ** 32);
    assert(k >= 0 && k < 2 ** 32);
  }
  // n close to 2^32 / 2 + 1 exercises the rejection branch
  const odd = new Rng(5);
  for (let i = 0; i < 100; i++) assert(odd.int(2 ** 31 + 1) <= 2 ** 31);
});

Deno.test("Rng: int(n) rejects n outside 1..2^32", () => {
  const rng = new Rng(0);
  for (const n of [0, -3, 2.5, 2 ** 32 + 1]) assertThrows(() => rng.int(n), "expected 1 <= n <= 2^32");
});

Deno.test("Rng: fork gives independent, reproducible sub-streams and leaves the parent untouched", () => {
  const parent = new Rng(99);
  const before = parent.state();
  const a = parent.fork("epoch", 1);
  const a2 = parent.fork("epoch", 1);
  const b = parent.fork("epoch", 2);
  assertEquals(parent.state(), before);
  const seq = (r: Rng): number[] => Array.from({ length: 8 }, () => r.nextU32());
  const sa = seq(a);
  assertEquals(seq(a2), sa);
  const sb = seq(b);
  assertNotEquals(sb, sa);
  assertNotEquals(seq(new Rng(before)), sa); // a fork is not the parent's own stream
  // drawing from a fork does not move the parent
  assertEquals(parent.state(), before);
  // a fork of an advanced parent differs from a fork of the fresh one
  parent.nextU32();
  assertNotEquals(seq(parent.fork("epoch", 1)), sa);
});

Deno.test("shuffleInPlace / permutation: a seeded permutation of every item", () => {
  const p = permutation(50, new Rng(8));
  assertEquals([...p].sort((x, y) => x - y), Array.from({ length: 50 }, (_, i) => i));
  assertEquals(permutation(50, new Rng(8)), p);
  assertNotEquals(permutation(50, new Rng(9)), p);
  const xs = ["a", "b", "c"];
  assert(shuffleInPlace(xs, new Rng(1)) === xs, "shuffles in place and returns the same array");
  assertEquals(permutation(0, new Rng(1)), []);
  assertEquals(permutation(1, new Rng(1)), [0]);
});

Deno.test("permutation: every order of 3 items occurs, about equally often", () => {
  const rng = new Rng(2024);
  const counts = new Map<string, number>();
  for (let i = 0; i < 6000; i++) {
    const key = permutation(3, rng).join("");
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  assertEquals(counts.size, 6);
  for (const [key, c] of counts) assert(c > 850 && c < 1150, `order ${key} seen ${c} times of 6000`);
});
