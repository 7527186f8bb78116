// The GPU machine has no npm registry, so its runs use `deno bundle` outputs (tools/gpu/bundle.sh). Bundle the entry
// points here and run the bundled finetune from a folder with no project files beside the bundle: a break (a native
// addon the bundler cannot follow, a worker module or fixture path that only exists in the project) shows up in CI,
// not on the device.
import { bundleGpuEntries, GPU_ENTRIES } from "../../tools/gpu/bundle_entries.ts";
import { assert, assertEquals } from "../support/assert.ts";
import { ROOT } from "../support/shared.ts";

Deno.test("GPU bundles: every entry point bundles, and the bundled finetune trains the demo model", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await bundleGpuEntries(`${dir}/js`);
    for (const entry of GPU_ENTRIES) await Deno.stat(`${dir}/js/${entry.replace(/\.ts$/, ".js")}`);
    const demo = `${ROOT}/fixtures/demo`;
    const args = [
      "run",
      "--no-config",
      "-A",
      `${dir}/js/tasks/finetune.js`,
      ...["--model", `${demo}/model`, "--dataset", `${demo}/corpus/movie_reviews.jsonl`, "--chunk-size", "32"],
      ...["--train-size", "32", "--test-size", "16", "--per-device-train-batch-size", "16", "--num-train-epochs", "1"],
      ...["--backend", "cpu", "--output-dir", `${dir}/run`, "--cache-dir", `${dir}/cache`],
    ];
    const r = await new Deno.Command("deno", { args, cwd: dir, env: { NO_COLOR: "1" } }).output();
    const text = new TextDecoder().decode(r.stdout) + new TextDecoder().decode(r.stderr);
    assertEquals(r.code, 0, text);
    const last = JSON.parse(text.trim().split("\n").filter((l) => l.startsWith("{")).at(-1)!);
    assertEquals(last.global_step, 2);
    assert(Number.isFinite(last.perplexity), text);
    await Deno.stat(`${dir}/run/model.safetensors`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
