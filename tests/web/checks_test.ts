// Kernel portability: `checks.html` (web/checks.ts) runs the tiny-model parity goldens (logits, loss, every gradient
// vs PyTorch) and the custom WebGPU kernels' reference checks inside headless Chromium's WebGPU (Dawn on
// SwiftShader here), with the criteria of the Deno tests they mirror; every check must pass and nothing be logged
// as an error.
import { assert, assertEquals } from "../support/assert.ts";
import { haveShared, SHARED } from "../support/shared.ts";
import { Browser, haveChromium } from "./chromium.ts";
import { buildWeb } from "../../lib/web/build.ts";
import { serveWeb } from "../../lib/web/serve.ts";

const ignore = !haveChromium("WebGPU checks in Chromium") ||
  !haveShared("goldens/tiny-bert/goldens.safetensors", "WebGPU checks in Chromium");

Deno.test({
  name: "checks.html: parity goldens and WebGPU kernel checks pass in Chromium's WebGPU (Dawn)",
  ignore,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "mlm-web-checks-" });
    await buildWeb(`${dir}/web`);
    for (const name of ["tiny-distilbert", "tiny-bert"]) {
      await Deno.mkdir(`${dir}/web/goldens/${name}`, { recursive: true });
      for (const f of ["config.json", "model.safetensors", "goldens.safetensors"]) {
        await Deno.copyFile(`${SHARED}/goldens/${name}/${f}`, `${dir}/web/goldens/${name}/${f}`);
      }
    }
    const server = serveWeb(`${dir}/web`, { port: 0 });
    const browser = await Browser.launch();
    try {
      await browser.goto(`http://127.0.0.1:${server.addr.port}/checks.html`);
      const state = await browser.waitFor<string>(
        `["done", "error"].includes(document.body.dataset.state) && document.body.dataset.state`,
        300_000,
        "the checks to finish",
      );
      const text = await browser.evaluate<string>(`document.getElementById("log").textContent`);
      console.log(text);
      assertEquals(state, "done", text);
      const results = await browser.evaluate<{ name: string; ok: boolean; detail: string }[]>(`mlmChecks`);
      assert(results.length === 21, `only ${results.length} checks ran:\n${text}`);
      const failed = results.filter((r) => !r.ok).map((r) => `${r.name}: ${r.detail}`);
      assertEquals(failed, [], "checks failed in Chromium");
      assertEquals(browser.errors, [], "the page logged errors");
    } finally {
      await browser.close();
      await server.shutdown();
      await Deno.remove(dir, { recursive: true });
    }
  },
});
