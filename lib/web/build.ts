/**
 * The static, offline folder of the in-browser fine-tuning page (what `deno task build:web` writes): `index.html`,
 * the page's and the worker's modules bundled by `deno bundle` for the browser (tfjs with its WebGPU and wasm
 * backends, the tokenizer: no CDN), tfjs's wasm binaries, uPlot, the demo model and corpus, and the WebGPU check page
 * (`checks.html`). Runs in Deno from the project tree (it reads `web/` and `fixtures/demo/`).
 *
 * @module
 */
import { writeDirAtomic } from "../fs.ts";
import { UPLOT_CSS, UPLOT_JS } from "../deps.ts";

/** The project root (this module's `../../`). */
const ROOT = new URL("../../", import.meta.url).pathname;

/** The bundled entry points (each lands as `OUT/<name>.js`). */
export const WEB_ENTRIES: readonly string[] = ["web/main.ts", "web/worker.ts", "web/checks.ts"];

/** Static files copied as they are: source (from the project root) → name in the output folder. */
export const WEB_STATIC: Readonly<Record<string, string>> = {
  "web/index.html": "index.html",
  "web/checks.html": "checks.html",
  "web/style.css": "style.css",
  ...Object.fromEntries(
    [
      "config.json",
      "model.safetensors",
      "tokenizer.json",
      "tokenizer_config.json",
      "special_tokens_map.json",
      "vocab.txt",
    ]
      .map((name) => [`fixtures/demo/model/${name}`, `demo/model/${name}`]),
  ),
  "fixtures/demo/corpus/movie_reviews.jsonl": "demo/corpus/movie_reviews.jsonl",
};

/** tfjs's wasm binaries (the single-threaded ones: the page is not cross-origin isolated), from Deno's npm cache. */
async function tfjsWasmFiles(): Promise<string[]> {
  const info = await new Deno.Command("deno", { args: ["info", "--json"], stderr: "null" }).output();
  const cache = (JSON.parse(new TextDecoder().decode(info.stdout)) as { npmCache: string }).npmCache;
  const dist = `${cache}/registry.npmjs.org/@tensorflow/tfjs-backend-wasm/4.22.0/dist`;
  return ["tfjs-backend-wasm.wasm", "tfjs-backend-wasm-simd.wasm"].map((name) => `${dist}/${name}`);
}

/**
 * Build the page into `out` (replaced atomically): bundle {@link WEB_ENTRIES} for the browser, copy
 * {@link WEB_STATIC}, write uPlot and tfjs's wasm binaries. Throws with `deno bundle`'s output when it fails.
 *
 * @example
 * ```ts ignore
 * await buildWeb("dist/web");
 * ```
 */
export async function buildWeb(out: string): Promise<void> {
  await writeDirAtomic(out, async (tmp) => {
    const { code, stderr } = await new Deno.Command("deno", {
      args: [
        "bundle",
        "--quiet",
        "--platform",
        "browser",
        "--import-map",
        "web/import_map.json",
        "--external",
        "npm:tokenizers@0.23.2",
        "--external",
        "npm:@huggingface/hub@2.17.5",
        "--code-splitting",
        "--minify",
        "--outdir",
        tmp,
        ...WEB_ENTRIES,
      ],
      cwd: ROOT,
      stdout: "null",
    }).output();
    if (code !== 0) throw new Error(`deno bundle failed (exit ${code}):\n${new TextDecoder().decode(stderr)}`);
    for (const name of WEB_ENTRIES) {
      const js = name.replace(/^web\//, "").replace(/\.ts$/, ".js");
      await Deno.stat(`${tmp}/${js}`).catch(() => {
        throw new Error(
          `deno bundle wrote no ${js} for ${name} (found: ${[...Deno.readDirSync(tmp)].map((e) => e.name)})`,
        );
      });
    }
    for (const [from, to] of Object.entries(WEB_STATIC)) {
      await Deno.mkdir(`${tmp}/${to.split("/").slice(0, -1).join("/") || "."}`, { recursive: true });
      await Deno.copyFile(`${ROOT}${from}`, `${tmp}/${to}`);
    }
    await Deno.writeTextFile(`${tmp}/uplot.iife.min.js`, UPLOT_JS);
    await Deno.writeTextFile(`${tmp}/uplot.min.css`, UPLOT_CSS);
    for (const path of await tfjsWasmFiles()) await Deno.copyFile(path, `${tmp}/${path.split("/").pop()}`);
  });
}
