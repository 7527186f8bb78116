// The tiled matmul with half-precision operands (`--fp16`) against the exact product (float64 on the CPU), within a
// bound derived from the arithmetic: each operand rounded to f16 (unit roundoff u = 2^-11) gives a product off by at
// most (2u + u²)·|a||b|, and the f32 sum over K adds at most K·2^-24 of Σ|a||b| (the standard γ_K bound, first
// order); so |C16 − C| ≤ (2u + u² + K·2^-24·(1 + 2u)) · Σ_k |a_ik||b_kj| element by element. The f32 kernel is held to
// K·2^-24·Σ|a||b| the same way, and the f16 error must actually be the f16 one (larger than the f32 kernel's): the
// operands really are rounded. An operand beyond f16's range makes the product +inf (the overflow a loss scaler
// sees). `--fp16` is refused on cpu and wasm, naming WebGPU and shader-f16.
import { tf } from "../../lib/deps.ts";
import { fp16Refusal, selectBackend, webgpuAdapter } from "../../lib/model/backend.ts";
import { f16DeviceInUse } from "../../lib/model/kernels/webgpu_f16.ts";
import { attentionScores } from "../../lib/model/kernels/webgpu_attention_matmul.ts";
import { assert, assertRejects } from "../support/assert.ts";

const adapter = await webgpuAdapter();
const f16 = {
  ignore: !adapter?.shaderF16,
  sanitizeOps: false,
  sanitizeResources: false,
};
if (f16.ignore) console.log("SKIP webgpu f16 matmul test: no WebGPU adapter with shader-f16");

function values(n: number, seed: number): Float32Array {
  return Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.37 + seed) * 3 + Math.cos(i * 1.3) * 0.01);
}

/** Exact `A·B` (row-major `[m,k]`, `[k,n]`) and `|A|·|B|` in float64. */
function reference(a: Float32Array, b: Float32Array, m: number, k: number, n: number) {
  const c = new Float64Array(m * n), abs = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      for (let p = 0; p < k; p++) {
        c[i * n + j] += a[i * k + p] * b[p * n + j];
        abs[i * n + j] += Math.abs(a[i * k + p] * b[p * n + j]);
      }
    }
  }
  return { c, abs };
}

const U16 = 2 ** -11, U32 = 2 ** -24;

Deno.test({
  name: "f16-operand tiled matmul: within the derived bound of the exact product, worse than f32, overflow → inf",
  ...f16,
  fn: async () => {
    const [m, k, n] = [9, 37, 13];
    const a = values(m * k, 1), b = values(k * n, 2);
    const { c, abs } = reference(a, b, m, k, n);
    const run = async (half: boolean, tB: boolean) => {
      await selectBackend("webgpu", { log: () => {}, matmul: "tiled", fp16: half });
      const at = tf.tensor2d(a, [m, k]);
      // B given as [n, k] with transposeB (a Linear layer's forward) or as [k, n]
      const bt = tB ? tf.transpose(tf.tensor2d(b, [k, n])) : tf.tensor2d(b, [k, n]);
      const y = tf.matMul(at, bt, false, tB);
      const out = await y.data() as Float32Array;
      tf.dispose([at, bt, y]);
      return out;
    };
    for (const tB of [false, true]) {
      const y32 = await run(false, tB), y16 = await run(true, tB);
      assert(f16DeviceInUse(), "the device has shader-f16");
      let worst16 = 0, worst32 = 0;
      for (let i = 0; i < m * n; i++) {
        const bound16 = (2 * U16 + U16 * U16 + k * U32 * (1 + 2 * U16)) * abs[i];
        const e16 = Math.abs(y16[i] - c[i]), e32 = Math.abs(y32[i] - c[i]);
        assert(e16 <= bound16, `f16 [${i}]: |${y16[i]} − ${c[i]}| = ${e16} > ${bound16}`);
        assert(e32 <= k * U32 * abs[i], `f32 [${i}]: ${e32} > ${k * U32 * abs[i]}`);
        worst16 = Math.max(worst16, e16 / abs[i]), worst32 = Math.max(worst32, e32 / abs[i]);
      }
      assert(worst16 > 4 * worst32 && worst16 > U16 / 8, `operands rounded to f16: ${worst16} vs f32 ${worst32}`);
    }
    await selectBackend("webgpu", { log: () => {}, matmul: "tiled", fp16: true });
    const big = tf.tensor2d([1, 70000, 2, 3], [2, 2]), eye = tf.tensor2d([1, 0, 0, 1], [2, 2]);
    const y = tf.matMul(big, eye);
    const out = Array.from(await y.data());
    tf.dispose([big, eye, y]);
    assert(out.every((x) => x === Infinity), `70000 is beyond f16: ${out}`);
    await selectBackend("cpu", { log: () => {} });
  },
});

Deno.test({
  name: "attention_matmul_f16: q·kᵀ per head within the same bound, worse than f32, overflow → inf",
  ...f16,
  fn: async () => {
    const [seq, heads, d] = [5, 2, 24], width = heads * d;
    const q = values(seq * width, 3), k = values(seq * width, 4);
    const run = async (half: boolean, qv = q) => {
      await selectBackend("webgpu", { log: () => {}, matmul: "tiled", fp16: half });
      const [qt, kt] = [tf.tensor3d(qv, [1, seq, width]), tf.tensor3d(k, [1, seq, width])];
      const s = attentionScores(qt, kt, heads);
      const out = await s.data() as Float32Array;
      tf.dispose([qt, kt, s]);
      return out;
    };
    const s32 = await run(false), s16 = await run(true);
    let worst16 = 0, worst32 = 0;
    for (let h = 0; h < heads; h++) {
      for (let i = 0; i < seq; i++) {
        for (let j = 0; j < seq; j++) {
          let exact = 0, abs = 0;
          for (let c = 0; c < d; c++) {
            const x = q[i * width + h * d + c] * k[j * width + h * d + c];
            exact += x, abs += Math.abs(x);
          }
          const at = (h * seq + i) * seq + j;
          const e16 = Math.abs(s16[at] - exact), e32 = Math.abs(s32[at] - exact);
          assert(e16 <= (2 * U16 + U16 * U16 + d * U32 * (1 + 2 * U16)) * abs, `f16 [${at}]: ${e16}`);
          assert(e32 <= d * U32 * abs, `f32 [${at}]: ${e32}`);
          worst16 = Math.max(worst16, e16 / abs), worst32 = Math.max(worst32, e32 / abs);
        }
      }
    }
    assert(worst16 > 4 * worst32 && worst16 > U16 / 8, `operands rounded to f16: ${worst16} vs f32 ${worst32}`);
    const big = q.slice();
    big[0] = 70000; // row 0 of head 0
    const s = await run(true, big);
    assert(s.slice(0, seq).every((x) => x === Infinity) && Number.isFinite(s[seq]), "row 0 of head 0 overflows alone");
    await selectBackend("cpu", { log: () => {} });
  },
});

Deno.test("--fp16 is refused on cpu and wasm, naming WebGPU and shader-f16", async () => {
  for (const name of ["cpu", "wasm"] as const) {
    const e = await assertRejects(() => selectBackend(name, { log: () => {}, fp16: true }), "shader-f16");
    assert(e.message.includes("--backend webgpu") && e.message.includes(`backend ${name}`), e.message);
  }
  const msg = fp16Refusal({ backend: "webgpu", adapter: "Some GPU", shaderF16: false })!;
  assert(msg.includes(`adapter "Some GPU" lacks`) && msg.includes("without --fp16"), msg);
});
