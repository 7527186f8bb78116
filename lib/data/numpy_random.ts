/**
 * numpy's default generator, bit for bit: `np.random.default_rng(seed)` is `Generator(PCG64(SeedSequence(seed)))`,
 * and `Generator.permutation(n)` shuffles `arange(n)` with numpy's Fisher–Yates loop. Hugging Face `datasets` draws
 * `Dataset.shuffle(seed=…)` and `train_test_split(seed=…)` from exactly this, so {@link numpyPermutation} gives the
 * same members in the same order as Python does.
 *
 * The parts follow numpy's sources one to one:
 * - {@link SeedSequence}: `numpy/random/bit_generator.pyx` — the seed as little-endian 32-bit words, hashed into a
 *   pool of four words (`mix_entropy`), then `generate_state` (uint64 words are pairs of uint32 words, low first).
 * - {@link Pcg64}: `numpy/random/src/pcg64/pcg64.h` — a 128-bit LCG (multiplier
 *   0x2360ed051fc65da44385df649fccf645) with the XSL-RR output; seeded with `state = words[0..1]`,
 *   `inc = words[2..3]` (high word first) through `pcg_setseq_128_srandom_r`; `next32` hands out the low half of a
 *   64-bit draw, then the high half.
 * - {@link randomInterval}: `numpy/random/src/distributions/distributions.c` `random_interval` — a uniform integer in
 *   [0, max] by masked rejection, from 32-bit draws when max < 2^32 and 64-bit draws otherwise. numpy's
 *   `Generator.shuffle` (and so `permutation`) uses this, not Lemire's method (`_shuffle_raw` in `_generator.pyx`;
 *   Lemire's `random_bounded_uint64` is in `_shuffle_int`, used by `choice`).
 *
 * 128-bit arithmetic uses BigInt. The project's own {@link Rng} (xoshiro128**) stays the generator for masking,
 * dropout and initialisation; this module exists to pick the members numpy picks.
 *
 * @module
 */

const MASK32 = 0xffffffffn;
const MASK64 = 0xffffffffffffffffn;
const MASK128 = (1n << 128n) - 1n;
const PCG_MULTIPLIER = 0x2360ed051fc65da44385df649fccf645n;

// SeedSequence constants (numpy/random/bit_generator.pyx).
const INIT_A = 0x43b0d7e5;
const MULT_A = 0x931e8875;
const INIT_B = 0x8b51f9dd;
const MULT_B = 0x58f38ded;
const MIX_MULT_L = 0xca01f9dd;
const MIX_MULT_R = 0x4973f715;
const XSHIFT = 16;
const POOL_SIZE = 4;

/** A seed numpy accepts as `default_rng(seed)`: a non-negative integer (number up to 2^53, or any bigint). */
export type NumpySeed = number | bigint;

function seedWords(seed: NumpySeed): number[] {
  let value: bigint;
  if (typeof seed === "bigint") {
    value = seed;
  } else {
    if (!Number.isSafeInteger(seed)) throw new Error(`numpy seed: expected a non-negative integer, got ${seed}`);
    value = BigInt(seed);
  }
  if (value < 0n) throw new Error(`numpy seed: expected a non-negative integer, got ${seed}`);
  // `_coerce_to_uint32_array`: little-endian 32-bit words, at least one.
  const words: number[] = [];
  do {
    words.push(Number(value & MASK32));
    value >>= 32n;
  } while (value > 0n);
  return words;
}

/**
 * numpy's `SeedSequence(entropy)` (no spawn key): the entropy hashed into a pool of four 32-bit words, from which
 * {@link SeedSequence.generateState} derives any number of well-mixed words.
 *
 * @example
 * ```ts
 * import { SeedSequence } from "./numpy_random.ts";
 * // np.random.SeedSequence(0).generate_state(2) == [2968811710, 3677149159]
 * const words = new SeedSequence(0).generateState(2);
 * if (words[0] !== 2968811710 || words[1] !== 3677149159) throw new Error(`unexpected ${words}`);
 * ```
 */
export class SeedSequence {
  /** The mixed entropy pool (four unsigned 32-bit words), as numpy's `SeedSequence.pool`. */
  readonly pool: Uint32Array;

  /** Hash a non-negative integer seed into the pool (`mix_entropy`). */
  constructor(entropy: NumpySeed) {
    const entropyWords = seedWords(entropy);
    const pool = new Uint32Array(POOL_SIZE);
    let hashConst = INIT_A;
    const hashmix = (value: number): number => {
      value = (value ^ hashConst) >>> 0;
      hashConst = Math.imul(hashConst, MULT_A) >>> 0;
      value = Math.imul(value, hashConst) >>> 0;
      return (value ^ (value >>> XSHIFT)) >>> 0;
    };
    const mix = (x: number, y: number): number => {
      const result = (Math.imul(MIX_MULT_L, x) - Math.imul(MIX_MULT_R, y)) >>> 0;
      return (result ^ (result >>> XSHIFT)) >>> 0;
    };
    for (let i = 0; i < POOL_SIZE; i++) pool[i] = hashmix(i < entropyWords.length ? entropyWords[i] : 0);
    for (let src = 0; src < POOL_SIZE; src++) {
      for (let dst = 0; dst < POOL_SIZE; dst++) {
        if (src !== dst) pool[dst] = mix(pool[dst], hashmix(pool[src]));
      }
    }
    for (let src = POOL_SIZE; src < entropyWords.length; src++) {
      for (let dst = 0; dst < POOL_SIZE; dst++) pool[dst] = mix(pool[dst], hashmix(entropyWords[src]));
    }
    this.pool = pool;
  }

  /** `generate_state(nWords, np.uint32)`: `nWords` unsigned 32-bit words drawn from the pool. */
  generateState(nWords: number): Uint32Array {
    if (!Number.isInteger(nWords) || nWords < 0) {
      throw new Error(`SeedSequence.generateState: nWords should be a non-negative integer, got ${nWords}`);
    }
    const out = new Uint32Array(nWords);
    let hashConst = INIT_B;
    for (let i = 0; i < nWords; i++) {
      let value = (this.pool[i % POOL_SIZE] ^ hashConst) >>> 0;
      hashConst = Math.imul(hashConst, MULT_B) >>> 0;
      value = Math.imul(value, hashConst) >>> 0;
      out[i] = (value ^ (value >>> XSHIFT)) >>> 0;
    }
    return out;
  }

  /** `generate_state(nWords, np.uint64)`: each 64-bit word is two 32-bit words, the first the low half. */
  generateState64(nWords: number): bigint[] {
    const words = this.generateState(2 * nWords);
    return Array.from({ length: nWords }, (_, i) => BigInt(words[2 * i]) | (BigInt(words[2 * i + 1]) << 32n));
  }
}

/** A saved {@link Pcg64} state, shaped like numpy's `PCG64().state["state"]` plus the 32-bit buffer. */
export interface Pcg64State {
  /** The 128-bit LCG state. */
  state: bigint;
  /** The 128-bit increment (odd). */
  inc: bigint;
  /** Whether a buffered high half of the last 64-bit draw is waiting for {@link Pcg64.next32}. */
  hasUint32: boolean;
  /** That buffered 32-bit value. */
  uinteger: number;
}

/**
 * numpy's `PCG64` bit generator (PCG XSL-RR 128/64), seeded as `PCG64(seed)` is.
 *
 * @example
 * ```ts
 * import { Pcg64 } from "./numpy_random.ts";
 * // np.random.default_rng(42).bit_generator.state["state"]["state"]
 * const g = new Pcg64(42);
 * if (g.state.state !== 274674114334540486603088602300644985544n) throw new Error("seeding differs from numpy");
 * ```
 */
export class Pcg64 {
  #state: bigint;
  #inc: bigint;
  #hasUint32 = false;
  #uinteger = 0;

  /** Seed through {@link SeedSequence} exactly as `np.random.PCG64(seed)`. */
  constructor(seed: NumpySeed) {
    const [s0, s1, i0, i1] = new SeedSequence(seed).generateState64(4);
    const initState = (s0 << 64n) | s1;
    const initSeq = (i0 << 64n) | i1;
    // pcg_setseq_128_srandom_r
    this.#inc = ((initSeq << 1n) | 1n) & MASK128;
    this.#state = 0n;
    this.#step();
    this.#state = (this.#state + initState) & MASK128;
    this.#step();
  }

  #step(): void {
    this.#state = (this.#state * PCG_MULTIPLIER + this.#inc) & MASK128;
  }

  /** The generator's state (to compare with numpy's `bit_generator.state`). */
  get state(): Pcg64State {
    return { state: this.#state, inc: this.#inc, hasUint32: this.#hasUint32, uinteger: this.#uinteger };
  }

  /** The next unsigned 64-bit output (`pcg64_next64`). */
  next64(): bigint {
    this.#step();
    const s = this.#state;
    const x = ((s >> 64n) ^ s) & MASK64;
    const rot = s >> 122n;
    return ((x >> rot) | (x << ((64n - rot) & 63n))) & MASK64;
  }

  /** The next unsigned 32-bit output (`pcg64_next32`): the low half of a 64-bit draw, then its high half. */
  next32(): number {
    if (this.#hasUint32) {
      this.#hasUint32 = false;
      return this.#uinteger;
    }
    const next = this.next64();
    this.#hasUint32 = true;
    this.#uinteger = Number(next >> 32n);
    return Number(next & MASK32);
  }
}

/**
 * numpy's `random_interval(bitgen, max)`: a uniform integer in [0, max] by masked rejection — 32-bit draws when
 * `max` fits in 32 bits, 64-bit draws otherwise. `max` is a non-negative safe integer.
 *
 * @example
 * ```ts
 * import { Pcg64, randomInterval } from "./numpy_random.ts";
 * const g = new Pcg64(1);
 * const x = randomInterval(g, 9);
 * if (!(x >= 0 && x <= 9)) throw new Error("out of range");
 * ```
 */
export function randomInterval(generator: Pcg64, max: number): number {
  if (!Number.isSafeInteger(max) || max < 0) {
    throw new Error(`randomInterval: max should be a non-negative safe integer, got ${max}`);
  }
  if (max === 0) return 0;
  if (max <= 0xffffffff) {
    let mask = max;
    mask |= mask >>> 1;
    mask |= mask >>> 2;
    mask |= mask >>> 4;
    mask |= mask >>> 8;
    mask |= mask >>> 16;
    mask >>>= 0;
    let value: number;
    do value = (generator.next32() & mask) >>> 0; while (value > max);
    return value;
  }
  const bigMax = BigInt(max);
  let mask = bigMax;
  for (const shift of [1n, 2n, 4n, 8n, 16n, 32n]) mask |= mask >> shift;
  let value: bigint;
  do value = generator.next64() & mask; while (value > bigMax);
  return Number(value);
}

/**
 * `np.random.default_rng(seed).permutation(n)`: `arange(n)` shuffled in place by numpy's Fisher–Yates loop
 * (`for i in reversed(range(1, n)): j = random_interval(i); swap(i, j)`). Pass a {@link Pcg64} instead of a seed to
 * continue one generator's stream, as successive calls on one numpy `Generator` do.
 *
 * @example
 * ```ts
 * import { numpyPermutation } from "./numpy_random.ts";
 * // np.random.default_rng(42).permutation(10)
 * if (numpyPermutation(10, 42).join() !== "5,6,0,7,3,2,4,9,1,8") throw new Error("differs from numpy");
 * ```
 */
export function numpyPermutation(n: number, seed: NumpySeed | Pcg64): number[] {
  if (!Number.isSafeInteger(n) || n < 0) {
    throw new Error(`numpyPermutation: n should be a non-negative integer, got ${n}`);
  }
  const generator = seed instanceof Pcg64 ? seed : new Pcg64(seed);
  const out = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i >= 1; i--) {
    const j = randomInterval(generator, i);
    const t = out[j];
    out[j] = out[i];
    out[i] = t;
  }
  return out;
}
