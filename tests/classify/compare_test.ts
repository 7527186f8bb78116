import { compareAdaptation, formatComparison, pairEpochs } from "../../lib/classify/compare.ts";
import { assert, assertEquals, assertStringIncludes } from "../support/assert.ts";
import { ROOT } from "../support/shared.ts";
import { toyRows, writeJsonl, writeToyModel } from "./toy.ts";

Deno.test("compare-adaptation: both runs share seed, data and budget; table, compare.json and both run folders", async () => {
  const root = await Deno.makeTempDir();
  try {
    await writeToyModel(`${root}/base`, 1);
    await writeToyModel(`${root}/adapted`, 2);
    await writeJsonl(`${root}/toy.jsonl`, toyRows(60, 7));
    const r = await compareAdaptation({
      base: `${root}/base`,
      adapted: `${root}/adapted`,
      dataset: `${root}/toy.jsonl`,
      trainSize: 40,
      testSize: 20,
      maxLength: 16,
      learningRate: 1e-2,
      perDeviceTrainBatchSize: 8,
      numTrainEpochs: 2,
      saveStrategy: "no",
      backend: "cpu",
      outputDir: `${root}/cmp`,
      progress: false,
      log: () => {},
    });
    assertEquals(r.rows.length, 2);
    assertEquals(r.base.globalStep, r.adapted.globalStep);
    assertEquals(r.base.epochs.map((e) => e.step), r.adapted.epochs.map((e) => e.step));
    const json = JSON.parse(await Deno.readTextFile(r.path));
    assertEquals(json.labels, ["0", "1"]);
    assertEquals(json.difference.length, 2);
    const d = json.difference[1];
    assert(Math.abs(d.eval_accuracy - (r.adapted.epochs[1].accuracy! - r.base.epochs[1].accuracy!)) < 1e-12);
    assert(Math.abs(d.eval_loss - (r.adapted.epochs[1].evalLoss - r.base.epochs[1].evalLoss)) < 1e-12);
    for (const run of ["base", "adapted"]) {
      await Deno.stat(`${root}/cmp/${run}/report.html`);
      await Deno.stat(`${root}/cmp/${run}/model.safetensors`);
    }
    assertStringIncludes(r.table, "Δ accuracy");
    assertStringIncludes(r.table, "eval loss adapted");
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("compare-adaptation: the table pairs epochs and signs the differences", () => {
  const b = { epoch: 1, step: 5, trainLoss: 0.6, evalLoss: 0.5, perplexity: null, accuracy: 0.7, f1: 0.6 };
  const a = { epoch: 1, step: 5, trainLoss: 0.5, evalLoss: 0.45, perplexity: null, accuracy: 0.65, f1: 0.7 };
  const t = formatComparison(pairEpochs([b], [a]));
  const row = t.split("\n")[2];
  assertStringIncludes(row, "-0.0500"); // accuracy and eval loss fell
  assertStringIncludes(row, "+0.1000"); // F1 rose
});

Deno.test("compare-adaptation: a difference that rounds to zero prints 0.0000, never -0.0000", () => {
  const b = { epoch: 1, step: 5, trainLoss: 0.6, evalLoss: 0.5, perplexity: null, accuracy: 0.7, f1: 0.6 };
  const a = { ...b, evalLoss: 0.5 - 1e-6, accuracy: 0.7 + 1e-6 };
  const row = formatComparison(pairEpochs([b], [a])).split("\n")[2];
  assertEquals(row.includes("-0.0000") || row.includes("+0.0000"), false, row);
  assertEquals(row.split("|").filter((c) => c.trim() === "0.0000").length, 3, row); // Δ accuracy, Δ F1, Δ eval loss
});

Deno.test("compare-adaptation: the deno task runs end to end and prints the table", async () => {
  const root = await Deno.makeTempDir();
  try {
    await writeToyModel(`${root}/base`, 1);
    await writeToyModel(`${root}/adapted`, 2);
    await writeJsonl(`${root}/toy.jsonl`, toyRows(30, 7));
    const out = await new Deno.Command("deno", {
      args: [
        "run",
        "--allow-read",
        "--allow-write",
        "--allow-env",
        "--allow-sys",
        "--allow-net",
        `${ROOT}/tasks/compare_adaptation.ts`,
        ...["--base", `${root}/base`, "--adapted", `${root}/adapted`, "--dataset", `${root}/toy.jsonl`],
        ...["--train-size", "20", "--test-size", "10", "--max-length", "16", "--num-train-epochs", "1"],
        ...["--per-device-train-batch-size", "8", "--backend", "cpu", "--output-dir", `${root}/cmp`],
      ],
      env: { NO_COLOR: "1" },
    }).output();
    const stdout = new TextDecoder().decode(out.stdout), stderr = new TextDecoder().decode(out.stderr);
    assertEquals(out.code, 0, stderr);
    assertStringIncludes(stdout, "| epoch | accuracy base | accuracy adapted | Δ accuracy |");
    assertStringIncludes(stdout, "compare.json");
    const bad = await new Deno.Command("deno", {
      args: ["run", "--allow-read", "--allow-env", `${ROOT}/tasks/compare_adaptation.ts`, "--base", `${root}/base`],
      env: { NO_COLOR: "1" },
    }).output();
    assertEquals(bad.code, 1);
    assertStringIncludes(new TextDecoder().decode(bad.stderr), "--adapted is required");
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
