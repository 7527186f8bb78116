/**
 * Write the inputs of `train_reference.py` and our side of the comparison: 50 AdamW steps of the demo's tiny
 * DistilBERT on the demo movie reviews (eval mode, so no dropout randomness to reproduce), every batch as masked.
 *
 *     deno run --allow-read --allow-write --allow-env --allow-sys tools/reference/export_train_reference.ts OUT_DIR
 *
 * OUT_DIR/initial/     HF folder (config.json, model.safetensors, tokenizer files): the starting weights.
 * OUT_DIR/batches.safetensors  `step.<i>.input_ids|attention_mask|labels` (I32, [batch, seq]) for i = 0..49.
 * OUT_DIR/ours.safetensors     `loss` (F32 [50], mean masked-token loss of each step before its update), `lr`
 *                              (F32 [50], the rate each step used) and `param.<name>` after the 50 steps.
 * OUT_DIR/args.json            lr, weight decay, warmup, total steps, max grad norm, betas, eps.
 *
 * @module
 */
import { selectBackend } from "../../lib/model/backend.ts";
import { loadMaskedLM, savePretrained } from "../../lib/model/pretrained.ts";
import { type SafeTensor, writeSafetensors } from "../../lib/model/safetensors.ts";
import { loadTokenizer } from "../../lib/tokenize/tokenizer.ts";
import { readTexts } from "../../lib/data/records.ts";
import { createMlmCollator } from "../../lib/collate/mlm.ts";
import { Rng } from "../../lib/data/rng.ts";
import { AdamW } from "../../lib/train/adamw.ts";
import { linearScheduleWithWarmup } from "../../lib/train/schedule.ts";
import { trainableParams, trainStep } from "../../lib/train/trainer.ts";
import { DEMO_FIXTURE_DIR, textsToChunks } from "../../lib/train/demo.ts";

const out = Deno.args[0];
if (!out) throw new Error("usage: export_train_reference.ts OUT_DIR");
const backend = (Deno.args[1] ?? "wasm") as "wasm";
await selectBackend(backend);
const args = {
  lr: 1e-3,
  weight_decay: 0.01,
  warmup_steps: 5,
  total_steps: 50,
  max_grad_norm: 1.0,
  betas: [0.9, 0.999],
  eps: 1e-8,
};
const modelDir = `${DEMO_FIXTURE_DIR}/model`;
const tokenizer = await loadTokenizer(modelDir);
const model = await loadMaskedLM(modelDir);
await Deno.mkdir(out, { recursive: true });
await savePretrained(model, `${out}/initial`, { tokenizerDir: modelDir });
const texts: string[] = [];
for await (const t of readTexts(`${DEMO_FIXTURE_DIR}/corpus/movie_reviews.jsonl`)) texts.push(t);
const chunks = textsToChunks(texts, tokenizer, { chunkSize: 64 });
const collate = createMlmCollator({
  maskTokenId: tokenizer.maskTokenId,
  vocabSize: tokenizer.vocabSize,
  specialIds: tokenizer.allSpecialIds,
  padTokenId: tokenizer.padTokenId,
  rng: new Rng(1234),
});
const optimizer = new AdamW(trainableParams(model), { lr: args.lr, weightDecay: args.weight_decay });
const schedule = linearScheduleWithWarmup({
  baseLr: args.lr,
  warmupSteps: args.warmup_steps,
  totalSteps: args.total_steps,
});
const batches = new Map<string, SafeTensor>();
const losses: number[] = [], lrs: number[] = [];
for (let step = 0; step < args.total_steps; step++) {
  const rows = Array.from({ length: 16 }, (_, i) => chunks[(step * 16 + i) % chunks.length]);
  const batch = collate(rows);
  for (const f of ["input_ids", "attention_mask", "labels"] as const) {
    batches.set(`step.${step}.${f}`, { shape: [...batch.shape], data: batch[f] });
  }
  const lr = schedule(step);
  const r = await trainStep(model, [batch], { optimizer, lr, maxGradNorm: args.max_grad_norm, training: false });
  losses.push(r.loss);
  lrs.push(lr);
}
const ours = new Map<string, SafeTensor>([
  ["loss", { shape: [losses.length], data: Float32Array.from(losses) }],
  ["lr", { shape: [lrs.length], data: Float32Array.from(lrs) }],
]);
for (const [name, v] of model.params) ours.set(`param.${name}`, { shape: v.shape, data: v.dataSync() as Float32Array });
await writeSafetensors(`${out}/batches.safetensors`, batches);
await writeSafetensors(`${out}/ours.safetensors`, ours);
await Deno.writeTextFile(`${out}/args.json`, JSON.stringify(args, null, 2) + "\n");
console.log(`wrote ${out}: losses ${losses[0].toFixed(4)} → ${losses.at(-1)!.toFixed(4)}`);
