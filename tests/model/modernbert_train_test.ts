// Training a transformers-saved ModernBERT (fixtures/reference/tiny-modernbert) with the project's trainer: the loss
// falls, an interrupted and resumed run ends on byte-identical weights, and the saved config.json keeps transformers'
// float fields as floats (transformers 5 refuses `"initializer_cutoff_factor": 2`).
import { assert, assertEquals } from "../support/assert.ts";
import { selectBackend } from "../../lib/model/backend.ts";
import { loadMaskedLM, savePretrained } from "../../lib/model/pretrained.ts";
import { loadTokenizer } from "../../lib/tokenize/tokenizer.ts";
import { readTexts } from "../../lib/data/records.ts";
import { createMlmCollator } from "../../lib/collate/mlm.ts";
import { batchFixed, maskOnce } from "../../lib/collate/mask_once.ts";
import type { Rng } from "../../lib/data/rng.ts";
import { DEMO_FIXTURE_DIR, textsToChunks } from "../../lib/train/demo.ts";
import { train, type TrainArgs } from "../../lib/train/trainer.ts";
import { ROOT } from "../support/shared.ts";

const MODEL = `${ROOT}/fixtures/reference/tiny-modernbert`;

async function run(outputDir: string, args: Partial<TrainArgs>, stopAfter?: number) {
  await selectBackend("wasm", { log: () => {} });
  const tokenizer = await loadTokenizer(MODEL);
  const texts: string[] = [];
  for await (const t of readTexts(`${DEMO_FIXTURE_DIR}/corpus/movie_reviews.jsonl`)) texts.push(t);
  const chunks = textsToChunks(texts.slice(0, 60), tokenizer, { chunkSize: 40 }); // longer than the 16-token window
  const ids = {
    maskTokenId: tokenizer.maskTokenId,
    vocabSize: tokenizer.vocabSize,
    specialIds: tokenizer.allSpecialIds,
    padTokenId: tokenizer.padTokenId,
  };
  const evalBatches = batchFixed(maskOnce(chunks.slice(0, 8), createMlmCollator({ ...ids, seed: 9 })), 4);
  const model = await loadMaskedLM(MODEL);
  const controller = new AbortController();
  try {
    return await train(model, {
      outputDir,
      learningRate: 3e-3,
      perDeviceTrainBatchSize: 8,
      numTrainEpochs: 2,
      warmupSteps: 2,
      seed: 3,
      saveStrategy: "epoch",
      ...args,
    }, {
      train: chunks.slice(8, 40),
      evalBatches,
      makeCollator: (rng: Rng) => createMlmCollator({ ...ids, rng }),
      saveModel: (dir) => savePretrained(model, dir, { tokenizerDir: MODEL }),
      signal: controller.signal,
      progress: false,
      log: () => {},
      onStep: (s) => {
        if (s === stopAfter) controller.abort();
      },
    });
  } finally {
    model.dispose();
  }
}

Deno.test("ModernBERT trains; interrupted at step 3 and resumed gives byte-identical weights", async () => {
  const root = await Deno.makeTempDir();
  try {
    const full = await run(`${root}/full`, {});
    assertEquals(full.globalStep, 8);
    assert(full.evals[1].eval_loss < full.evals[0].eval_loss, `eval loss falls: ${JSON.stringify(full.evals)}`);
    const cut = await run(`${root}/cut`, {}, 3);
    assertEquals(cut.interrupted, `${root}/cut/checkpoint-3`);
    const resumed = await run(`${root}/cut`, { resumeFromCheckpoint: `${root}/cut/checkpoint-3` });
    assertEquals(resumed.globalStep, 8);
    const a = await Deno.readFile(`${root}/full/model.safetensors`);
    const b = await Deno.readFile(`${root}/cut/model.safetensors`);
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
