/**
 * Bundle the entry points the GPU machine runs (it has no npm registry) into one folder, sharing chunks:
 *
 *     deno run --allow-read --allow-run=deno tools/gpu/bundle_entries.ts OUT_DIR
 *
 * `tools/gpu/bundle.sh` writes them to `.gpu/js/`; `tests/tasks/gpu_bundle_test.ts` bundles and runs them, so that a
 * GPU session does not find out on the device that a bundle breaks. `npm:tokenizers` (HF's Rust tokenizer, a native
 * addon used only by `bench:data-hf`) stays out: `deno bundle` cannot follow its per-platform binaries.
 *
 * @module
 */

/** The bundled entry points, relative to the project root (each lands as `OUT_DIR/<same path>.js`). */
export const GPU_ENTRIES: readonly string[] = [
  "tasks/bench_train.ts",
  "tasks/finetune.ts",
  "tasks/evaluate.ts",
  "tasks/compare_adaptation.ts",
  "tools/reference/check_full_model.ts",
  "tools/reference/export_train_reference.ts",
  "tools/gpu/make_random_model.ts",
  "tools/modernbert_memory.ts",
];

/** Run `deno bundle` for {@link GPU_ENTRIES} into `outDir` from the project root; throws with its output on failure. */
export async function bundleGpuEntries(outDir: string): Promise<void> {
  const root = new URL("../../", import.meta.url).pathname;
  const args = ["bundle", "--quiet", "--external", "npm:tokenizers@0.23.2", "--code-splitting", "--outdir", outDir];
  const { code, stderr } = await new Deno.Command("deno", {
    args: [...args, ...GPU_ENTRIES],
    cwd: root,
    stdout: "null",
  })
    .output();
  if (code !== 0) throw new Error(`deno bundle failed (exit ${code}):\n${new TextDecoder().decode(stderr)}`);
}

if (import.meta.main) {
  const out = Deno.args[0];
  if (!out) throw new Error("usage: bundle_entries.ts OUT_DIR");
  await bundleGpuEntries(out);
  console.log(`bundled ${GPU_ENTRIES.length} entry points into ${out}`);
}
