// One training step of the sequence classifiers against PyTorch: same initial weights, same batch, HF Trainer's AdamW
// (no decay for biases/LayerNorm), linear schedule, clip 1.0, eval mode. Loss ≤ 1e-4 relative, every weight after the
// step ≤ 1e-4 max abs. The golden (fixtures/reference/classifier_step.safetensors; its metadata names the PyTorch and
// model implementation) is made by tools/reference/make_classifier_goldens.py.
import { parseConfig } from "../../lib/model/config.ts";
import { readSafetensors } from "../../lib/model/safetensors.ts";
import { selectBackend } from "../../lib/model/backend.ts";
import { buildSequenceClassifier, sequenceClassificationParams } from "../../lib/model/sequence_classification.ts";
import { AdamW } from "../../lib/train/adamw.ts";
import { linearScheduleWithWarmup } from "../../lib/train/schedule.ts";
import { trainableParams, trainStep } from "../../lib/train/trainer.ts";
import { assert, assertEquals } from "../support/assert.ts";
import { ROOT } from "../support/shared.ts";

const GOLDEN = `${ROOT}/fixtures/reference/classifier_step.safetensors`;
Deno.test({
  name: "classifier training step matches PyTorch: loss, grad norm and every weight after one AdamW step",
  fn: async () => {
    await selectBackend("cpu", { log: () => {} });
    const file = await readSafetensors(GOLDEN);
    const g = file.tensors;
    const settings = JSON.parse(file.metadata.settings);
    for (const family of ["distilbert", "bert"]) {
      const config = parseConfig(JSON.parse(file.metadata[`${family}.config`]));
      const values = new Map<string, Float32Array>();
      for (const name of sequenceClassificationParams(config).keys()) {
        const t = g.get(`${family}.init.${name}`);
        assert(t, `golden has no ${family}.init.${name}`);
        values.set(name, t.data as Float32Array);
      }
      const model = buildSequenceClassifier(config, values);
      try {
        const shape = g.get(`${family}.input_ids`)!.shape as [number, number];
        const batch = {
          input_ids: g.get(`${family}.input_ids`)!.data as Int32Array,
          attention_mask: g.get(`${family}.attention_mask`)!.data as Int32Array,
          labels: g.get(`${family}.labels`)!.data as Int32Array,
          shape,
        };
        const optimizer = new AdamW(trainableParams(model), {
          lr: settings.lr,
          betas: settings.betas,
          eps: settings.eps,
          weightDecay: settings.weight_decay,
        });
        const lr = linearScheduleWithWarmup({
          baseLr: settings.lr,
          warmupSteps: settings.warmup_steps,
          totalSteps: settings.total_steps,
        })(0);
        const r = await trainStep(model, [batch], {
          optimizer,
          lr,
          maxGradNorm: settings.max_grad_norm,
          training: false,
        });
        optimizer.dispose();
        const refLoss = g.get(`${family}.loss`)!.data[0];
        const lossRel = Math.abs(r.loss - refLoss) / Math.abs(refLoss);
        const normRel = Math.abs(r.gradNorm - g.get(`${family}.grad_norm`)!.data[0]) /
          g.get(`${family}.grad_norm`)!.data[0];
        let worst = 0, worstName = "";
        for (const [name, v] of model.params) {
          const ref = g.get(`${family}.step.${name}`)!.data;
          const ours = await v.data();
          assertEquals(ours.length, ref.length);
          for (let i = 0; i < ref.length; i++) {
            const d = Math.abs(ours[i] - ref[i]);
            if (d > worst) [worst, worstName] = [d, name];
          }
        }
        console.log(
          `${family}: loss rel ${lossRel.toExponential(2)}, grad norm rel ${normRel.toExponential(2)}, ` +
            `worst weight diff ${worst.toExponential(2)} (${worstName})`,
        );
        assert(lossRel <= 1e-4, `${family} loss rel ${lossRel}`);
        assert(normRel <= 1e-4, `${family} grad norm rel ${normRel}`);
        assert(worst <= 1e-4, `${family} ${worstName}: ${worst}`);
      } finally {
        model.dispose();
      }
    }
  },
});
