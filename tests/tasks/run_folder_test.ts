// The run folder's guarantees (docs/reliability.md): one run per folder (a lock, tried with two real processes),
// overwriting deletes only what a run wrote, the model folder is refused as output, a resume must use the same data
// and masking, corrupt or torn run files are named or mended, and what a killed save left is removed.
import { assert, assertEquals, assertRejects, assertStringIncludes } from "../support/assert.ts";
import { ROOT } from "../support/shared.ts";
import { DEMO_FIXTURE_DIR } from "../../lib/app/demo.ts";
import { evaluateModel, finetune, type FinetuneOptions } from "../../lib/app/finetune.ts";
import { lockRunDir, RUN_LOCK_FILE } from "../../lib/app/run_lock.ts";
import { prepareOutputDir } from "../../lib/app/run_dir.ts";
import { readSafetensors, writeSafetensors } from "../../lib/model/safetensors.ts";
import { exists } from "../../lib/fs.ts";
import { taskArgs } from "./task_line.ts";
import { tinyFinetune } from "./tiny_data.ts";

const decoder = new TextDecoder();
const MODEL = `${DEMO_FIXTURE_DIR}/model`;
const CORPUS = `${DEMO_FIXTURE_DIR}/corpus/movie_reviews.jsonl`;

const base = (outputDir: string, cacheDir: string): FinetuneOptions =>
  tinyFinetune(outputDir, cacheDir, { maxSteps: 3 });

/** `fn`'s result and every line it wrote to stderr through console.error. */
async function withNotes<T>(fn: () => Promise<T>): Promise<{ result: T; notes: string[] }> {
  const notes: string[] = [];
  const original = console.error;
  console.error = (...args: unknown[]) => notes.push(args.join(" "));
  try {
    return { result: await fn(), notes };
  } finally {
    console.error = original;
  }
}

async function copyDir(from: string, to: string): Promise<void> {
  await Deno.mkdir(to, { recursive: true });
  for await (const e of Deno.readDir(from)) await Deno.copyFile(`${from}/${e.name}`, `${to}/${e.name}`);
}

function finetuneTask(outputDir: string, cacheDir: string, extra: string[]): Deno.ChildProcess {
  return new Deno.Command("deno", {
    args: [
      ...taskArgs("finetune"),
      ...["--model", MODEL, "--dataset", CORPUS, "--chunk-size", "32", "--train-size", "40", "--test-size", "8"],
      ...["--per-device-eval-batch-size", "8", "--per-device-train-batch-size", "8", "--backend", "wasm"],
      ...["--output-dir", outputDir, "--cache-dir", cacheDir, ...extra],
    ],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).spawn();
}

Deno.test("finetune task: a second run on a folder in use fails naming the lock and the pid; the folder holds one run", async () => {
  const root = await Deno.makeTempDir();
  try {
    const run = `${root}/run`;
    const first = finetuneTask(run, `${root}/cache`, ["--num-train-epochs", "200", "--save-strategy", "no"]);
    let ended = false;
    first.status.then(() => ended = true);
    while (!ended && (await Deno.readTextFile(`${run}/metrics.jsonl`).catch(() => "")).length === 0) {
      await new Promise((r) => setTimeout(r, 20));
    }
    assert(!ended, "the first run is training");
    const second = await finetuneTask(run, `${root}/cache`, ["--num-train-epochs", "1", "--save-strategy", "no"])
      .output();
    const err = decoder.decode(second.stderr);
    assertEquals(second.code, 1, err);
    assertStringIncludes(err, `${run}/${RUN_LOCK_FILE} is held by pid ${first.pid}`);
    first.kill("SIGINT");
    const done = await first.output();
    assertEquals(done.code, 130, decoder.decode(done.stderr));
    const lines = (await Deno.readTextFile(`${run}/metrics.jsonl`)).trim().split("\n").map((l) => JSON.parse(l));
    assertEquals(lines.filter((l) => l.type === "header").length, 1, "one run's header");
    assert(!(await exists(`${run}/${RUN_LOCK_FILE}`)), "the lock is removed when the run ends (Ctrl-C)");
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("lockRunDir: a lock file its run no longer holds (the process was killed) is taken over with a note", async () => {
  const dir = await Deno.makeTempDir();
  try {
    // A run killed with SIGKILL leaves its lock file; the OS lock it held went with the process.
    const killed = new Deno.Command("deno", {
      args: [
        "eval",
        `import { lockRunDir } from "${ROOT}/lib/app/run_lock.ts"; await lockRunDir("${dir}"); ` +
        `console.log("locked"); await new Promise((r) => setTimeout(r, 60_000));`,
      ],
      stdout: "piped",
    }).spawn();
    const reader = killed.stdout.getReader();
    assertEquals(decoder.decode((await reader.read()).value).trim(), "locked");
    await assertRejects(() => lockRunDir(dir), `is held by pid ${killed.pid}`);
    killed.kill("SIGKILL");
    await killed.status;
    reader.releaseLock();
    await killed.stdout.cancel();
    assertEquals(JSON.parse(await Deno.readTextFile(`${dir}/${RUN_LOCK_FILE}`)).pid, killed.pid, "left behind");
    const notes: string[] = [];
    const lock = await lockRunDir(dir, { log: (l) => notes.push(l) });
    assertEquals(notes.length, 1);
    assertStringIncludes(notes[0], `${dir}/${RUN_LOCK_FILE} was left by pid ${killed.pid}`);
    assertStringIncludes(notes[0], "taking it over");
    assertEquals(JSON.parse(await Deno.readTextFile(lock.path)).pid, Deno.pid);
    lock.release();
    assert(!(await exists(lock.path)), "released");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("--overwrite-output-dir deletes only what a run writes; a checkpoint with a foreign file is refused", async () => {
  const dir = await Deno.makeTempDir();
  try {
    for (const f of ["metrics.jsonl", "trainer_state.json", "model.safetensors", "config.json", "notes.txt"]) {
      await Deno.writeTextFile(`${dir}/${f}`, "x");
    }
    await Deno.mkdir(`${dir}/checkpoint-2`);
    await Deno.mkdir(`${dir}/checkpoint-4`);
    for (const f of ["optimizer.safetensors", "trainer_state.json", "training_state.json", "model.safetensors"]) {
      await Deno.writeTextFile(`${dir}/checkpoint-2/${f}`, "x");
      await Deno.writeTextFile(`${dir}/checkpoint-4/${f}`, "x");
    }
    await Deno.writeTextFile(`${dir}/checkpoint-4/my_results.csv`, "mine");
    await assertRejects(
      () => prepareOutputDir(dir, { overwrite: true, log: () => {} }),
      `${dir}/checkpoint-4/my_results.csv was not written by this toolkit`,
    );
    for (const p of ["metrics.jsonl", "checkpoint-2/optimizer.safetensors", "checkpoint-4/my_results.csv"]) {
      assert(await exists(`${dir}/${p}`), `nothing is deleted when one checkpoint is refused: ${p}`);
    }
    await Deno.rename(`${dir}/checkpoint-4/my_results.csv`, `${dir}/my_results.csv`);
    const notes: string[] = [];
    await prepareOutputDir(dir, { overwrite: true, log: (l) => notes.push(l) });
    const left = [...Deno.readDirSync(dir)].map((e) => e.name).sort();
    assertEquals(left, ["my_results.csv", "notes.txt"]);
    assertStringIncludes(notes.join("\n"), "kept what this toolkit did not write");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("finetune: the model folder is refused as --output-dir (real paths compared), and a too long --chunk-size", async () => {
  const root = await Deno.makeTempDir();
  try {
    await copyDir(MODEL, `${root}/model`);
    await Deno.symlink(`${root}/model`, `${root}/link`);
    const before = await Deno.readFile(`${root}/model/model.safetensors`);
    for (const out of [`${root}/model`, `${root}/link/`, `${root}/model/../link`]) {
      await assertRejects(
        () => finetune({ ...base(out, `${root}/cache`), model: `${root}/model`, overwriteOutputDir: true }),
        "is the model folder",
      );
    }
    assertEquals(await Deno.readFile(`${root}/model/model.safetensors`), before);
    assert(!(await exists(`${root}/model/${RUN_LOCK_FILE}`)), "the lock is released on an error");
    // The demo model has 128 positions: PyTorch would fail with an index error on the first batch.
    const o = { ...base(`${root}/out`, `${root}/cache`), chunkSize: 600 };
    await assertRejects(() => finetune(o), "--chunk-size 600: the model takes at most 128 positions");
    await assertRejects(() => evaluateModel(o), "--chunk-size 600: the model takes at most 128 positions");
    assert(!(await exists(`${root}/out/metrics.jsonl`)), "refused before training");
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("finetune: resuming with other data or masking is refused; a new learning rate, a torn metrics line and a killed save's folder are noted", async () => {
  const root = await Deno.makeTempDir();
  try {
    const o = base(`${root}/a`, `${root}/cache`);
    await finetune(o);
    const ck = `${root}/a/checkpoint-2`;
    const other = `${root}/other.jsonl`;
    await Deno.copyFile(CORPUS, other);
    const refused: [Partial<FinetuneOptions>, string][] = [
      [{ chunkSize: 64 }, "--chunk-size 32 (this run: 64)"],
      [{ dataset: other }, `--dataset ${JSON.stringify(`${ROOT}/${CORPUS}`.replace(`${ROOT}/${ROOT}`, ROOT))}`],
      [{ mlmProbability: 0.3 }, "mask probability (--mlm-probability / --wwm-probability) 0.15 (this run: 0.3)"],
      [{ wwmProbability: 0.15 }, 'masking (--wwm-probability or not) "token" (this run: "whole_word")'],
      [{ seed: 7 }, "--seed 42 (this run: 7)"],
      [{ trainSize: 32 }, "--train-size 40 (this run: 32)"],
    ];
    for (const [change, message] of refused) {
      await assertRejects(() => finetune({ ...o, ...change, resumeFromCheckpoint: ck }), message);
    }
    // A resumed run in the same folder: the last metrics line was cut by a kill, a save's temporary folder is left.
    const metrics = `${root}/a/metrics.jsonl`;
    await Deno.writeTextFile(metrics, '{"step":3,"loss":2.1,"lear', { append: true });
    await Deno.mkdir(`${root}/a/.checkpoint-4.tmp-0a1b2c3d`);
    await Deno.writeTextFile(`${root}/a/.checkpoint-4.tmp-0a1b2c3d/model.safetensors`, "partial");
    const { result, notes } = await withNotes(() =>
      finetune({ ...o, learningRate: 5e-4, maxSteps: 4, resumeFromCheckpoint: ck })
    );
    assertEquals(result.globalStep, 4);
    const text = notes.join("\n");
    assertStringIncludes(text, "was trained with --learning-rate 0.001; the run continues with 0.0005");
    assertStringIncludes(text, "the last line was cut short");
    assertStringIncludes(text, "removed");
    assert(!(await exists(`${root}/a/.checkpoint-4.tmp-0a1b2c3d`)), "the killed save's folder is removed");
    const lines = (await Deno.readTextFile(metrics)).trim().split("\n").map((l) => JSON.parse(l));
    assertEquals(lines.at(-1).type, "summary");
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("finetune: a corrupt trainer_state.json or training_state.json in the checkpoint fails naming the file", async () => {
  const root = await Deno.makeTempDir();
  try {
    const o = { ...base(`${root}/a`, `${root}/cache`), maxSteps: 2 };
    await finetune(o);
    const ck = `${root}/a/checkpoint-2`;
    const good = await Deno.readTextFile(`${ck}/trainer_state.json`);
    await Deno.writeTextFile(`${ck}/trainer_state.json`, good.slice(0, 40));
    await assertRejects(
      () => finetune({ ...o, outputDir: `${root}/b`, resumeFromCheckpoint: ck }),
      `${ck}/trainer_state.json: expected HF trainer state as a JSON object, but it is not valid JSON`,
    );
    await Deno.writeTextFile(`${ck}/trainer_state.json`, good);
    const state = JSON.parse(await Deno.readTextFile(`${ck}/training_state.json`));
    await Deno.writeTextFile(`${ck}/training_state.json`, JSON.stringify({ ...state, epoch_losses: [{ epoch: 0 }] }));
    await assertRejects(
      () => finetune({ ...o, outputDir: `${root}/c`, resumeFromCheckpoint: ck }),
      `${ck}/training_state.json: field "epoch_losses[0].loss_sum": expected a number, got nothing`,
    );
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("evaluate and the fill-mask task fail naming the weights that are NaN or infinite", async () => {
  const root = await Deno.makeTempDir();
  try {
    const model = `${root}/nan`;
    await copyDir(MODEL, model);
    const file = await readSafetensors(`${model}/model.safetensors`);
    const [name, t] = [...file.tensors].find(([, t]) => t.data instanceof Float32Array)!;
    (t.data as Float32Array)[1] = Number.NaN;
    await writeSafetensors(`${model}/model.safetensors`, file.tensors, { metadata: { format: "pt" } });
    await assertRejects(
      () => evaluateModel({ ...base(`${root}/out`, `${root}/cache`), model }),
      `${model}/model.safetensors: 1 weight tensor is not finite: ${name} (1 NaN)`,
    );
    const env = { HF_HOME: `${root}/hf`, HF_HUB_OFFLINE: "1" };
    const out = await new Deno.Command("deno", {
      args: [...taskArgs("fill-mask", [], env), "--model", model, "--backend", "wasm", "a great [MASK]."],
      cwd: ROOT,
      env,
    }).output();
    const err = decoder.decode(out.stderr);
    assertEquals(out.code, 1, decoder.decode(out.stdout) + err);
    assertStringIncludes(err, `${name} (1 NaN)`);
    assertEquals(decoder.decode(out.stdout), "");
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
