// `--fp16` keeps what the forward saves for the backward in binary16: on tiny DistilBERT, RoBERTa and ModernBERT
// shapes (training mode, dropout on), the GPU bytes alive after the forward — beyond those alive before it, each buffer
// counted once — are at most 60 % of float32's (the storage halves them; float32 values that a layer, a reshape or a
// residual add kept alive would undo it), the loss and every gradient stay within float16's reach of float32's, and
// no tensor is left behind. On the matmul-only `--fp16` (without the binary16 storage) the bytes are float32's.
import { tf } from "../../lib/deps.ts";
import { Rng } from "../../lib/data/rng.ts";
import { selectBackend, webgpuAdapter } from "../../lib/model/backend.ts";
import { parseConfig } from "../../lib/model/config.ts";
import { initMaskedLM } from "../../lib/model/init.ts";
import { setHalfActivations } from "../../lib/model/custom_grad.ts";
import { heldBytes } from "../../lib/bench/gpu_memory.ts";
import { MODEL_SIZES, randomMlmBatches } from "../../lib/bench/train_bench.ts";
import { assert, assertEquals } from "../support/assert.ts";

const adapter = await webgpuAdapter();
const f16 = { ignore: !adapter?.shaderF16, sanitizeOps: false, sanitizeResources: false };
if (f16.ignore) console.log("SKIP half-precision activations test: no WebGPU adapter with shader-f16");

/** One forward + backward: bytes alive after the forward beyond those before, the loss and the gradients. */
async function step(model: ReturnType<typeof initMaskedLM>, batch: ReturnType<typeof randomMlmBatches>[number]) {
  const vars = [...model.params.values()];
  const base = heldBytes();
  let activations = 0;
  const { value, grads } = tf.variableGrads(() => {
    const loss = model.loss(batch, { training: true, rng: new Rng(3) });
    activations = heldBytes() - base;
    return loss;
  }, vars);
  const loss = (await value.data())[0];
  const g = await Promise.all(vars.map((v) => grads[v.name].data() as Promise<Float32Array>));
  tf.dispose([value, ...Object.values(grads)]);
  return { activations, loss, grads: g };
}

for (const size of ["tiny", "roberta-tiny", "modernbert-tiny"] as const) {
  Deno.test({
    name: `--fp16 stores ${size}'s saved activations in binary16: ≤ 60 % of float32's bytes, gradients close`,
    ...f16,
    fn: async () => {
      await selectBackend("webgpu", { log: () => {}, fp16: true }); // the shader-f16 device, kept from here on
      const tensors = tf.memory().numTensors;
      const model = initMaskedLM(parseConfig({ ...MODEL_SIZES[size] }), { seed: 1 });
      const [batch] = randomMlmBatches(1, { batchSize: 2, seqLen: 24, vocabSize: 1000, seed: 2 });
      try {
        await selectBackend("webgpu", { log: () => {} });
        await step(model, batch); // uploads the weights
        const f32 = await step(model, batch);
        await selectBackend("webgpu", { log: () => {}, fp16: true });
        const half = await step(model, batch);
        setHalfActivations(false); // the matmul-only half precision
        const matmulOnly = await step(model, batch);
        setHalfActivations(true);

        const ratio = half.activations / f32.activations;
        console.log(
          `${size}: activations ${f32.activations} B (fp32), ${half.activations} B (fp16), ratio ${
            ratio.toFixed(3)
          }; ` +
            `matmul-only fp16 ${matmulOnly.activations} B`,
        );
        assert(ratio <= 0.6, `fp16 keeps ${(ratio * 100).toFixed(1)} % of float32's activation bytes`);
        assert(matmulOnly.activations > 0.9 * f32.activations, "without the binary16 storage the bytes are float32's");
        assert(Math.abs(half.loss - f32.loss) <= 1e-2 * f32.loss, `loss ${half.loss} vs ${f32.loss}`);
        let diff = 0, norm = 0;
        half.grads.forEach((g, i) => {
          g.forEach((v, j) => {
            diff += (v - f32.grads[i][j]) ** 2, norm += f32.grads[i][j] ** 2;
          });
        });
        const rel = Math.sqrt(diff / norm);
        console.log(`${size}: gradients ${rel.toExponential(2)} from float32's (relative L2 over all parameters)`);
        assert(rel < 1e-2 && rel > 0, `gradients ${rel} from float32's`);
      } finally {
        model.dispose();
        await selectBackend("cpu", { log: () => {} });
      }
      assertEquals(tf.memory().numTensors, tensors, "no tensor left behind");
    },
  });
}
