// The writeBuffer upload override must change nothing but the copy path: the same results as tfjs's own mapped-buffer
// upload for ops on CPU-held tensors (float32, int32, bool, empty) and for a forward + backward of the tiny golden
// DistilBERT, the CPU copy dropped after upload, and an unmapped pooled buffer with the backend's usage flags.
// WebGPU here is Mesa llvmpipe; the tests are few because its first shader compiles are slow.
import { importTfWebgpu, tf } from "../../lib/deps.ts";
import { selectBackend } from "../../lib/model/backend.ts";
import { loadMaskedLM } from "../../lib/model/pretrained.ts";
import { readSafetensors } from "../../lib/model/safetensors.ts";
import {
  asWords,
  installWriteBufferUpload,
  uninstallWriteBufferUpload,
  writeBufferUploadInstalled,
} from "../../lib/model/kernels/webgpu_upload.ts";
import { assert, assertEquals, assertThrows } from "../support/assert.ts";
import { haveShared, SHARED } from "../support/shared.ts";
import { batchLogits, goldenBatch, maxAbsDiff } from "../support/goldens.ts";
import { useWebgpu, webgpuTestOptions } from "../support/webgpu.ts";

Deno.test("asWords: converts bool bytes and short arrays, refuses long ones, keeps exact arrays", () => {
  const bools = asWords(new Uint8Array([1, 0, 1]), "int32", 3);
  assert(bools instanceof Int32Array);
  assertEquals([...bools], [1, 0, 1]);
  assertEquals([...asWords([1.5, 2], "float32", 3)], [1.5, 2, 0]);
  const f = new Float32Array(8).subarray(2, 6);
  assert(asWords(f, "float32", 4) === f, "a float32 view is written as it is (writeBuffer takes its byte offset)");
  assertThrows(() => asWords([1, 2, 3], "int32", 2), "3 values for a tensor of 2 elements");
});

const gpu = webgpuTestOptions("webgpu upload tests");
const gpuTest = gpu;

/** Run `fn` once with tfjs's own upload and once with the override; restore the override afterwards. */
async function bothWays<T>(fn: () => Promise<T>): Promise<{ mapped: T; written: T }> {
  const mod = await importTfWebgpu();
  await useWebgpu();
  try {
    uninstallWriteBufferUpload(mod);
    const mapped = await fn();
    installWriteBufferUpload(mod);
    assert(writeBufferUploadInstalled(mod));
    const written = await fn();
    return { mapped, written };
  } finally {
    installWriteBufferUpload(mod);
    await selectBackend("cpu", { log: () => {} });
  }
}

Deno.test({
  ...gpuTest,
  name: "webgpu upload: add, matMul, gather, where(bool) and empty tensors give the same values both ways",
  fn: async () => {
    // above 1000 elements, so that tfjs runs the ops on the GPU rather than handing them to the CPU
    const a = Float32Array.from({ length: 60 * 50 }, (_, i) => Math.sin(i) * 3);
    const b = Float32Array.from({ length: 50 * 70 }, (_, i) => Math.cos(i * 0.7));
    const ids = Int32Array.from({ length: 1200 }, (_, i) => (i * 7) % 70);
    const cond = Uint8Array.from({ length: 1500 }, (_, i) => (i % 3 === 0 ? 1 : 0));
    const { mapped, written } = await bothWays(async () => {
      const ta = tf.tensor2d(a, [60, 50]), tb = tf.tensor2d(b, [50, 70]);
      const out = [
        tf.add(ta, tf.tensor2d(a.map((x) => x * 2), [60, 50])),
        tf.matMul(ta, tb),
        tf.matMul(tb, ta, true, true),
        tf.gather(tb.transpose(), tf.tensor1d(ids, "int32")),
        tf.where(tf.tensor1d(cond, "bool"), tf.range(0, 1500), tf.fill([1500], -1)),
        tf.add(tf.tensor2d([], [0, 3]), tf.tensor1d([1, 2, 3])),
      ];
      const values = await Promise.all(out.map((t) => t.data()));
      tf.dispose([ta, tb, ...out]);
      return values.map((v) => [...v]);
    });
    assertEquals(written, mapped);
    assertEquals(written[4].slice(0, 6), [0, -1, -1, 3, -1, -1]);
    assertEquals(written[1][0], mapped[1][0]);
  },
});

Deno.test({
  ...gpuTest,
  name: "webgpu upload: a CPU-held tensor lands in an unmapped pooled storage buffer and its CPU copy is dropped",
  fn: async () => {
    const mod = await importTfWebgpu();
    await useWebgpu();
    try {
      assert(writeBufferUploadInstalled(mod), "selectBackend installs the override");
      const x = tf.tensor1d(Float32Array.from({ length: 2000 }, (_, i) => i)); // > 1000: not handed to the CPU
      // deno-lint-ignore no-explicit-any
      const data = (tf.backend() as any).tensorMap.get(x.dataId);
      assert(data.values != null && data.resource == null, "held on the CPU before its first use");
      const y = tf.mul(x, 2);
      assert(data.values == null, "values dropped after the upload");
      const buffer = data.resource as GPUBuffer;
      assertEquals(buffer.usage, GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST);
      assertEquals(buffer.mapState, "unmapped");
      assertEquals(buffer.size, 8000);
      const [xs, ys] = [await x.data(), await y.data()]; // x is read back from the GPU
      assertEquals([xs[0], xs[1999], ys[3], ys[1999]], [0, 1999, 6, 3998]);
      tf.dispose([x, y]);
    } finally {
      await selectBackend("cpu", { log: () => {} });
    }
  },
});

const GOLDEN = `${SHARED}/goldens/tiny-distilbert`;
const haveGolden = haveShared("goldens/tiny-distilbert/goldens.safetensors", "webgpu upload on the golden model");

Deno.test({
  ...gpuTest,
  ignore: gpu.ignore || !haveGolden,
  name: "webgpu upload: tiny golden DistilBERT forward + backward match both ways and match PyTorch's logits",
  fn: async () => {
    const g = (await readSafetensors(`${GOLDEN}/goldens.safetensors`)).tensors;
    const batch = goldenBatch(g);
    const { mapped, written } = await bothWays(async () => {
      const model = await loadMaskedLM(GOLDEN);
      try {
        const logits = await batchLogits(model, batch);
        const { value, grads } = tf.variableGrads(() => model.loss(batch), [...model.params.values()]);
        const loss = (await value.data())[0];
        const gradValues = new Map<string, Float32Array>();
        for (const [name, v] of model.params) gradValues.set(name, (await grads[v.name].data()) as Float32Array);
        tf.dispose([value, ...Object.values(grads)]);
        return { logits, loss, gradValues };
      } finally {
        model.dispose();
      }
    });
    assertEquals([...written.logits], [...mapped.logits], "forward is bit-identical");
    assertEquals(written.loss, mapped.loss);
    for (const [name, ours] of written.gradValues) {
      const theirs = mapped.gradValues.get(name)!;
      let diff = 0, scale = 1e-6;
      for (let i = 0; i < ours.length; i++) {
        diff = Math.max(diff, Math.abs(ours[i] - theirs[i]));
        scale = Math.max(scale, Math.abs(theirs[i]));
      }
      // float atomics in the embedding gradient may sum in another order; everything else is bit-identical
      assert(diff / scale <= 1e-6, `gradient of ${name} differs: rel ${diff / scale}`);
    }
    const ref = g.get("logits")!.data;
    const maxAbs = maxAbsDiff(ref, written.logits);
    assert(maxAbs <= 1e-4, `logits vs PyTorch: max abs ${maxAbs}`);
    assert(Math.abs(written.loss - g.get("loss")!.data[0]) <= 1e-5 * Math.abs(g.get("loss")!.data[0]), "loss");
  },
});
