// finetune on a RoBERTa checkpoint saved by transformers (the random tiny-roberta of make_roberta_goldens.py, with
// the real roberta-base tokenizer): whole-word masking on byte-level BPE word ids, and a run resumed from
// checkpoint-2 ends byte-identical to the uninterrupted one.
import { assert, assertEquals } from "../support/assert.ts";
import { haveShared } from "../support/shared.ts";
import { DEMO_FIXTURE_DIR } from "../../lib/app/demo.ts";
import { finetune, type FinetuneOptions } from "../../lib/app/finetune.ts";
import { writeRobertaFixture } from "../model/roberta_fixture.ts";
import { TINY_DATA } from "./tiny_data.ts";

Deno.test({
  name: "finetune: a transformers-saved RoBERTa trains and resumes byte-identically (whole-word masking)",
  ignore: !haveShared("data/roberta-base/tokenizer.json", "roberta finetune"),
  fn: async () => {
    const root = await Deno.makeTempDir();
    const model = await writeRobertaFixture("tiny-roberta", "roberta-base");
    try {
      const opts: FinetuneOptions = {
        model,
        dataset: `${DEMO_FIXTURE_DIR}/corpus/movie_reviews.jsonl`,
        ...TINY_DATA,
        wwmProbability: 0.2,
        perDeviceTrainBatchSize: 8,
        learningRate: 1e-3,
        numTrainEpochs: 1,
        backend: "wasm",
        outputDir: `${root}/a`,
        cacheDir: `${root}/cache`,
        saveStrategy: "steps",
        saveSteps: 2,
        log: () => {},
      };
      const full = await finetune(opts);
      assertEquals(full.globalStep, 5);
      const resumed = await finetune({
        ...opts,
        outputDir: `${root}/b`,
        resumeFromCheckpoint: `${root}/a/checkpoint-2`,
      });
      assertEquals(resumed.globalStep, 5);
      const a = await Deno.readFile(`${root}/a/model.safetensors`);
      const b = await Deno.readFile(`${root}/b/model.safetensors`);
      assert(a.length === b.length && a.every((x, i) => x === b[i]), "model.safetensors differ");
      const config = JSON.parse(await Deno.readTextFile(`${root}/b/config.json`));
      assertEquals([config.model_type, config.architectures], ["roberta", ["RobertaForMaskedLM"]]);
      for (const f of ["tokenizer.json", "tokenizer_config.json", "vocab.json", "merges.txt"]) {
        await Deno.stat(`${root}/b/${f}`);
      }
    } finally {
      await Deno.remove(root, { recursive: true });
      await Deno.remove(model, { recursive: true });
    }
  },
});
