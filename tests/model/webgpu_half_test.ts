// The half-precision storage kernels (`half_pack`, `half_unpack`, `half_keep_mask`) against JavaScript's own binary16
// rounding (`Math.f16round`, `Float16Array`: round to nearest, ties to even): every packed word equal bit for bit, on
// normal values at many scales, the ties, f16's overflow edge (65504 / 65520), subnormals down to 2^-25, ±0, ±inf
// and NaN; unpacking gives back exactly the rounded float32 values; the keep mask is the dropout kernels' own
// `floor(u + keep)`.
import { tf } from "../../lib/deps.ts";
import { selectBackend, webgpuAdapter } from "../../lib/model/backend.ts";
import { halfKeepMask, halfPack, halfUnpack } from "../../lib/model/kernels/webgpu_half.ts";
import { assert, assertEquals } from "../support/assert.ts";

const adapter = await webgpuAdapter();
const gpu = { ignore: !adapter, sanitizeOps: false, sanitizeResources: false };
if (gpu.ignore) console.log("SKIP webgpu half storage test: no WebGPU adapter");

/** Values that exercise every branch of the conversion (an odd count: the last word's high half is padding). */
function probeValues(): Float32Array {
  const v: number[] = [0, -0, 1, -1, 1 / 3, -2 / 3, 65504, -65504, 65519.99, 65520, -65520, 1e6, Infinity, -Infinity];
  v.push(NaN, 2 ** -14, 2 ** -14 * 0.999, 2 ** -24, 2 ** -25, 2 ** -25 * 1.0001, -(2 ** -25) * 3, 2 ** -26, 1e-10);
  v.push(1 + 2 ** -11, 1 + 3 * 2 ** -11, 2048 + 1, 2048 + 3, 2 ** -24 * 1.5, 2 ** -24 * 2.5, 2 ** -20 * 1.25); // ties
  let s = 12345;
  const rand = () => ((s = (s * 1103515245 + 12345) >>> 0) / 2 ** 32);
  for (let i = 0; i < 4000; i++) v.push((rand() - 0.5) * 2 ** (Math.floor(rand() * 60) - 30));
  if (v.length % 2 === 0) v.push(0.1);
  return Float32Array.from(v);
}

Deno.test({
  name: "half_pack rounds float32 to binary16 as Math.f16round (ties to even, overflow → inf, subnormals, NaN)",
  ...gpu,
  fn: async () => {
    await selectBackend("webgpu", { log: () => {}, matmul: "auto" });
    const x = probeValues();
    const t = tf.tensor1d(x);
    const h = halfPack(t);
    assertEquals(h.dtype, "int32");
    assertEquals(h.shape, [Math.ceil(x.length / 2)]);
    const words = new Uint32Array((await h.data() as Int32Array).buffer.slice(0));
    const expected = new Uint16Array(new Float16Array(x).buffer);
    const isNaN16 = (b: number) => (b & 0x7c00) === 0x7c00 && (b & 0x3ff) !== 0;
    let wrong = 0;
    for (let i = 0; i < x.length; i++) {
      const got = (words[i >> 1] >>> ((i & 1) * 16)) & 0xffff;
      const ok = Number.isNaN(x[i]) ? isNaN16(got) : got === expected[i];
      if (!ok && wrong++ < 5) {
        console.log(`x[${i}] = ${x[i]}: got 0x${got.toString(16)}, want 0x${expected[i].toString(16)}`);
      }
    }
    assertEquals(wrong, 0, `${wrong} of ${x.length} values rounded differently from Math.f16round`);
    assertEquals(words[words.length - 1] >>> 16, 0, "the padding half of the last word is zero");

    const back = await halfUnpack(h, [x.length]).data() as Float32Array;
    for (let i = 0; i < x.length; i++) {
      const want = Math.f16round(x[i]);
      assert(
        Object.is(back[i], want) || (Number.isNaN(want) && Number.isNaN(back[i])),
        `x[${i}] = ${x[i]}: ${back[i]}`,
      );
    }
    tf.dispose([t, h]);
  },
});

Deno.test({
  name: "half_unpack takes any shape and refuses a word count that does not match it",
  ...gpu,
  fn: async () => {
    await selectBackend("webgpu", { log: () => {}, matmul: "auto" });
    const x = tf.tensor3d([[[1.5, -2], [3, 4]], [[5, 6], [7, -0.25]]]);
    const h = halfPack(x);
    const y = halfUnpack(h, [2, 2, 2]);
    assertEquals(y.shape, [2, 2, 2]);
    assertEquals(Array.from(await y.data()), [1.5, -2, 3, 4, 5, 6, 7, -0.25]);
    let message = "";
    try {
      halfUnpack(h, [3, 3]);
    } catch (e) {
      message = (e as Error).message;
    }
    assert(message.includes("expected 5 int32 words for shape [3,3], got 4"), message);
    tf.dispose([x, h, y]);
  },
});

Deno.test({
  name: "half_keep_mask is the dropout kernels' floor(u + keep) as halves of 0 and 1",
  ...gpu,
  fn: async () => {
    await selectBackend("webgpu", { log: () => {}, matmul: "auto" });
    const keep = 0.9;
    const u = tf.randomUniform([1001], 0, 1, "float32", 7);
    const draws = await u.data() as Float32Array;
    const m = halfKeepMask(u, keep);
    const mask = await halfUnpack(m, [1001]).data() as Float32Array;
    const f32 = (v: number) => Math.fround(v);
    let kept = 0;
    for (let i = 0; i < draws.length; i++) {
      assertEquals(mask[i], Math.floor(f32(draws[i] + f32(keep))), `draw ${i}`);
      kept += mask[i];
    }
    assert(kept > 850 && kept < 950, `about 90 % kept, got ${kept}`);
    tf.dispose([u, m]);
  },
});
