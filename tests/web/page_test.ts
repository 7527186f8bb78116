/**
 * The in-browser fine-tuning page, end to end in headless Chromium: `buildWeb` writes the static folder,
 * `serveWeb` serves it, the page adapts the demo model on the demo corpus in its Web Worker on WebGPU (Dawn,
 * SwiftShader here), perplexity falls, the downloaded `model.safetensors` loads in the Deno toolkit and gives the
 * page's logits, and the page logs no error. Without WebGPU the page trains on wasm and says so. By default (`auto`)
 * it passes over the fallback adapter, trains on wasm and says why; Stop ends a wasm run after the current step.
 */
import { assert, assertEquals } from "../support/assert.ts";
import { Browser, haveChromium } from "./chromium.ts";
import { buildWeb } from "../../lib/web/build.ts";
import { serveWeb } from "../../lib/web/serve.ts";
import { loadMaskedLM, selectBackend, tf } from "../../mod.ts";

const HAVE_CHROMIUM = haveChromium("in-browser fine-tuning page");
const DEMO_MODEL = new URL("../../fixtures/demo/model", import.meta.url).pathname;

interface PageRun {
  backend: string;
  source: string;
  note: string;
  error?: string;
  before: number;
  after: number;
  losses: number[];
  steps: number;
  files: string[];
  probe: { input_ids: number[]; attention_mask: number[]; shape: [number, number]; logits: number[] };
}

const READ_RUN = `(() => {
  const r = globalThis.mlmRun;
  const p = r.probe;
  return {
    backend: r.backend, source: r.source, error: r.error, before: r.before?.perplexity, after: r.after?.perplexity,
    losses: r.losses, steps: r.steps, files: Object.keys(r.files ?? {}),
    note: document.getElementById("backend-note").textContent,
    probe: p && { input_ids: [...p.input_ids], attention_mask: [...p.attention_mask], shape: p.shape, logits: [...p.logits] },
  };
})()`;

/** Build the page once for every test of this file. */
let built: Promise<string> | undefined;
function buildOnce(): Promise<string> {
  built ??= (async () => {
    const dir = await Deno.makeTempDir({ prefix: "mlm-web-dist-" });
    await buildWeb(`${dir}/web`);
    return `${dir}/web`;
  })();
  return built;
}

/** Open the page with `query` (autorun) in a fresh Chromium; returns the run's numbers, the browser still open. */
async function runPage(
  query: string,
  webgpu = true,
): Promise<{ run: PageRun; browser: Browser; stop: () => Promise<void> }> {
  const root = await buildOnce();
  const server = serveWeb(root, { port: 0 });
  const browser = await Browser.launch({ webgpu });
  const stop = async () => {
    await browser.close();
    await server.shutdown();
  };
  try {
    await browser.goto(`http://127.0.0.1:${server.addr.port}/?autorun=1&${query}`);
    const state = await browser.waitFor<string>(
      `["done", "error"].includes(document.body.dataset.state) && document.body.dataset.state`,
      300_000,
      "the page's run to finish",
    );
    const run = await browser.evaluate<PageRun>(READ_RUN);
    assertEquals(state, "done", `the page's run failed: ${run.error}\nconsole:\n${browser.console.join("\n")}`);
    return { run, browser, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}

Deno.test({
  name: "web page: adapts the demo model on WebGPU in headless Chromium; the download gives the page's logits",
  ignore: !HAVE_CHROMIUM,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const t0 = performance.now();
    const { run, browser, stop } = await runPage("epochs=1&maxSteps=3&backend=webgpu");
    try {
      console.log(
        `page: ${run.backend}, ${run.steps} steps, losses ${run.losses.map((l) => l.toFixed(3))}, perplexity ` +
          `${run.before.toFixed(2)} → ${run.after.toFixed(2)} (${((performance.now() - t0) / 1000).toFixed(0)} s)`,
      );
      assertEquals(run.backend, "webgpu", `the page did not train on WebGPU: ${run.note}`);
      // The worker trains; the page's main thread answers while it does (a step on the main thread blocks for seconds).
      console.log(`slowest page answer during the run: ${browser.slowestEvaluateMs.toFixed(0)} ms`);
      assert(browser.slowestEvaluateMs < 3000, `the page was unresponsive for ${browser.slowestEvaluateMs} ms`);
      assertEquals(run.steps, 3);
      assert(run.after < run.before, `perplexity did not fall: ${run.before} → ${run.after}`);
      assertEquals(run.files.sort(), [
        "config.json",
        "model.safetensors",
        "special_tokens_map.json",
        "tokenizer.json",
        "tokenizer_config.json",
        "vocab.txt",
      ]);

      // Download through the page's links, as a user does; the files land in the browser's download folder.
      for (const name of ["config.json", "model.safetensors", "tokenizer.json"]) {
        await browser.evaluate(`document.querySelector('a[data-file="${name}"]').click()`);
        await browser.downloaded(name);
      }
      await selectBackend("cpu", { log: () => {} });
      const model = await loadMaskedLM(browser.downloads);
      const { input_ids, attention_mask, shape, logits: pageLogits } = run.probe;
      const logits = tf.tidy(() =>
        model.logits(tf.tensor2d(input_ids, shape, "int32"), tf.tensor2d(attention_mask, shape, "int32"))
      );
      const denoLogits = await logits.data();
      logits.dispose();
      model.dispose();
      assertEquals(denoLogits.length, pageLogits.length);
      let worst = 0, scale = 0;
      for (let i = 0; i < denoLogits.length; i++) {
        worst = Math.max(worst, Math.abs(denoLogits[i] - pageLogits[i]));
        scale = Math.max(scale, Math.abs(denoLogits[i]));
      }
      console.log(
        `downloaded model on Deno's cpu backend vs the page's WebGPU logits: max |Δ| = ${worst.toExponential(2)} ` +
          `(largest |logit| ${scale.toFixed(1)})`,
      );
      // 1e-5 relative to the logits' scale: two float32 implementations (Dawn's GPU kernels, tfjs-cpu) round apart
      // by an ulp or two of the largest logits (an ulp of 16 is 1.9e-6).
      assert(worst <= 1e-5 * Math.max(1, scale), `logits differ by ${worst} (> 1e-5 × ${scale.toFixed(1)})`);
      assertEquals(browser.errors, [], "the page logged errors");
    } finally {
      await stop();
    }
  },
});

Deno.test({
  name: "web page: without WebGPU it trains on wasm and says so (a Hub-mirror model, whole-word masking, chunks of 16)",
  ignore: !HAVE_CHROMIUM,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    // The model comes from a Hub mirror (the same server, HF's /ID/resolve/main/FILE layout) through the page's Hub
    // path. Headless Chromium without --enable-unsafe-webgpu has no WebGPU adapter.
    const root = await buildOnce();
    const mirror = `${root}/hub-mirror/demo-org/demo-model/resolve/main`;
    await Deno.mkdir(mirror, { recursive: true });
    for (const f of ["config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json"]) {
      await Deno.copyFile(`${DEMO_MODEL}/${f}`, `${mirror}/${f}`);
    }
    const { run, browser, stop } = await runPage(
      "epochs=1&maxSteps=2&chunkSize=16&masking=whole-word&backend=webgpu&model=hub&hubId=demo-org/demo-model" +
        "&hubEndpoint=/hub-mirror/",
      false,
    );
    try {
      assertEquals(run.backend, "wasm");
      assert(run.note.includes("WebGPU is not available"), `the page does not say it fell back: ${run.note}`);
      assertEquals(run.steps, 2);
      assertEquals(run.source, "demo-org/demo-model");
      assert(run.after < run.before, `perplexity did not fall: ${run.before} → ${run.after}`);
      assertEquals(browser.errors, [], "the page logged errors");
    } finally {
      await stop();
    }
  },
});

Deno.test({
  name:
    "web page: auto passes over a fallback adapter (SwiftShader) for wasm and says why; Stop ends a wasm run at once",
  ignore: !HAVE_CHROMIUM,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const root = await buildOnce();
    const server = serveWeb(root, { port: 0 });
    const browser = await Browser.launch({ webgpu: true }); // Chromium's WebGPU here: SwiftShader, a fallback adapter
    try {
      // No backend in the query: the form's default, auto. One epoch of the demo corpus is 53 steps.
      await browser.goto(`http://127.0.0.1:${server.addr.port}/?autorun=1&epochs=1`);
      await browser.waitFor<boolean>(`(globalThis.mlmRun.step ?? 0) >= 2`, 120_000, "the run's second step");
      // Read the step the page has shown and click Stop in one go (the page's main thread runs both at once).
      const clickedAt = await browser.evaluate<number>(
        `(() => { const s = globalThis.mlmRun.step; document.getElementById("stop").click(); return s; })()`,
      );
      const state = await browser.waitFor<string>(
        `["done", "error"].includes(document.body.dataset.state) && document.body.dataset.state`,
        120_000,
        "the stopped run to finish",
      );
      const run = await browser.evaluate<PageRun & { data: { totalSteps: number } }>(
        READ_RUN.replace("backend: r.backend,", "backend: r.backend, data: r.data,"),
      );
      assertEquals(state, "done", `the page's run failed: ${run.error}\nconsole:\n${browser.console.join("\n")}`);
      console.log(`auto chose ${run.backend}: ${run.note}`);
      console.log(`Stop clicked at step ${clickedAt} of ${run.data.totalSteps}: the run ended after step ${run.steps}`);
      assertEquals(run.backend, "wasm", `auto took the fallback adapter: ${run.note}`);
      assert(/fallback \(software\) adapter/.test(run.note) && /swiftshader/i.test(run.note), run.note);
      assert(run.note.includes("choose WebGPU"), `the page does not say how to train on WebGPU anyway: ${run.note}`);
      assertEquals(run.data.totalSteps, 53);
      assert(run.steps <= clickedAt + 2, `Stop at step ${clickedAt}, yet the run went on to step ${run.steps}`);
      assert(
        run.after > 0 && run.files.includes("model.safetensors"),
        "a stopped run still evaluates and offers files",
      );
      assertEquals(browser.errors, [], "the page logged errors");
    } finally {
      await browser.close();
      await server.shutdown();
    }
  },
});

Deno.test({
  name:
    "web page: plain messages — Fill before Train, a missing Hub model, a broken local file — and a clean record after",
  ignore: !HAVE_CHROMIUM,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const root = await buildOnce();
    const mirror = `${root}/hub-mirror/demo-org/demo-model/resolve/main`; // the wasm test's mirror; made if absent
    await Deno.mkdir(mirror, { recursive: true });
    const picked = await Deno.makeTempDir({ prefix: "mlm-web-picked-" });
    for (const f of ["config.json", "tokenizer.json"]) await Deno.copyFile(`${DEMO_MODEL}/${f}`, `${picked}/${f}`);
    await Deno.writeFile(`${picked}/model.safetensors`, new Uint8Array(16)); // a header length of 0: not a checkpoint
    const server = serveWeb(root, { port: 0 });
    const browser = await Browser.launch({ webgpu: false });
    const status = () =>
      browser.evaluate<{ text: string; error: boolean }>(
        `({ text: document.getElementById("status").textContent, error: document.getElementById("status").className === "error" })`,
      );
    const train = async (setup: string) => {
      await browser.evaluate(`(() => { ${setup}; document.getElementById("train").click(); })()`);
      return await browser.waitFor<string>(
        `["done", "error"].includes(document.body.dataset.state) && document.body.dataset.state`,
        120_000,
        "the run to end",
      );
    };
    try {
      await browser.goto(`http://127.0.0.1:${server.addr.port}/?hubEndpoint=/hub-mirror/`);
      await browser.waitFor<boolean>(`typeof globalThis.mlmRun === "object"`, 30_000, "the page's script");
      // No blank chart area before the first step.
      assertEquals(await browser.evaluate<number>(`document.getElementById("chart").offsetHeight`), 0);

      // Fill mask before any model is loaded: a plain instruction, not an error.
      await browser.evaluate(`document.getElementById("fill").click()`);
      let s = await status();
      assert(!s.error && s.text.includes("press Train first"), JSON.stringify(s));

      // A Hub id the mirror does not have: the error names the URL and what the status means.
      const radio = (name: string, value: string) =>
        `document.querySelector("input[name=${name}][value=${value}]").checked = true`;
      const set = (id: string, value: string) => `document.getElementById("${id}").value = ${JSON.stringify(value)}`;
      const common = `${set("backend", "wasm")}; ${set("max-steps", "1")}`;
      assertEquals(
        await train(`${common}; ${radio("model", "hub")}; ${set("hub-id", "demo-org/no-such-model")}`),
        "error",
      );
      s = await status();
      assert(s.error, JSON.stringify(s));
      assert(
        /GET http:\/\/127\.0\.0\.1:\d+\/hub-mirror\/demo-org\/no-such-model\/resolve\/main\/config\.json: HTTP 404/
          .test(s.text) &&
          s.text.includes("check the id"),
        s.text,
      );

      // Local files chosen one by one, one of them broken: the error names that file, not a made-up folder.
      await browser.setInputFiles(
        "#model-files",
        ["config.json", "model.safetensors", "tokenizer.json"].map((f) => `${picked}/${f}`),
      );
      assertEquals(await train(`${common}; ${radio("model", "files")}`), "error");
      s = await status();
      assert(s.text.startsWith("model.safetensors: ") && !s.text.includes("local folder"), s.text);
      assertEquals(await browser.evaluate<string>(`globalThis.mlmRun.error`), s.text);

      // Then a good run: the old error is gone from the status and the run record; the fill panel names its prompt.
      assertEquals(await train(`${common}; ${radio("model", "demo")}`), "done");
      s = await status();
      assert(!s.error && s.text.startsWith("done: 1 steps"), JSON.stringify(s));
      assertEquals(await browser.evaluate<unknown>(`globalThis.mlmRun.error ?? null`), null);
      assertEquals(
        await browser.evaluate<string>(`document.getElementById("fill-prompt").textContent`),
        "Prompt: This is a great [MASK].",
      );
      assert(await browser.evaluate<number>(`document.getElementById("chart").offsetHeight`) > 100, "the chart shows");

      // Fill mask on a new prompt answers that prompt, and says so.
      await browser.evaluate(`${set("prompt", "The [MASK] was amazing.")}; document.getElementById("fill").click()`);
      await browser.waitFor<boolean>(
        `document.getElementById("fill-prompt").textContent === "Prompt: The [MASK] was amazing."`,
        30_000,
        "the fill-mask panel to answer the new prompt",
      );
      assertEquals(await browser.evaluate<number>(`document.querySelectorAll("#fill-after li").length`), 5);
      // The only console errors: the browser's own line for the mirror's 404.
      assertEquals(browser.errors.filter((e) => !/404 \(Not Found\)/.test(e)), [], "the page logged errors");
    } finally {
      await browser.close();
      await server.shutdown();
      await Deno.remove(picked, { recursive: true });
    }
  },
});

Deno.test({
  name: "web page: fp16 trains with loss scaling where the adapter has shader-f16, else fails saying it needs it",
  ignore: !HAVE_CHROMIUM,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const root = await buildOnce();
    const server = serveWeb(root, { port: 0 });
    const browser = await Browser.launch({ webgpu: true });
    try {
      await browser.goto(`http://127.0.0.1:${server.addr.port}/?autorun=1&epochs=1&maxSteps=2&backend=webgpu&fp16=1`);
      const state = await browser.waitFor<string>(
        `["done", "error"].includes(document.body.dataset.state) && document.body.dataset.state`,
        300_000,
        "the page's fp16 run to finish",
      );
      const offered = await browser.evaluate<boolean>(`!document.getElementById("fp16-label").hidden`);
      const run = await browser.evaluate<PageRun>(READ_RUN);
      console.log(`page fp16: adapter has shader-f16: ${offered}; ${state}${run.error ? `: ${run.error}` : ""}`);
      if (offered) {
        assertEquals(state, "done", `the page's fp16 run failed: ${run.error}`);
        assertEquals([run.backend, run.steps], ["webgpu", 2]);
      } else {
        assertEquals(state, "error");
        assert(run.error?.includes("shader-f16") && run.error.includes("without fp16"), run.error);
      }
    } finally {
      await browser.close();
      await server.shutdown();
    }
  },
});
