import { serveImdb } from "../support/imdb_parquet.ts";
import { assert, assertEquals, assertStringIncludes } from "../support/assert.ts";
import { startHubServer } from "../support/hub_server.ts";
import { runDeno, taskArgs } from "./task_line.ts";
import { readJsonl } from "../../lib/data/jsonl.ts";
import { DEMO_FIXTURE_DIR } from "../../lib/app/demo.ts";
import { evaluateModel } from "../../lib/app/finetune.ts";
import { TINY_DATA } from "./tiny_data.ts";

const TOKEN = "hf_finetune_hub_test_token_5f1c9e0a";
const MODEL_ID = "mlm-test/tiny-distilbert";
const PUSH_ID = "me/tiny-distilbert-finetuned-imdb";

/** Every file under `dir` (recursively), as text. */
async function allFiles(dir: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for await (const e of Deno.readDir(dir)) {
    const path = `${dir}/${e.name}`;
    if (e.isDirectory) { for (const [p, t] of await allFiles(path)) out.set(p, t); }
    else if (e.isFile) out.set(path, new TextDecoder().decode(await Deno.readFile(path)));
  }
  return out;
}

/** `deno task finetune` as a subprocess: deno.json's permissions, plus the local Hub's host. */
async function runFinetune(args: string[], env: Record<string, string>) {
  const { code, stdout, stderr } = await runDeno([...taskArgs("finetune", ["--allow-net=127.0.0.1"]), ...args], env);
  assertEquals(code, 0, `finetune failed:\n${stdout}\n${stderr}`);
  const last = JSON.parse(stdout.trim().split("\n").at(-1)!);
  return { stdout, stderr, last };
}

Deno.test("finetune with Hub ids: download → train → push (every_save) with a model card; offline rerun uses only the cache", async () => {
  const rows: { text: string; label: number }[] = [];
  for await (const r of readJsonl(`${DEMO_FIXTURE_DIR}/corpus/movie_reviews.jsonl`)) {
    rows.push({ text: r.text as string, label: rows.length % 2 });
  }
  const hub = await startHubServer({ tokens: [TOKEN] });
  const root = await Deno.makeTempDir({ prefix: "finetune-hub-" });
  try {
    await hub.addFolder(MODEL_ID, `${DEMO_FIXTURE_DIR}/model`);
    serveImdb(hub, { train: [rows.slice(0, 150), rows.slice(150, 300)], test: [rows.slice(300)] }, 64);

    const common = [
      ...["--model", MODEL_ID, "--dataset", "imdb", "--dataset-config", "plain_text"],
      ...["--chunk-size", "32", "--train-size", "40", "--test-size", "8", "--learning-rate", "1e-3"],
      ...["--per-device-train-batch-size", "8", "--per-device-eval-batch-size", "8", "--max-steps", "4"],
      ...["--save-strategy", "steps", "--save-steps", "2", "--backend", "wasm"],
    ];
    const env = { HF_ENDPOINT: hub.endpoint, HF_HOME: `${root}/hf`, HF_TOKEN: TOKEN };
    const first = await runFinetune([
      ...common,
      ...["--output-dir", `${root}/run`, "--cache-dir", `${root}/prepared`],
      ...["--push-to-hub", "--hub-model-id", PUSH_ID, "--hub-strategy", "every_save", "--hub-private-repo"],
      "--export-onnx",
    ], env);

    // Downloaded: the model and both train shards came from the Hub, into the HF cache layout.
    const paths = hub.requests.map((r) => r.path);
    assert(paths.some((p) => p.includes(`/${MODEL_ID}/resolve/`) && p.endsWith("/model.safetensors")), "model");
    assert(paths.some((p) => p.includes("/api/datasets/imdb/parquet")), "parquet listing");
    await Deno.stat(`${root}/hf/hub/models--mlm-test--tiny-distilbert/snapshots`);
    assert(hub.requests.filter((r) => r.origin === "cdn").every((r) => r.headers.authorization === undefined));

    // Trained and reported.
    assertEquals(first.last.global_step, 4);
    const run = await allFiles(`${root}/run`);
    assert(run.has(`${root}/run/report.html`) && run.has(`${root}/run/model.safetensors`));
    const header = JSON.parse(run.get(`${root}/run/metrics.jsonl`)!.split("\n")[0]);
    assertEquals([header.type, header.model, header.dataset, header.args.push_to_hub], [
      "header",
      MODEL_ID,
      "imdb",
      true,
    ]);

    // Pushed: after each checkpoint save (steps 2 and 4) and at the end, with the model card.
    const repo = hub.repo(PUSH_ID)!;
    assert(repo.private, "--hub-private-repo");
    const messages = [...repo.messages.values()].filter((m) => m !== "initial commit"); // made by repo creation
    assertEquals(messages, ["Training in progress, step 2", "Training in progress, step 4", "End of training"]);
    const files = hub.files(PUSH_ID);
    const pushedFiles = ["config.json", "model.safetensors", "tokenizer.json", "vocab.txt", "report.html", "README.md"];
    for (const f of [...pushedFiles, "onnx/model.onnx"]) {
      assert(files.has(f), `${f} pushed; got ${[...files.keys()].join(", ")}`);
    }
    assert(![...files.keys()].some((f) => f.startsWith("checkpoint-")), "checkpoint folders are not pushed");
    assertEquals(files.get("model.safetensors"), await Deno.readFile(`${root}/run/model.safetensors`));
    const card = new TextDecoder().decode(files.get("README.md"));
    assertStringIncludes(card, `base_model: ${MODEL_ID}`);
    assertStringIncludes(card, "datasets:\n- imdb");
    assertStringIncludes(card, "| Training Loss | Epoch | Step | Validation Loss | Perplexity |");
    assertStringIncludes(
      card,
      `| 0.8 | 4 | ${first.last.eval_loss.toFixed(4)} | ${first.last.perplexity.toFixed(2)} |`,
    );
    assertStringIncludes(card, "- learning_rate: 0.001\n- train_batch_size: 8");
    assertStringIncludes(card, `deno task fill-mask --model ${PUSH_ID} "This is a great [MASK]."`);
    assertStringIncludes(card, `pipeline("fill-mask", "${PUSH_ID}"`); // --export-onnx: the transformers.js snippet

    // The token appears nowhere: output folder (metrics, trainer_state, report, checkpoints), pushed files, output.
    for (const [path, text] of run) assert(!text.includes(TOKEN), `token in ${path}`);
    for (const [path, bytes] of files) assert(!new TextDecoder().decode(bytes).includes(TOKEN), `token in ${path}`);
    assert(!first.stdout.includes(TOKEN) && !first.stderr.includes(TOKEN), "token printed");

    // Offline: same run from the cache only, not one request to the Hub, same result.
    const before = hub.requests.length;
    const second = await runFinetune(
      [...common, "--output-dir", `${root}/offline`, "--cache-dir", `${root}/prepared`],
      {
        ...env,
        HF_HUB_OFFLINE: "1",
      },
    );
    assertEquals(hub.requests.length, before, "offline run made requests");
    assertStringIncludes(second.stdout, "reusing"); // tokenized chunks from the prepared cache
    assertEquals(second.last.eval_loss, first.last.eval_loss);

    // evaluate takes the Hub dataset id too (offline here): the run's last perplexity, from the cache.
    const scored = await evaluateModel({
      model: `${root}/run`,
      dataset: "imdb",
      datasetConfig: "plain_text",
      ...TINY_DATA,
      cacheDir: `${root}/prepared`,
      hub: { offline: true, cacheDir: `${root}/hf/hub` },
      backend: "wasm",
      log: () => {},
    });
    assert(Math.abs(scored.eval_loss - first.last.eval_loss) < 1e-6, `${scored.eval_loss} vs ${first.last.eval_loss}`);
    assertEquals(hub.requests.length, before, "offline evaluate made requests");
  } finally {
    await hub.close();
    await Deno.remove(root, { recursive: true });
  }
});
