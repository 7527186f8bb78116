/**
 * The project's one source of randomness: xoshiro128** seeded through splitmix32. Every random choice (shuffles,
 * splits, masks, dropout, initialisation) takes an {@link Rng} made from an explicit seed, so the same seed gives the
 * same bytes on every machine. The state can be saved and restored (checkpoints resume exactly).
 *
 * @module
 */

/** Saved generator state: four unsigned 32-bit words. */
export type RngState = [number, number, number, number];

function splitmix32(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

/**
 * A seeded pseudo-random generator.
 *
 * @example
 * ```ts
 * import { Rng } from "./rng.ts";
 * const a = new Rng(42), b = new Rng(42);
 * if (a.random() !== b.random()) throw new Error("same seed, same numbers");
 * ```
 */
export class Rng {
  #s: Uint32Array;

  /** A generator seeded by a non-negative integer (up to 2^53), or restored from a saved state. */
  constructor(seed: number | RngState) {
    this.#s = new Uint32Array(4);
    if (Array.isArray(seed)) {
      this.#s.set(seed);
    } else {
      if (!Number.isSafeInteger(seed) || seed < 0) {
        throw new Error(`Rng seed: expected a non-negative integer, got ${seed}`);
      }
      const mix = splitmix32((seed >>> 0) ^ Math.imul(Math.floor(seed / 2 ** 32), 0x27d4eb2d));
      for (let i = 0; i < 4; i++) this.#s[i] = mix();
    }
    if ((this.#s[0] | this.#s[1] | this.#s[2] | this.#s[3]) === 0) this.#s[0] = 1;
  }

  /** The next unsigned 32-bit integer. */
  nextU32(): number {
    const s = this.#s;
    const result = Math.imul(rotl(Math.imul(s[1], 5) >>> 0, 7), 9) >>> 0;
    const t = (s[1] << 9) >>> 0;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 11);
    return result;
  }

  /** A float in [0, 1) with 53 random bits. */
  random(): number {
    const hi = this.nextU32() >>> 5; // 27 bits
    const lo = this.nextU32() >>> 6; // 26 bits
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** A uniform integer in [0, n), without modulo bias. */
  int(n: number): number {
    if (!Number.isInteger(n) || n <= 0 || n > 2 ** 32) throw new Error(`Rng.int: expected 1 <= n <= 2^32, got ${n}`);
    const limit = 2 ** 32 - (2 ** 32 % n);
    let x: number;
    do x = this.nextU32(); while (x >= limit);
    return x % n;
  }

  /** A child generator for a named sub-stream (e.g. `rng.fork("epoch", 3)`), leaving this one untouched. */
  fork(...labels: (string | number)[]): Rng {
    let h = 0x811c9dc5;
    const s = this.state();
    const text = `${s.join(",")}|${labels.join("|")}`;
    for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
    const child = new Rng(0);
    const mix = splitmix32(h);
    child.#s.set([mix() ^ s[0], mix() ^ s[1], mix() ^ s[2], mix() ^ s[3]].map((x) => x >>> 0));
    if ((child.#s[0] | child.#s[1] | child.#s[2] | child.#s[3]) === 0) child.#s[0] = 1;
    return child;
  }

  /** A copy of the state, to save in a checkpoint. */
  state(): RngState {
    return [this.#s[0], this.#s[1], this.#s[2], this.#s[3]];
  }
}

/**
 * Fisher–Yates shuffle of `items` in place, driven by `rng`; returns `items`.
 *
 * @example
 * ```ts
 * import { Rng, shuffleInPlace } from "./rng.ts";
 * const xs = shuffleInPlace([1, 2, 3, 4], new Rng(0));
 * if (xs.length !== 4) throw new Error("same items");
 * ```
 */
export function shuffleInPlace<T>(items: T[], rng: Rng): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    const t = items[i];
    items[i] = items[j];
    items[j] = t;
  }
  return items;
}

/**
 * A permutation of `0..n-1` from `rng`.
 *
 * @example
 * ```ts
 * import { permutation, Rng } from "./rng.ts";
 * const p = permutation(5, new Rng(42));
 * if ([...p].sort().join() !== "0,1,2,3,4") throw new Error("every index once");
 * ```
 */
export function permutation(n: number, rng: Rng): number[] {
  return shuffleInPlace(Array.from({ length: n }, (_, i) => i), rng);
}
