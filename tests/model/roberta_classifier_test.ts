// RobertaForSequenceClassification / XLMRobertaForSequenceClassification (RobertaClassificationHead on <s>) against
// transformers: logits, loss and every gradient of a random classifier (classifier.safetensors beside the masked-LM
// goldens, weights re-created from the same hash), and loading a transformers-saved masked-LM folder as a classifier.
import { tf } from "../../lib/deps.ts";
import { readSafetensors } from "../../lib/model/safetensors.ts";
import { parseConfig } from "../../lib/model/config.ts";
import {
  buildSequenceClassifier,
  classifierArchitecture,
  loadSequenceClassifier,
} from "../../lib/model/sequence_classification.ts";
import { assert, assertEquals } from "../support/assert.ts";
import { batchLogits, goldenBatch } from "../support/goldens.ts";
import { haveShared, ROOT } from "../support/shared.ts";
import { hashedWeights, hfKey, ROBERTA_FIXTURES, writeRobertaFixture } from "./roberta_fixture.ts";

function rel(ours: ArrayLike<number>, theirs: ArrayLike<number>): number {
  let diff = 0, scale = 0;
  for (let i = 0; i < theirs.length; i++) {
    diff = Math.max(diff, Math.abs(ours[i] - theirs[i]));
    scale = Math.max(scale, Math.abs(theirs[i]));
  }
  return diff / Math.max(scale, 1e-6);
}

for (const { name, tokenizer } of ROBERTA_FIXTURES) {
  Deno.test({
    name: `${name} sequence classifier: logits, loss and every gradient equal transformers' (cpu)`,
    ignore: !haveShared(`data/${tokenizer}/tokenizer.json`, `${name} classifier`),
    fn: async () => {
      const dir = `${ROOT}/fixtures/reference/${name}`;
      const golden = await readSafetensors(`${dir}/classifier.safetensors`);
      const g = golden.tensors;
      const config = parseConfig(JSON.parse(await Deno.readTextFile(`${dir}/config.json`)));
      assertEquals(classifierArchitecture(config), golden.metadata.transformers_class);
      const values = new Map<string, Float32Array>();
      for (const [n, t] of hashedWeights(JSON.parse(golden.metadata.parameters))) {
        values.set(hfKey(n), t.data as Float32Array);
      }
      const model = buildSequenceClassifier(config, values);
      try {
        const batch = goldenBatch(g);
        const logitsRel = rel(await batchLogits(model, batch), g.get("logits")!.data);
        const { value, grads } = tf.variableGrads(() => model.loss(batch), [...model.params.values()]);
        const lossRel = Math.abs((await value.data())[0] - g.get("loss")!.data[0]) / g.get("loss")!.data[0];
        let worst = 0, worstName = "";
        const cols = g.get("cols")!.data;
        for (const [pname, v] of model.params) {
          const ours = (await grads[v.name].data()) as Float32Array;
          const full = g.get(`grad.${pname}`);
          let r: number;
          if (full) r = rel(ours, full.data);
          else {
            const key = [...g.keys()].find((k) => k.startsWith("grad_rows.") && hfKey(k.slice(10)) === pname)!;
            const width = v.shape[1] ?? 1;
            const picked = new Float32Array(cols.length * width);
            cols.forEach((c, j) => picked.set(ours.subarray(c * width, (c + 1) * width), j * width));
            r = rel(picked, g.get(key)!.data);
          }
          if (r >= worst) [worst, worstName] = [r, pname];
        }
        tf.dispose([value, ...Object.values(grads)]);
        console.log(
          `${name} classifier: logits rel ${logitsRel.toExponential(2)}, loss rel ${
            lossRel.toExponential(2)
          }, worst grad rel ${worst.toExponential(2)} (${worstName})`,
        );
        assert(logitsRel <= 1e-5 && lossRel <= 1e-5, `logits ${logitsRel}, loss ${lossRel}`);
        assert(worst <= 1e-4, `gradient of ${worstName}: ${worst}`);
      } finally {
        model.dispose();
      }
    },
  });
}

Deno.test({
  name: "a transformers-saved RoBERTa masked LM loads as a classifier: new head, lm_head unused",
  ignore: !haveShared("data/roberta-base/tokenizer.json", "roberta classifier load"),
  fn: async () => {
    const dir = await writeRobertaFixture("tiny-roberta", "roberta-base");
    const lines: string[] = [];
    try {
      const model = await loadSequenceClassifier(dir, { labels: ["neg", "pos"], log: (l) => lines.push(l) });
      assertEquals(model.numLabels, 2);
      assert(model.params.has("classifier.out_proj.weight") && !model.params.has("lm_head.bias"));
      const text = lines.join("\n");
      assert(text.includes("classifier.out_proj.weight") && text.includes("lm_head"), text);
      model.dispose();
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
