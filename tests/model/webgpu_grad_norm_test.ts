// grad_sum_squares + grad_norm_finalize (lib/model/kernels/webgpu_grad_norm.ts) on the webgpu backend (Mesa's
// software adapter here): the norm against float64 and against the tf-op path (lib/train/clip.ts), torch's clip
// coefficient, the finite check from the bits, the sticky apply flag, several chunks into one set of partials, and
// the same bits twice. Skipped, saying why, where there is no WebGPU adapter.
import { tf } from "../../lib/deps.ts";
import { selectBackend } from "../../lib/model/backend.ts";
import { webgpuInternals } from "../../lib/model/kernels/webgpu_flat_buffers.ts";
import {
  encodeGradNormFinalize,
  encodeGradSumSquares,
  partialsFor,
  SCAL,
  VALUES_PER_PARTIAL,
} from "../../lib/model/kernels/webgpu_grad_norm.ts";
import { clipCoefficient, globalGradNorm } from "../../lib/train/clip.ts";
import { assert, assertEquals, assertThrows } from "../support/assert.ts";
import { useWebgpu, webgpuTestOptions } from "../support/webgpu.ts";

const gpu = webgpuTestOptions("grad norm webgpu tests");

/** Values of magnitudes 1e-4 … 1e2 (a multiple of 4 long, as a flat chunk is). */
function values(n: number, seed: number): Float32Array {
  return Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.61 + seed) * 10 ** ((i % 7) - 4));
}

/**
 * The scalars `[norm, coef, apply, 0]` after summing `chunks` (each a flat gradient chunk) with `maxNorm`: one
 * `grad_sum_squares` dispatch per chunk, or (`together`) one for all.
 */
async function normOf(
  chunks: Float32Array[],
  maxNorm: number,
  loss = 1,
  scalIn: number[] = [0, 1, 1, 0],
  together = false,
): Promise<Float32Array> {
  const b = webgpuInternals("test");
  const count = chunks.reduce((a, c) => a + partialsFor(c.length), 0);
  const partials = tf.zeros([2 * count]);
  const scal = tf.tensor1d(scalIn);
  const lossT = tf.scalar(loss);
  const grads = chunks.map((c) => tf.tensor1d(c));
  if (together) {
    encodeGradSumSquares(b, grads, partials, 0);
  } else {
    let base = 0;
    for (const g of grads) {
      encodeGradSumSquares(b, [g], partials, base);
      base += partialsFor(g.size);
    }
  }
  encodeGradNormFinalize(b, partials, count, lossT, maxNorm, scal);
  const out = (await scal.data()) as Float32Array;
  tf.dispose([partials, scal, lossT, ...grads]);
  return out;
}

Deno.test({
  name: "grad_sum_squares + grad_norm_finalize: the norm within 1e-6 of float64 and of tf ops, torch's coefficient",
  ...gpu,
  fn: async () => {
    await useWebgpu();
    try {
      // three chunks, one of them several workgroups long with a ragged tail
      const chunks = [values(3 * VALUES_PER_PARTIAL + 36, 1), values(8, 2), values(VALUES_PER_PARTIAL, 3)];
      let sum = 0;
      for (const c of chunks) for (const x of c) sum += x * x;
      const want = Math.sqrt(sum);
      for (const maxNorm of [1, 0, 1e6]) {
        const s = await normOf(chunks, maxNorm);
        const rel = Math.abs(s[SCAL.norm] - want) / want;
        assert(rel <= 1e-6, `norm ${s[SCAL.norm]} vs float64 ${want}: ${rel}`);
        const wantCoef = maxNorm > 0 ? Math.min(1, Math.fround(maxNorm / Math.fround(s[SCAL.norm] + 1e-6))) : 1;
        assert(Math.abs(s[SCAL.coef] - wantCoef) <= 1e-7 * wantCoef, `coef ${s[SCAL.coef]} vs ${wantCoef}`);
        assertEquals(s[SCAL.apply], 1);
      }
      // the tf-op path, its tensors laid out as the chunks
      const grads = new Map(chunks.map((c, i) => [`g${i}`, tf.tensor1d(c)]));
      const [tfNorm, tfCoef] = tf.tidy(() => {
        const n = globalGradNorm(grads);
        return [n, clipCoefficient(n, 1)];
      });
      const [tn, tc] = [(await tfNorm.data())[0], (await tfCoef.data())[0]];
      const s = await normOf(chunks, 1);
      console.log(`norm ${s[SCAL.norm]} vs tf ops ${tn} vs float64 ${want}; coef ${s[SCAL.coef]} vs ${tc}`);
      assert(Math.abs(s[SCAL.norm] - tn) <= 1e-6 * tn, `norm vs tf ops`);
      assert(Math.abs(s[SCAL.coef] - tc) <= 1e-6 * tc, `coef vs tf ops`);
      // the same bits twice
      assertEquals(Array.from(await normOf(chunks, 1)), Array.from(s));
      // seven chunks in one dispatch: the partials land where seven dispatches put them
      const seven = Array.from({ length: 7 }, (_, c) => values(c < 6 ? 2 * VALUES_PER_PARTIAL + 8 : 40, 10 + c));
      const apart = await normOf(seven, 1), together = await normOf(seven, 1, 1, [0, 1, 1, 0], true);
      assertEquals(Array.from(together), Array.from(apart), "one dispatch for seven chunks");
      assertThrows(() => encodeGradSumSquares(webgpuInternals("test"), [], tf.zeros([2]), 0), "1 to 7 chunks");
      tf.dispose([tfNorm, tfCoef, ...grads.values()]);
    } finally {
      await selectBackend("cpu", { log: () => {} });
    }
  },
});

Deno.test({
  name: "grad_norm_finalize: NaN/Inf in a gradient, the norm or the loss clears the apply flag, which stays cleared",
  ...gpu,
  fn: async () => {
    await useWebgpu();
    try {
      const good = values(2 * VALUES_PER_PARTIAL, 4);
      const cases: [string, Float32Array, number][] = [];
      for (const [what, x] of [["NaN", NaN], ["+Inf", Infinity], ["-Inf", -Infinity]] as const) {
        const bad = good.slice();
        bad[VALUES_PER_PARTIAL + 5] = x; // in the second workgroup
        cases.push([`gradient ${what}`, bad, 1]);
        cases.push([`loss ${what}`, good, x]);
      }
      const huge = good.slice();
      huge[0] = 3e38; // finite, but its square is not: the norm overflows
      cases.push(["norm overflow", huge, 1]);
      for (const [what, chunk, loss] of cases) {
        const s = await normOf([chunk], 1, loss);
        assertEquals(s[SCAL.apply], 0, what);
      }
      const sticky = await normOf([good], 1, 1, [0, 1, 0, 0]);
      assertEquals(sticky[SCAL.apply], 0, "once skipped, every later step is skipped");
      assertEquals((await normOf([good], 1))[SCAL.apply], 1, "finite values apply");
    } finally {
      await selectBackend("cpu", { log: () => {} });
    }
  },
});
