import { assert, assertEquals, assertStringIncludes } from "../support/assert.ts";
import { modelCard, modelCardFromFolder } from "../../lib/hub/model_card.ts";

Deno.test("modelCard writes YAML front matter, hyperparameters, a per-epoch perplexity table and usage", () => {
  const card = modelCard({
    repoId: "me/distilbert-base-uncased-finetuned-imdb",
    baseModel: "distilbert-base-uncased",
    dataset: "imdb",
    hyperparameters: { learning_rate: 2e-5, train_batch_size: 64, seed: 42, lr_scheduler_type: "linear" },
    epochs: [
      { epoch: 1, step: 157, trainLoss: 2.7, evalLoss: 2.4561, perplexity: Math.exp(2.4561) },
      { epoch: 2, step: 314, trainLoss: 2.55, evalLoss: 2.4131, perplexity: Math.exp(2.4131) },
    ],
  });
  const [, front] = card.split("---\n");
  assertEquals(front.split("\n").slice(0, 8), [
    "license: apache-2.0",
    "base_model: distilbert-base-uncased",
    "tags:",
    "- generated_from_trainer",
    "- fill-mask",
    "datasets:",
    "- imdb",
    "pipeline_tag: fill-mask",
  ]);
  assertStringIncludes(card, "- name: distilbert-base-uncased-finetuned-imdb\n  results: []\n---\n");
  assertStringIncludes(
    card,
    "- learning_rate: 2e-05\n- train_batch_size: 64\n- seed: 42\n- lr_scheduler_type: linear\n",
  );
  assertStringIncludes(card, "| Training Loss | Epoch | Step | Validation Loss | Perplexity |");
  assertStringIncludes(card, "| 2.7000 | 1.0 | 157 | 2.4561 | 11.66 |");
  assertStringIncludes(card, "| 2.5500 | 2.0 | 314 | 2.4131 | 11.17 |");
  assertStringIncludes(card, "- Perplexity: 11.17");
  assertStringIncludes(card, 'pipeline("fill-mask", model="me/distilbert-base-uncased-finetuned-imdb")');
  assertStringIncludes(
    card,
    'deno task fill-mask --model me/distilbert-base-uncased-finetuned-imdb --text "This is a great [MASK]."',
  );
});

Deno.test("modelCard quotes YAML values that need it", () => {
  const card = modelCard({ repoId: "me/m", baseModel: "/tmp/my model: v1", hyperparameters: {}, epochs: [] });
  assertStringIncludes(card, 'base_model: "/tmp/my model: v1"');
  assert(!card.includes("datasets:"));
});

Deno.test("modelCardFromFolder reads config.json and trainer_state.json log_history", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/config.json`, JSON.stringify({ _name_or_path: "bert-base-uncased" }));
    await Deno.writeTextFile(
      `${dir}/trainer_state.json`,
      JSON.stringify({
        log_history: [
          { epoch: 1, step: 5, loss: 3.5 },
          { epoch: 1, step: 5, eval_loss: 3 },
          { epoch: 2, step: 10, loss: 2.5 },
          { epoch: 2, step: 10, eval_loss: 2 },
        ],
      }),
    );
    const card = await modelCardFromFolder(dir, { repoId: "me/m", dataset: "imdb" });
    assertStringIncludes(card, "base_model: bert-base-uncased");
    assertStringIncludes(card, "| 3.5000 | 1.0 | 5 | 3.0000 | 20.09 |");
    assertStringIncludes(card, "| 2.5000 | 2.0 | 10 | 2.0000 | 7.39 |");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
