/**
 * The parameters, values and comparison the AdamW tests share: deterministic sine-wave values, variables of given
 * shapes, and the largest relative difference between two runs' arrays.
 *
 * @module
 */
import { tf } from "../../lib/deps.ts";
import { assertEquals } from "../support/assert.ts";

/** Number of elements of a shape. */
export function size(shape: number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** `n` deterministic values `sin(0.37 i + 1.7 seed) * scale`. */
export function values(n: number, seed: number, scale: number): Float32Array {
  return Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.37 + seed * 1.7) * scale);
}

/** A variable per name of `shapes`, the `i`-th filled with `values(size, i, 1)`. */
export function makeParams(shapes: Record<string, number[]>): Map<string, tf.Variable> {
  return new Map(Object.entries(shapes).map(([k, s], i) => [k, tf.variable(tf.tensor(values(size(s), i, 1), s))]));
}

/**
 * Largest relative difference of `a` from `b` (denominator at least 1e-2, so values near zero compare absolutely) and
 * how many elements differ at all.
 */
export function maxRelDiff(
  a: Map<string, Float32Array>,
  b: Map<string, Float32Array>,
): { rel: number; differing: number } {
  let rel = 0, differing = 0;
  for (const [k, want] of b) {
    const got = a.get(k)!;
    assertEquals(got.length, want.length, k);
    for (let i = 0; i < want.length; i++) {
      if (got[i] !== want[i]) differing++;
      rel = Math.max(rel, Math.abs(got[i] - want[i]) / Math.max(Math.abs(want[i]), 1e-2));
    }
  }
  return { rel, differing };
}
