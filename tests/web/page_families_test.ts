/**
 * The in-browser page with each model family's local checkpoint folder, in headless Chromium on wasm: a tiny
 * RoBERTa and a tiny XLM-RoBERTa (`<mask>`; the real roberta-base and xlm-roberta-base tokenizers from ../shared,
 * skipped with the reason when it is absent) and a tiny ModernBERT (the folder transformers saved, with its
 * `classifier/` subfolder). The page reads the folder, fills its default prompt
 * in the model's own mask token, trains a few steps, and its perplexity and fill-mask answers before and after are
 * what `adaptInMemory` gives in Deno for the same folder, corpus and settings.
 */
import { assert, assertEquals } from "../support/assert.ts";
import { Browser, haveChromium } from "./chromium.ts";
import { buildWeb } from "../../lib/web/build.ts";
import { serveWeb } from "../../lib/web/serve.ts";
import { adaptInMemory, corpusTexts, withMaskToken } from "../../lib/web/mod.ts";
import { loadMaskedLM, loadTokenizer, selectBackend } from "../../mod.ts";
import type { FillMaskPrediction } from "../../lib/pipelines/fill_mask.ts";
import { haveShared, ROOT } from "../support/shared.ts";
import { writeRobertaFixture } from "../model/roberta_fixture.ts";

const HAVE_CHROMIUM = haveChromium("the page with RoBERTa and ModernBERT folders");
/** The page's default prompt (web/index.html). */
const PAGE_PROMPT = "This is a great [MASK].";
/** The settings both runs use: the page's form values, and the same options for `adaptInMemory`. */
const SETTINGS = { chunkSize: 16, batchSize: 4, maxSteps: 3, epochs: 1, learningRate: 0.001, seed: 42 };

interface FamilyRun {
  state: string;
  error?: string;
  source: string;
  maskToken: string;
  backend: string;
  prompt: string;
  promptField: string;
  steps: number;
  before: number;
  after: number;
  fillBefore: FillMaskPrediction[];
  fillAfter: FillMaskPrediction[];
  files: string[];
}

/** The first 16 demo reviews as a .jsonl corpus file; returns its path. */
async function smallCorpus(): Promise<string> {
  const lines = (await Deno.readTextFile(`${ROOT}/fixtures/demo/corpus/movie_reviews.jsonl`)).split("\n").slice(0, 16);
  const path = await Deno.makeTempFile({ prefix: "mlm-web-corpus-", suffix: ".jsonl" });
  await Deno.writeTextFile(path, lines.join("\n") + "\n");
  return path;
}

/** Pick `folder` and `corpus` in the page's form, set {@link SETTINGS}, press Train on wasm and read the run. */
async function pageRun(folder: string, corpus: string): Promise<FamilyRun> {
  const root = await Deno.makeTempDir({ prefix: "mlm-web-dist-" });
  await buildWeb(`${root}/web`);
  const server = serveWeb(`${root}/web`, { port: 0 });
  const browser = await Browser.launch({ webgpu: false });
  try {
    await browser.goto(`http://127.0.0.1:${server.addr.port}/`);
    await browser.waitFor<boolean>(`typeof globalThis.mlmRun === "object"`, 30_000, "the page's script");
    await browser.setInputFiles("#model-folder", [folder]);
    await browser.setInputFiles("#corpus-file", [corpus]);
    const set = (id: string, value: string | number) =>
      `document.getElementById("${id}").value = ${JSON.stringify(String(value))};`;
    const radio = (name: string, value: string) =>
      `document.querySelector("input[name=${name}][value=${value}]").checked = true;`;
    await browser.evaluate(
      `(() => { ${radio("model", "folder")} ${radio("corpus", "file")} ${set("backend", "wasm")}
        ${set("chunk-size", SETTINGS.chunkSize)} ${set("batch-size", SETTINGS.batchSize)}
        ${set("max-steps", SETTINGS.maxSteps)} ${set("epochs", SETTINGS.epochs)}
        ${set("learning-rate", SETTINGS.learningRate)} ${set("seed", SETTINGS.seed)}
        document.getElementById("train").click(); })()`,
    );
    const state = await browser.waitFor<string>(
      `["done", "error"].includes(document.body.dataset.state) && document.body.dataset.state`,
      300_000,
      "the page's run to finish",
    );
    const run = await browser.evaluate<FamilyRun>(`(() => {
      const r = globalThis.mlmRun;
      return {
        state: ${JSON.stringify(state)}, error: r.error, source: r.source, maskToken: r.maskToken, backend: r.backend,
        prompt: document.getElementById("fill-prompt").textContent,
        promptField: document.getElementById("prompt").value,
        steps: r.steps, before: r.before?.perplexity, after: r.after?.perplexity,
        fillBefore: r.fill_before?.[0], fillAfter: r.fill_after?.[0], files: Object.keys(r.files ?? {}).sort(),
      };
    })()`);
    assertEquals(state, "done", `the page's run failed: ${run.error}\nconsole:\n${browser.console.join("\n")}`);
    // Fill mask with the other family's spelling of the mask token: the page reads it as the model's own.
    const other = run.maskToken === "<mask>" ? "[MASK]" : "<mask>";
    await browser.evaluate(
      `${set("prompt", `The ${other} was amazing.`)} document.getElementById("fill").click();`,
    );
    await browser.waitFor<boolean>(
      `document.getElementById("fill-prompt").textContent === ${
        JSON.stringify(`Prompt: The ${run.maskToken} was amazing.`)
      }
        && document.querySelectorAll("#fill-after li").length === 5`,
      60_000,
      "Fill mask to answer a prompt written with the other spelling",
    );
    assertEquals(browser.errors, [], "the page logged errors");
    return run;
  } finally {
    await browser.close();
    await server.shutdown();
    await Deno.remove(root, { recursive: true });
  }
}

/** The page's run of `folder` against `adaptInMemory` in Deno (tfjs cpu) with the same folder, corpus and settings. */
async function checkFamily(folder: string, family: string, maskToken: string, files: string[]): Promise<void> {
  const corpus = await smallCorpus();
  try {
    const t0 = performance.now();
    const page = await pageRun(folder, corpus);
    const seconds = (performance.now() - t0) / 1000;
    const name = folder.split("/").at(-1)!;
    assertEquals([page.source, page.backend, page.maskToken, page.steps], [name, "wasm", maskToken, 3]);
    const prompt = PAGE_PROMPT.replace("[MASK]", maskToken);
    assertEquals([page.prompt, page.promptField], [`Prompt: ${prompt}`, prompt]);
    assertEquals(page.files, files);

    await selectBackend("cpu", { log: () => {} });
    const tokenizer = await loadTokenizer(folder);
    const model = await loadMaskedLM(folder);
    const texts = corpusTexts("corpus.jsonl", await Deno.readFile(corpus));
    const deno = await adaptInMemory(model, tokenizer, texts, {
      ...SETTINGS,
      prompts: [withMaskToken(PAGE_PROMPT, tokenizer.maskToken)],
    });
    model.dispose();
    const top = (p: FillMaskPrediction[]) =>
      p.map((x) => `${JSON.stringify(x.token_str)} ${x.score.toExponential(2)}`).join(", ");
    console.log(
      `page, ${family} (${name}, wasm, ${page.steps} steps, ${seconds.toFixed(0)} s): perplexity ` +
        `${page.before.toFixed(2)} → ${page.after.toFixed(2)} (Deno: ${deno.before.perplexity.toFixed(2)} → ` +
        `${deno.after.perplexity.toFixed(2)}); "${prompt}" before: ${top(page.fillBefore.slice(0, 3))}; after: ` +
        `${top(page.fillAfter.slice(0, 3))}`,
    );
    const close = (a: number, b: number, what: string) =>
      assert(Math.abs(a - b) <= 1e-4 * Math.abs(b), `${what}: page ${a} vs Deno ${b}`);
    close(page.before, deno.before.perplexity, "perplexity before");
    close(page.after, deno.after.perplexity, "perplexity after");
    for (
      const [phase, p, d] of [["before", page.fillBefore, deno.fillBefore[0]], [
        "after",
        page.fillAfter,
        deno.fillAfter[0],
      ]] as const
    ) {
      assertEquals(p.map((x) => x.token), d.map((x) => x.token), `fill-mask ${phase}: tokens`);
      assertEquals(p.map((x) => x.token_str), d.map((x) => x.token_str), `fill-mask ${phase}: words`);
      p.forEach((x, i) => close(x.score, d[i].score, `fill-mask ${phase}: score of ${x.token_str}`));
    }
  } finally {
    await Deno.remove(corpus);
  }
}

/** The tokenizer files each RoBERTa fixture's folder holds besides config.json and model.safetensors. */
const ROBERTA_FOLDERS = [
  {
    fixture: "tiny-roberta",
    tokenizer: "roberta-base",
    family: "RoBERTa",
    what: "byte-level BPE",
    files: ["merges.txt", "tokenizer.json", "tokenizer_config.json", "vocab.json"],
  },
  {
    fixture: "tiny-xlm-roberta",
    tokenizer: "xlm-roberta-base",
    family: "XLM-RoBERTa",
    what: "Unigram, a 250,002-token vocabulary",
    files: ["tokenizer.json", "tokenizer_config.json"],
  },
] as const;

for (const r of ROBERTA_FOLDERS) {
  Deno.test({
    name: `web page: a tiny ${r.family} folder (<mask>, ${r.what}) trains on wasm and answers as adaptInMemory in Deno`,
    ignore: !HAVE_CHROMIUM || !haveShared(`data/${r.tokenizer}`, `the page with a ${r.fixture} folder`),
    sanitizeResources: false,
    sanitizeOps: false,
    async fn() {
      const dir = await writeRobertaFixture(r.fixture, r.tokenizer);
      const folder = `${dir}/${r.fixture}`;
      await Deno.mkdir(folder);
      for await (const e of Deno.readDir(dir)) {
        if (e.isFile) await Deno.rename(`${dir}/${e.name}`, `${folder}/${e.name}`);
      }
      try {
        await checkFamily(folder, r.family, "<mask>", ["config.json", "model.safetensors", ...r.files].sort());
      } finally {
        await Deno.remove(dir, { recursive: true });
      }
    },
  });
}

Deno.test({
  name: "web page: a tiny ModernBERT folder (with a classifier/ subfolder) trains on wasm and answers as in Deno",
  ignore: !HAVE_CHROMIUM,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await checkFamily(`${ROOT}/fixtures/reference/tiny-modernbert`, "ModernBERT", "[MASK]", [
      "config.json",
      "model.safetensors",
      "tokenizer.json",
      "tokenizer_config.json",
    ]);
  },
});
