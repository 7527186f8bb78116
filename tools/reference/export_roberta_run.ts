/**
 * Write the inputs of the RoBERTa 50-step reference run for tools/reference/train_roberta_reference.py:
 * OUT/initial/ (the random tiny RoBERTa folder, as transformers saved it), OUT/batches.safetensors, OUT/args.json.
 *
 *   deno run --allow-read --allow-write --allow-env tools/reference/export_roberta_run.ts /tmp/roberta50
 *
 * @module
 */
import { type SafeTensor, writeSafetensors } from "../../lib/model/safetensors.ts";
import { batchDigest } from "./reference_run.ts";
import { ROBERTA_RUN_ARGS, robertaBatches } from "./roberta_run.ts";
import { writeRobertaFixture } from "../../tests/model/roberta_fixture.ts";

const out = Deno.args[0];
if (!out) throw new Error("usage: export_roberta_run.ts OUT_DIR (e.g. /tmp/roberta50)");
await Deno.mkdir(out, { recursive: true });
const initial = await writeRobertaFixture("tiny-roberta", "roberta-base");
await Deno.remove(`${out}/initial`, { recursive: true }).catch(() => {});
await Deno.rename(initial, `${out}/initial`);
const batches = await robertaBatches(`${out}/initial`);
const digest = await batchDigest(batches);
const named = new Map<string, SafeTensor>();
batches.forEach((batch, step) => {
  for (const f of ["input_ids", "attention_mask", "labels"] as const) {
    named.set(`step.${step}.${f}`, { shape: [...batch.shape], data: batch[f] });
  }
});
await writeSafetensors(`${out}/batches.safetensors`, named, { metadata: { digest } });
await Deno.writeTextFile(`${out}/args.json`, JSON.stringify({ ...ROBERTA_RUN_ARGS, digest }, null, 2) + "\n");
console.log(`wrote ${out}: ${batches.length} batches ${digest}`);
