/**
 * The project half of the full-size check (see make_model_goldens.py's docstring): load DIR/torch (a
 * distilbert-base-uncased-shaped model saved by PyTorch), compare our logits with PyTorch's (max abs ≤ 1e-3), then
 * save the model to DIR/ours and our logits to DIR/ours_logits.safetensors for PyTorch to load back.
 *
 * `deno run -A tools/reference/check_full_model.ts DIR [--backend webgpu]`
 *
 * @module
 */
import { tf } from "../../lib/deps.ts";
import { parseFlags } from "../../lib/cli.ts";
import { type BackendName, selectBackend } from "../../lib/model/backend.ts";
import { loadMaskedLM, savePretrained } from "../../lib/model/pretrained.ts";
import { readSafetensors, writeSafetensors } from "../../lib/model/safetensors.ts";

if (import.meta.main) {
  const { values, positionals } = parseFlags(Deno.args, { backend: { type: "string", default: "auto" } });
  const dir = positionals[0];
  if (!dir) throw new Error("usage: check_full_model.ts DIR [--backend B]");
  await selectBackend(values.backend as BackendName);
  const t0 = performance.now();
  const model = await loadMaskedLM(`${dir}/torch`);
  const g = (await readSafetensors(`${dir}/torch/goldens.safetensors`)).tensors;
  const shape = g.get("input_ids")!.shape as [number, number];
  const ids = tf.tensor2d(g.get("input_ids")!.data, shape, "int32");
  const mask = tf.tensor2d(g.get("attention_mask")!.data, shape, "int32");
  const t1 = performance.now();
  const logitsT = model.logits(ids, mask);
  const logits = (await logitsT.data()) as Float32Array;
  const t2 = performance.now();
  const ref = g.get("logits")!.data;
  let maxAbs = 0;
  for (let i = 0; i < ref.length; i++) maxAbs = Math.max(maxAbs, Math.abs(ref[i] - logits[i]));
  console.log(
    `params ${model.numParameters()}; load ${((t1 - t0) / 1000).toFixed(1)} s; forward ${
      ((t2 - t1) / 1000).toFixed(2)
    } s; logits max abs vs PyTorch ${maxAbs.toExponential(3)}`,
  );
  await savePretrained(model, `${dir}/ours`);
  await writeSafetensors(
    `${dir}/ours_logits.safetensors`,
    new Map([["logits", { shape: logitsT.shape, data: logits }]]),
  );
  tf.dispose([ids, mask, logitsT]);
  model.dispose();
  if (!(maxAbs <= 1e-3)) {
    console.error("FAIL: logits differ from PyTorch's by more than 1e-3");
    Deno.exit(1);
  }
}
