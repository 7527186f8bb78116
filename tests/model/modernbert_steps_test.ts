// 50 AdamW steps of the tiny ModernBERT against PyTorch's (fixtures/reference/modernbert_50_steps.safetensors, made by
// tools/reference/train_modernbert_reference.py with transformers 5.25): same initial weights, same batches (stored
// in the fixture: padded rows, labels on 15 % of the tokens), eval mode, AdamW with HF Trainer's decay groups, linear
// schedule with warm-up, clipping at 1.0. Every step's loss within 1e-4 relative, every weight after 50 steps within
// 1e-4 of PyTorch's (absolute; the weights are O(0.1–1)).
import type { MlmBatch } from "../../lib/data/types.ts";
import { type BackendName, selectBackend } from "../../lib/model/backend.ts";
import { loadMaskedLM } from "../../lib/model/pretrained.ts";
import { readSafetensors } from "../../lib/model/safetensors.ts";
import { AdamW } from "../../lib/train/adamw.ts";
import { linearScheduleWithWarmup } from "../../lib/train/schedule.ts";
import { trainableParams, trainStep } from "../../lib/train/trainer.ts";
import { assert, assertEquals } from "../support/assert.ts";
import { maxAbsDiff } from "../support/goldens.ts";
import { ROOT } from "../support/shared.ts";

const FIXTURE = `${ROOT}/fixtures/reference/modernbert_50_steps.safetensors`;
const MODEL = `${ROOT}/fixtures/reference/tiny-modernbert`;

async function fiftySteps(backend: BackendName): Promise<void> {
  await selectBackend(backend, { log: () => {} });
  const torch = await readSafetensors(FIXTURE);
  const args = JSON.parse(torch.metadata.args);
  const t = (name: string) => torch.tensors.get(name)!;
  const [steps, rows, seq] = t("step.input_ids").shape;
  const batch = (s: number): MlmBatch => {
    const part = (f: string) => (t(`step.${f}`).data as Int32Array).slice(s * rows * seq, (s + 1) * rows * seq);
    return {
      input_ids: part("input_ids"),
      attention_mask: part("attention_mask"),
      labels: part("labels"),
      shape: [rows, seq],
    };
  };
  const model = await loadMaskedLM(MODEL);
  const optimizer = new AdamW(trainableParams(model), {
    lr: args.lr,
    weightDecay: args.weight_decay,
    betas: args.betas,
    eps: args.eps,
  });
  try {
    // (HF lists the tied decoder.weight too: it is the token embeddings, decayed either way)
    const decayed = (JSON.parse(torch.metadata.decay) as string[]).filter((n) => model.params.has(n));
    assertEquals(
      [...model.params.keys()].filter((n) => !optimizer.noDecayNames.has(n)).sort(),
      decayed.sort(),
      "the decay group of HF Trainer.get_decay_parameter_names",
    );
    const schedule = linearScheduleWithWarmup({
      baseLr: args.lr,
      warmupSteps: args.warmup_steps,
      totalSteps: args.total_steps,
    });
    let worstLoss = 0;
    const losses: number[] = [];
    for (let s = 0; s < steps; s++) {
      const lr = schedule(s);
      assert(Math.abs(lr - t("lr").data[s]) <= 1e-9 + 1e-6 * lr, `step ${s} lr`);
      const r = await trainStep(model, [batch(s)], { optimizer, lr, maxGradNorm: args.max_grad_norm, training: false });
      losses.push(r.loss);
      worstLoss = Math.max(worstLoss, Math.abs(r.loss - t("loss").data[s]) / t("loss").data[s]);
    }
    let worstWeight = 0, worstName = "";
    for (const [name, v] of model.params) {
      const d = maxAbsDiff(await v.data(), t(`param.${name}`).data);
      if (d >= worstWeight) [worstWeight, worstName] = [d, name];
    }
    console.log(
      `${backend}: losses ${losses[0].toFixed(4)} → ${losses.at(-1)!.toFixed(4)}; worst loss rel ` +
        `${worstLoss.toExponential(2)}, worst weight abs ${worstWeight.toExponential(2)} (${worstName})`,
    );
    assert(worstLoss <= 1e-4, `worst per-step loss difference ${worstLoss} (relative)`);
    assert(worstWeight <= 1e-4, `${worstName} after 50 steps: ${worstWeight}`);
    assert(losses.at(-1)! < losses[0] - 0.5, `the run learns: ${losses[0]} → ${losses.at(-1)}`);
  } finally {
    optimizer.dispose();
    model.dispose();
    await selectBackend("cpu", { log: () => {} });
  }
}

Deno.test("ModernBERT: 50 AdamW steps equal PyTorch's on wasm", () => fiftySteps("wasm"));
