// Parity with PyTorch: the tiny HF checkpoints in ../shared/goldens give logits, loss and every parameter's gradient
// (eval mode). Our logits must be within 1e-4 (max abs), the loss within 1e-5 (relative) and every gradient within
// 1e-3 relative, where rel = max|ours - torch| / max(max|torch|, 1e-6). (The attention key biases' gradient is
// analytically zero — softmax ignores a per-query shift — so both sides hold ~1e-12 noise; the 1e-6 floor keeps that
// from counting as an error.)
import { tf } from "../../lib/deps.ts";
import { loadMaskedLM } from "../../lib/model/pretrained.ts";
import { readSafetensors } from "../../lib/model/safetensors.ts";
import { type BackendName, selectBackend, webgpuAdapter } from "../../lib/model/backend.ts";
import { assert, assertEquals } from "../support/assert.ts";
import { haveShared, ROOT, SHARED } from "../support/shared.ts";
import { batchLogits, goldenBatch, maxAbsDiff } from "../support/goldens.ts";

/** Golden folders: the shared ones, and those tools/reference/make_model_goldens.py wrote into fixtures/ (if run). */
const MODELS = [`${SHARED}/goldens/tiny-distilbert`, `${SHARED}/goldens/tiny-bert`];
for (const name of ["tiny-distilbert", "tiny-bert"]) {
  const dir = `${ROOT}/fixtures/reference/${name}`;
  try {
    Deno.statSync(`${dir}/goldens.safetensors`);
    MODELS.push(dir);
  } catch {
    console.log(`SKIP parity on ${dir}: absent (made by tools/reference/make_model_goldens.py on the GPU machine)`);
  }
}

interface Parity {
  logitsMaxAbs: number;
  lossRel: number;
  worstGradRel: number;
  worstGrad: string;
  params: number;
}

async function parity(dir: string): Promise<Parity> {
  const g = (await readSafetensors(`${dir}/goldens.safetensors`)).tensors;
  const model = await loadMaskedLM(dir);
  try {
    const batch = goldenBatch(g);
    const logits = await batchLogits(model, batch);
    const ref = g.get("logits")!.data;
    assertEquals(logits.length, ref.length);
    const logitsMaxAbs = maxAbsDiff(ref, logits);

    const before = tf.memory().numTensors;
    const { value, grads } = tf.variableGrads(() => model.loss(batch), [...model.params.values()]);
    const loss = (await value.data())[0];
    const refLoss = g.get("loss")!.data[0];
    let worstGradRel = 0, worstGrad = "";
    for (const [pname, v] of model.params) {
      const ours = await grads[v.name].data();
      const theirs = g.get(`grad.${pname}`);
      assert(theirs, `golden has no gradient for ${pname}`);
      let diff = 0, scale = 0;
      for (let i = 0; i < theirs.data.length; i++) {
        diff = Math.max(diff, Math.abs(ours[i] - theirs.data[i]));
        scale = Math.max(scale, Math.abs(theirs.data[i]));
      }
      const rel = diff / Math.max(scale, 1e-6);
      if (rel >= worstGradRel) [worstGradRel, worstGrad] = [rel, pname];
    }
    tf.dispose([value, ...Object.values(grads)]);
    assertEquals(tf.memory().numTensors, before, "loss + gradients leave no tensors behind");
    return {
      logitsMaxAbs,
      lossRel: Math.abs(loss - refLoss) / refLoss,
      worstGradRel,
      worstGrad,
      params: model.numParameters(),
    };
  } finally {
    model.dispose();
  }
}

async function checkOn(backend: BackendName): Promise<void> {
  await selectBackend(backend, { log: () => {} });
  try {
    for (const name of MODELS) {
      const p = await parity(name);
      console.log(
        `${backend} ${name}: logits max abs ${p.logitsMaxAbs.toExponential(2)}, loss rel ${
          p.lossRel.toExponential(2)
        }, ` +
          `worst grad rel ${p.worstGradRel.toExponential(2)} (${p.worstGrad})`,
      );
      assert(p.logitsMaxAbs <= 1e-4, `${name} logits max abs ${p.logitsMaxAbs}`);
      assert(p.lossRel <= 1e-5, `${name} loss rel ${p.lossRel}`);
      assert(p.worstGradRel <= 1e-3, `${name} gradient of ${p.worstGrad}: rel ${p.worstGradRel}`);
      // HF num_parameters(): every tensor in the saved file (the tied decoder is not saved, so counted once)
      const file = await readSafetensors(`${name}/model.safetensors`);
      let n = 0;
      for (const t of file.tensors.values()) n += t.data.length;
      assertEquals(p.params, n);
    }
  } finally {
    await selectBackend("cpu", { log: () => {} });
  }
}

const ignore = !haveShared("goldens/tiny-bert/goldens.safetensors", "model parity");

Deno.test({ name: "parity with PyTorch on cpu: logits, loss, every gradient", ignore, fn: () => checkOn("cpu") });

Deno.test({ name: "parity with PyTorch on wasm: logits, loss, every gradient", ignore, fn: () => checkOn("wasm") });

const adapter = ignore ? undefined : await webgpuAdapter();
if (!ignore && !adapter) {
  console.log("SKIP parity on webgpu: no WebGPU adapter (navigator.gpu.requestAdapter() gave none)");
}

Deno.test({
  name: "parity with PyTorch on webgpu: logits, loss, every gradient",
  ignore: ignore || !adapter,
  sanitizeOps: false,
  sanitizeResources: false,
  fn: () => checkOn("webgpu"),
});
