// Fine-tuning a transformers-saved ModernBERT (fixtures/reference/tiny-modernbert) with `deno task finetune`: the eval
// loss falls, a run resumed from its epoch-1 checkpoint ends on byte-identical weights, and the saved config.json
// keeps transformers' float fields as floats (transformers 5 refuses `"initializer_cutoff_factor": 2`).
import { assert, assertEquals } from "../support/assert.ts";
import { loadMaskedLM } from "../../lib/model/pretrained.ts";
import { ROOT } from "../support/shared.ts";

const FLAGS = [
  ["--model", `${ROOT}/fixtures/reference/tiny-modernbert`],
  ["--dataset", `${ROOT}/fixtures/demo/corpus/movie_reviews.jsonl`],
  ["--chunk-size", "40"], // longer than the 16-token window
  ["--train-size", "64"],
  ["--test-size", "16"],
  ["--per-device-train-batch-size", "16"],
  ["--per-device-eval-batch-size", "16"],
  ["--num-train-epochs", "2"],
  ["--learning-rate", "3e-3"],
  ["--warmup-steps", "2"],
  ["--backend", "wasm"],
].flat();

async function finetune(cacheDir: string, outputDir: string, extra: string[] = []): Promise<Record<string, unknown>> {
  const { code, stdout, stderr } = await new Deno.Command("deno", {
    args: ["task", "finetune", ...FLAGS, "--cache-dir", cacheDir, "--output-dir", outputDir, ...extra],
    cwd: ROOT,
    env: { NO_COLOR: "1" },
  }).output();
  assertEquals(code, 0, new TextDecoder().decode(stderr));
  return JSON.parse(new TextDecoder().decode(stdout).trim().split("\n").at(-1)!);
}

Deno.test("ModernBERT fine-tunes; resumed from its checkpoint it ends on byte-identical weights", async () => {
  const root = await Deno.makeTempDir();
  try {
    const full = await finetune(`${root}/cache`, `${root}/full`);
    assertEquals(full.global_step, 8);
    const evals = (await Deno.readTextFile(`${root}/full/metrics.jsonl`)).trim().split("\n").map((l) => JSON.parse(l))
      .filter((l) => typeof l.eval_loss === "number").map((l) => l.eval_loss as number);
    assertEquals(evals.length, 2);
    assert(evals[1] < evals[0], `eval loss falls: ${evals}`);
    await Deno.mkdir(`${root}/resumed`);
    await Deno.rename(`${root}/full/checkpoint-4`, `${root}/resumed/checkpoint-4`);
    const resumed = await finetune(`${root}/cache`, `${root}/resumed`, [
      "--resume-from-checkpoint",
      `${root}/resumed/checkpoint-4`,
    ]);
    assertEquals(resumed.global_step, 8);
    const a = await Deno.readFile(`${root}/full/model.safetensors`);
    const b = await Deno.readFile(`${root}/resumed/model.safetensors`);
    assert(a.length === b.length && a.every((x, i) => x === b[i]), "final model.safetensors differ");
    const config = await Deno.readTextFile(`${root}/full/config.json`);
    assert(config.includes('"initializer_cutoff_factor": 2.0,'), "a float field stays a float");
    assert(config.includes('"model_type": "modernbert"') && config.includes('"ModernBertForMaskedLM"'));
    const back = await loadMaskedLM(`${root}/full`);
    assertEquals(back.numParameters(), 38117);
    back.dispose();
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
