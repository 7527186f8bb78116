/**
 * Write the inputs of `train_reference.py` and our side of the comparison: the 50-step run of `reference_run.ts`.
 *
 *     deno run --allow-read --allow-write --allow-env --allow-sys tools/reference/export_train_reference.ts OUT_DIR [wasm|cpu|webgpu]
 *     python3 tools/reference/train_reference.py OUT_DIR     # PyTorch's run: compared with ours and with the fixture
 *
 * `train_reference.py` writes PyTorch's side to OUT_DIR/torch.safetensors and compares it with the committed
 * `fixtures/reference/train_50_steps.safetensors`; only `--regenerate` overwrites that fixture.
 *
 * OUT_DIR/initial/     HF folder (config.json, model.safetensors, tokenizer files): the starting weights.
 * OUT_DIR/batches.safetensors  `step.<i>.input_ids|attention_mask|labels` (I32, [batch, seq]) for i = 0..49;
 *                              metadata `digest` (see `batchDigest`).
 * OUT_DIR/ours.safetensors     `loss` (F32 [50], mean masked-token loss of each step before its update), `lr`
 *                              (F32 [50], the rate each step used) and `param.<name>` after the 50 steps.
 * OUT_DIR/args.json            lr, weight decay, warmup, total steps, max grad norm, betas, eps, batch size.
 *
 * @module
 */
import { selectBackend } from "../../lib/model/backend.ts";
import { loadMaskedLM, savePretrained } from "../../lib/model/pretrained.ts";
import { type SafeTensor, writeSafetensors } from "../../lib/model/safetensors.ts";
import { batchDigest, REFERENCE_ARGS, REFERENCE_MODEL_DIR, referenceBatches, runReference } from "./reference_run.ts";

const out = Deno.args[0];
if (!out) throw new Error("usage: export_train_reference.ts OUT_DIR [wasm|cpu|webgpu] (e.g. /tmp/ref50)");
await selectBackend((Deno.args[1] ?? "wasm") as "wasm");
await Deno.mkdir(out, { recursive: true });
await savePretrained(await loadMaskedLM(REFERENCE_MODEL_DIR), `${out}/initial`, { tokenizerDir: REFERENCE_MODEL_DIR });
const batches = await referenceBatches();
const digest = await batchDigest(batches);
const named = new Map<string, SafeTensor>();
batches.forEach((batch, step) => {
  for (const f of ["input_ids", "attention_mask", "labels"] as const) {
    named.set(`step.${step}.${f}`, { shape: [...batch.shape], data: batch[f] });
  }
});
const { model, losses, lrs } = await runReference(batches);
const ours = new Map<string, SafeTensor>([
  ["loss", { shape: [losses.length], data: Float32Array.from(losses) }],
  ["lr", { shape: [lrs.length], data: Float32Array.from(lrs) }],
]);
for (const [name, v] of model.params) {
  ours.set(`param.${name}`, { shape: v.shape, data: (await v.data()) as Float32Array });
}
await writeSafetensors(`${out}/batches.safetensors`, named, { metadata: { digest } });
await writeSafetensors(`${out}/ours.safetensors`, ours);
await Deno.writeTextFile(`${out}/args.json`, JSON.stringify({ ...REFERENCE_ARGS, digest }, null, 2) + "\n");
console.log(`wrote ${out}: losses ${losses[0].toFixed(4)} → ${losses.at(-1)!.toFixed(4)}; batches ${digest}`);
