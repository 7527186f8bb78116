/**
 * The parameters, values and comparison the AdamW tests share: deterministic sine-wave values, variables of given
 * shapes, and the largest relative difference between two runs' arrays.
 *
 * @module
 */
import { tf } from "../../lib/deps.ts";
import { countWebgpuDispatches } from "../../lib/bench/dispatch_counter.ts";
import type { AdamW } from "../../lib/train/adamw.ts";
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

/** Run `f`; the WebGPU dispatches it issued are pushed to `into` when the backend is webgpu. */
export function countingDispatches(into: number[], f: () => void): void {
  const counter = tf.getBackend() === "webgpu" ? countWebgpuDispatches() : undefined;
  try {
    f();
  } finally {
    counter?.stop();
    if (counter) into.push(counter.count);
  }
}

/**
 * The parameters and `opt`'s moments as arrays by `p.`/`m.`/`v.` name; then the parameters and the optimizer are
 * disposed.
 */
export async function finalArrays(params: Map<string, tf.Variable>, opt: AdamW): Promise<Map<string, Float32Array>> {
  const out = new Map<string, Float32Array>();
  const state = opt.state();
  for (const [k, p] of params) {
    out.set(`p.${k}`, (await p.data()) as Float32Array);
    out.set(`m.${k}`, (await state.m.get(k)!.data()) as Float32Array);
    out.set(`v.${k}`, (await state.v.get(k)!.data()) as Float32Array);
  }
  tf.dispose([...state.m.values(), ...state.v.values(), ...params.values()]);
  opt.dispose();
  return out;
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
