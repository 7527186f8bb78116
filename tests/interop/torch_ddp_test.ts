/**
 * The run that outgrows one machine, end to end with the pinned Python stack (`tools/reference/requirements.txt`, in
 * `tools/reference/.venv`): IMDb prepared as Parquet (`deno task prepare --format parquet`) read by
 * `datasets.load_dataset("parquet")`, whose `train_test_split` / `shuffle` pick our members; a checkpoint written by
 * `deno task finetune` trained further by `transformers.Trainer` under `torchrun --nproc_per_node 2` (DDP over gloo,
 * two CPU processes) with the course's random-token and whole-word collators; PyTorch's output read back by
 * `loadMaskedLM` (logits equal to torch's) and scored by `deno task evaluate`; our `optimizer.safetensors` into
 * `torch.optim.AdamW` and back, one step compared. `docs/interop.md` shows these commands and the figures measured.
 *
 * Skips, saying why, when the venv, `../shared/data` or the `--allow-run` for the venv's python/torchrun is missing.
 * Everything is written to a temporary folder.
 */
import { tf } from "../../lib/deps.ts";
import { createMlmCollator } from "../../lib/collate/mlm.ts";
import { shuffle, trainTestSplit } from "../../lib/data/split.ts";
import { loadPrepared } from "../../lib/prepare/prepared.ts";
import { loadMaskedLM } from "../../lib/model/pretrained.ts";
import { readSafetensors, type SafeTensor, writeSafetensors } from "../../lib/model/safetensors.ts";
import { loadTokenizer } from "../../lib/tokenize/tokenizer.ts";
import { AdamW } from "../../lib/train/adamw.ts";
import { loadCheckpoint } from "../../lib/app/checkpoints.ts";
import { linearScheduleWithWarmup } from "../../lib/train/schedule.ts";
import { trainableParams, trainStep } from "../../lib/train/step.ts";
import { assert, assertEquals } from "../support/assert.ts";
import { maxAbsDiff } from "../support/goldens.ts";
import { ROOT, SHARED } from "../support/shared.ts";
import { runCommand } from "../tasks/task_line.ts";

const NAME = "interop: Parquet → datasets → Trainer under torchrun (2 processes) → loadMaskedLM, optimizer both ways";
const VENV_BIN = `${ROOT}/tools/reference/.venv/bin`;
const PYTHON = `${VENV_BIN}/python`;
const TORCHRUN = `${VENV_BIN}/torchrun`;
const IMDB = `${SHARED}/data/imdb`;
const TOKENIZER = `${SHARED}/data/bert-base-uncased`;
/** The attention key's bias: its exact gradient is zero, so Adam moves it by each side's rounding noise. */
const KEY_BIAS = /attention\.(k_lin|self\.key)\.bias$/;

/** Why the test cannot run here, or undefined when it can. */
async function skipReason(): Promise<string | undefined> {
  for (const path of [IMDB, TOKENIZER]) {
    if (!(await Deno.stat(path).catch(() => undefined))) {
      return `${path} is absent (the shared data beside the project)`;
    }
  }
  for (const command of [PYTHON, TORCHRUN]) {
    if (Deno.permissions.querySync({ name: "run", command }).state !== "granted") {
      return `no --allow-run for ${command} (deno task test grants it)`;
    }
  }
  if (!(await Deno.stat(PYTHON).catch(() => undefined))) {
    return `${PYTHON} is absent: create the venv with \`python3 -m venv tools/reference/.venv && ` +
      "tools/reference/.venv/bin/pip install -r tools/reference/requirements.txt` (.ci/run does)";
  }
  const pins = new Map<string, string>();
  for (const line of (await Deno.readTextFile(`${ROOT}/tools/reference/requirements.txt`)).split("\n")) {
    const m = /^([A-Za-z0-9_.-]+)==(\S+)/.exec(line.trim());
    if (m) pins.set(m[1], m[2]);
  }
  const probe = await new Deno.Command(PYTHON, {
    args: [
      "-c",
      `import importlib.metadata as m, json, sys
out = {}
for p in sys.argv[1:]:
    try: out[p] = m.version(p)
    except m.PackageNotFoundError: out[p] = None
print(json.dumps(out))`,
      ...pins.keys(),
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!probe.success) return `${PYTHON} does not run: ${new TextDecoder().decode(probe.stderr).trim().slice(-300)}`;
  const found = JSON.parse(new TextDecoder().decode(probe.stdout)) as Record<string, string | null>;
  const wrong = [...pins].filter(([p, v]) => (found[p] ?? "").split("+")[0] !== v);
  if (wrong.length > 0) {
    return `the venv lacks the pinned ${wrong.map(([p, v]) => `${p}==${v} (has ${found[p] ?? "none"})`).join(", ")}`;
  }
  return undefined;
}

const SKIP = await skipReason();
if (SKIP) console.log(`SKIP ${NAME}: ${SKIP}`);

interface Ran {
  stdout: string;
  seconds: number;
}

/** Run a command in the project root; fail with its stderr's tail when it fails. */
async function run(command: string, args: string[], env: Record<string, string> = {}): Promise<Ran> {
  const t0 = performance.now();
  const out = await runCommand(command, args, env);
  if (out.code !== 0) {
    throw new Error(`${command} ${args.join(" ")} exited with ${out.code}:\n${out.stderr.slice(-3000)}`);
  }
  return { stdout: out.stdout, seconds: (performance.now() - t0) / 1000 };
}

/** The last line of stdout, as JSON. */
function lastJson<T = Record<string, unknown>>(r: Ran): T {
  const lines = r.stdout.trim().split("\n");
  return JSON.parse(lines[lines.length - 1]) as T;
}

async function sha256(values: Int32Array<ArrayBuffer>): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", values);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

function note(line: string): void {
  console.error(`  interop: ${line}`);
}

Deno.test({ name: NAME, ignore: SKIP !== undefined, sanitizeResources: false, sanitizeOps: false }, async (t) => {
  const tmp = await Deno.makeTempDir({ prefix: "mlm-interop-" });
  const pyEnv = {
    OMP_NUM_THREADS: "1",
    TOKENIZERS_PARALLELISM: "false",
    HF_HUB_OFFLINE: "1",
    HF_DATASETS_OFFLINE: "1",
    HF_HOME: `${tmp}/hf`,
    PYTHONDONTWRITEBYTECODE: "1",
  };
  try {
    // 1. IMDb's train split as Parquet chunks (the course's 128 tokens, bert-base-uncased).
    let parquet = "";
    let preparedDir = "";
    await t.step("deno task prepare --format parquet", async () => {
      const r = await run("deno", [
        "task",
        "prepare",
        ...["--data", IMDB, "--split", "train", "--tokenizer", TOKENIZER, "--out", `${tmp}/prepared`],
        ...["--format", "parquet"],
      ]);
      const out = lastJson<{ path: string; parquet: string; chunks: number }>(r);
      assertEquals(out.chunks, 61_291, "the course's chunk count");
      parquet = out.parquet;
      preparedDir = out.path;
      note(`prepare + Parquet: ${(await Deno.stat(parquet)).size} bytes in ${r.seconds.toFixed(1)} s`);
    });

    // 2. What datasets sees, and the members its split and shuffle pick.
    await t.step(
      "datasets.load_dataset('parquet'): rows, columns, types, nulls, split and shuffle members",
      async () => {
        const r = await run(PYTHON, [
          "tools/interop/check_parquet.py",
          ...["--data", parquet, "--cache-dir", `${tmp}/hf/datasets`, "--seed", "42", "--shuffle-seed", "7"],
        ], pyEnv);
        // deno-lint-ignore no-explicit-any
        const py = lastJson<any>(r);
        const ds = await loadPrepared(preparedDir);
        assertEquals(py.rows, ds.length);
        assertEquals(py.columns, ["input_ids", "attention_mask", "word_ids", "labels"]);
        for (const c of py.columns) {
          assertEquals(py.features[c], "List(Value('int32'))", `${c}'s type`);
          assertEquals(py.list_lengths[c], [128], `${c}: 128 values a row`);
        }
        assertEquals(py.tokens, ds.inputIds.length);
        const ourNulls = ds.wordIds.reduce((n, w) => n + (w < 0 ? 1 : 0), 0);
        assertEquals(py.word_ids_nulls, ourNulls, "a null word id for each of our -1");
        assertEquals(py.nulls_at_special_tokens, py.word_ids_nulls, "every null is at a [CLS]/[SEP]");
        assertEquals(py.special_tokens, py.word_ids_nulls, "every [CLS]/[SEP] has a null word id");
        assert(py.attention_mask_all_ones && py.labels_equal_input_ids, "group_texts' attention_mask and labels");

        const indices = Array.from({ length: ds.length }, (_, i) => i);
        const split = trainTestSplit(indices, { trainSize: 10_000, testSize: 1_000, seed: 42 });
        assertEquals(split.test.slice(0, 5), py.split.test_first);
        assertEquals(await sha256(Int32Array.from(split.test)), py.split.test_indices_sha256, "test members");
        assertEquals(await sha256(Int32Array.from(split.train)), py.split.train_indices_sha256, "train members");
        const testIds = new Int32Array(split.test.length * ds.chunkSize);
        const size = ds.chunkSize;
        split.test.forEach((row, k) => testIds.set(ds.inputIds.subarray(row * size, (row + 1) * size), k * size));
        assertEquals(await sha256(testIds), py.split.test_input_ids_sha256, "test chunks' content");
        const shuffled = shuffle(indices, { seed: 7 });
        assertEquals(shuffled.slice(0, 5), py.shuffle.first);
        assertEquals(await sha256(Int32Array.from(shuffled)), py.shuffle.indices_sha256, "shuffle(seed=7) order");
        note(`datasets: ${py.rows} rows, ${py.word_ids_nulls} null word ids; load ${py.load_seconds} s`);
      },
    );

    // 3. A checkpoint this project writes: a tiny DistilBERT (bert-base-uncased vocabulary) trained 3 steps on wasm,
    //    with checkpoint-2 (weights + optimizer.safetensors) on the way.
    const ours = `${tmp}/ours`;
    await t.step("deno task finetune writes the starting checkpoint", async () => {
      await run("deno", [
        "run",
        "--allow-read",
        "--allow-write",
        "tools/interop/init_model.ts",
        ...["--tokenizer", TOKENIZER, "--out", `${tmp}/tiny`],
      ]);
      const r = await run("deno", [
        "task",
        "finetune",
        ...["--model", `${tmp}/tiny`, "--dataset", IMDB, "--cache-dir", `${tmp}/prepared`, "--backend", "wasm"],
        ...["--train-size", "10000", "--test-size", "100", "--per-device-train-batch-size", "8"],
        ...["--learning-rate", "1e-3", "--max-steps", "3", "--save-strategy", "steps", "--save-steps", "2"],
        ...["--output-dir", ours],
      ]);
      assertEquals(lastJson(r).global_step, 3);
      await Deno.stat(`${ours}/checkpoint-2/optimizer.safetensors`);
    });

    // 4. The docs' training script under torchrun, two CPU processes, both collators.
    const torchOut: Record<string, string> = {};
    const torchEval: Record<string, number> = {};
    //    The random-token run continues checkpoint-2 with its optimizer state and writes the state back; the
    //    whole-word run starts from the final model with a fresh optimizer.
    const ckpt = `${ours}/checkpoint-2`;
    for (const collator of ["random", "whole-word"]) {
      await t.step(`torchrun --nproc_per_node 2 train_hf.py --collator ${collator}`, async () => {
        const out = `${tmp}/torch-${collator}`;
        const start = collator === "random" ? ckpt : ours;
        const withState = collator === "random"
          ? ["--optimizer-state", `${ckpt}/optimizer.safetensors`, "--save-optimizer-state"]
          : [];
        const r = await run(TORCHRUN, [
          ...["--standalone", "--nproc_per_node", "2", "tools/interop/train_hf.py"],
          ...["--data", parquet, "--model", start, "--output-dir", out, "--collator", collator, ...withState],
          ...["--test-size", "100", "--per-device-train-batch-size", "8", "--max-steps", "4", "--logging-steps", "1"],
          ...["--cache-dir", `${tmp}/hf/datasets`],
        ], pyEnv);
        const res = lastJson<{
          global_step: number;
          world_size: number;
          train_loss: number;
          eval_loss: number;
          train_rows: number;
          optimizer_state_from_step: number | null;
        }>(r);
        assertEquals([res.world_size, res.global_step, res.train_rows], [2, 4, 10_000]);
        // An untrained 30,522-word model scores about ln(30522) = 10.33 nats; a loss scaled by the process count
        // (transformers' average_tokens_across_devices with a model that averages itself) would read about 20.7.
        for (const loss of [res.train_loss, res.eval_loss]) assert(loss > 9 && loss < 11.5, `loss ${loss}`);
        const before = await readSafetensors(`${start}/model.safetensors`);
        const after = await readSafetensors(`${out}/model.safetensors`);
        const name = "distilbert.transformer.layer.0.attention.q_lin.weight";
        assert(maxAbsDiff(before.tensors.get(name)!.data, after.tensors.get(name)!.data) > 0, "PyTorch trained");
        if (withState.length > 0) {
          // Trainer's AdamW continued our step count (2 + 4), and its state comes back into our AdamW.
          assertEquals(res.optimizer_state_from_step, 2);
          const back = await readSafetensors(`${out}/optimizer.safetensors`);
          assertEquals(Array.from(back.tensors.get("step")!.data), [6], "steps: 2 here, 4 in PyTorch");
          const model = await loadMaskedLM(out, { backend: "wasm" });
          const optimizer = new AdamW(trainableParams(model));
          const m = new Map<string, tf.Tensor>(), v = new Map<string, tf.Tensor>();
          for (const [key, t] of back.tensors) {
            if (key.startsWith("m.")) m.set(key.slice(2), tf.tensor(t.data, t.shape, "float32"));
            if (key.startsWith("v.")) v.set(key.slice(2), tf.tensor(t.data, t.shape, "float32"));
          }
          try {
            assertEquals(m.size, trainableParams(model).size, "a first moment for every parameter");
            optimizer.loadState({ step: 6, m, v });
            assertEquals(optimizer.stepCount, 6);
          } finally {
            tf.dispose([...m.values(), ...v.values()]);
            optimizer.dispose();
            model.dispose();
          }
        }
        torchOut[collator] = out;
        torchEval[collator] = res.eval_loss;
        note(
          `torchrun ${collator}: ${r.seconds.toFixed(1)} s, train loss ${res.train_loss.toFixed(4)}, ` +
            `eval loss ${res.eval_loss.toFixed(4)}`,
        );
      });
    }

    // 5. PyTorch's output in this project: the same logits, and deno task evaluate scores it.
    await t.step("loadMaskedLM reads PyTorch's output: logits equal torch's", async () => {
      const ds = await loadPrepared(preparedDir);
      const seq = 64, rows = [0, 1];
      const ids = new Int32Array(rows.length * seq), mask = new Int32Array(rows.length * seq);
      rows.forEach((row, k) => {
        const real = k === 0 ? seq : 40; // the second row padded after 40 tokens
        ids.set(ds.inputIds.subarray(row * 128, row * 128 + real), k * seq);
        mask.fill(1, k * seq, k * seq + real);
      });
      const batchPath = `${tmp}/logits_batch.safetensors`;
      await writeSafetensors(
        batchPath,
        new Map<string, SafeTensor>([
          ["input_ids", { shape: [rows.length, seq], data: ids }],
          ["attention_mask", { shape: [rows.length, seq], data: mask }],
        ]),
      );
      for (const collator of Object.keys(torchOut)) {
        await run(PYTHON, [
          "tools/interop/torch_logits.py",
          ...["--model", torchOut[collator], "--batch", batchPath, "--out", `${tmp}/logits-${collator}.safetensors`],
        ], pyEnv);
        const torch = (await readSafetensors(`${tmp}/logits-${collator}.safetensors`)).tensors.get("logits")!;
        const model = await loadMaskedLM(torchOut[collator], { backend: "wasm" });
        try {
          const logits = tf.tidy(() =>
            model.logits(tf.tensor2d(ids, [rows.length, seq], "int32"), tf.tensor2d(mask, [rows.length, seq], "int32"))
          );
          const ourLogits = await logits.data();
          logits.dispose();
          // Padded positions' logits are not compared: nothing reads them (HF computes them from masked attention).
          let worst = 0;
          for (let b = 0; b < rows.length; b++) {
            for (let s = 0; s < seq; s++) {
              if (!mask[b * seq + s]) continue;
              const o = (b * seq + s) * model.config.vocab_size;
              const n = model.config.vocab_size;
              worst = Math.max(worst, maxAbsDiff(ourLogits.subarray(o, o + n), torch.data.subarray(o, o + n)));
            }
          }
          note(`logits of PyTorch's ${collator} model, ours vs torch: max |Δ| ${worst.toExponential(2)}`);
          assert(worst <= 1e-5, `max |Δ logits| ${worst}`);
        } finally {
          model.dispose();
        }
      }
    });

    await t.step("deno task evaluate scores PyTorch's output", async () => {
      const r = await run("deno", [
        "task",
        "evaluate",
        ...["--model", torchOut.random, "--dataset", IMDB, "--backend", "wasm"], // evaluate may write only .cache/prepared
        ...["--test-size", "100"],
      ]);
      const res = lastJson<{ eval_loss: number; perplexity: number }>(r);
      // The same 100 eval chunks, masked once by us and by DataCollatorForLanguageModeling in torch: other masks,
      // the same model, so the same loss within sampling noise (the model is near-uniform over 30,522 words).
      note(`deno task evaluate: eval loss ${res.eval_loss.toFixed(4)} (torch ${torchEval.random.toFixed(4)})`);
      assert(Math.abs(res.eval_loss - torchEval.random) < 0.05, `${res.eval_loss} vs ${torchEval.random}`);
    });

    // 6. Optimizer state: ours into torch.optim.AdamW and back; one step from checkpoint-2 compared.
    await t.step("optimizer.safetensors → torch.optim.AdamW → optimizer.safetensors is unchanged", async () => {
      await run(PYTHON, [
        "tools/interop/optimizer_state.py",
        "round-trip",
        ...["--checkpoint", ckpt, "--out", `${tmp}/round_trip.safetensors`],
      ], pyEnv);
      const a = await readSafetensors(`${ckpt}/optimizer.safetensors`);
      const b = await readSafetensors(`${tmp}/round_trip.safetensors`);
      assertEquals([...b.tensors.keys()].sort(), [...a.tensors.keys()].sort());
      for (const [name, t] of a.tensors) {
        assertEquals(b.tensors.get(name)!.shape, t.shape, name);
        assertEquals(b.dtypes.get(name), a.dtypes.get(name), name);
        assert(maxAbsDiff(b.tensors.get(name)!.data, t.data) === 0, `${name} changed`);
      }
    });

    await t.step("one AdamW step from checkpoint-2: ours and torch.optim.AdamW's agree", async () => {
      const saved = await loadCheckpoint(ckpt);
      const s = saved.trainingState.scheduler;
      const schedule = linearScheduleWithWarmup({
        baseLr: s.base_lr,
        warmupSteps: s.warmup_steps,
        totalSteps: s.total_steps,
      });
      const lr = schedule(saved.trainingState.global_step); // the rate of the step the run would take next
      const tokenizer = await loadTokenizer(ckpt);
      const collate = createMlmCollator({
        seed: 3,
        maskTokenId: tokenizer.maskTokenId,
        vocabSize: tokenizer.vocabSize,
        specialIds: tokenizer.allSpecialIds,
        padTokenId: tokenizer.padTokenId,
      });
      const ds = await loadPrepared(preparedDir);
      const batch = collate([5, 50, 500, 5000].map((i) => ds.get(i)));
      const batchPath = `${tmp}/step_batch.safetensors`;
      await writeSafetensors(
        batchPath,
        new Map<string, SafeTensor>([
          ["input_ids", { shape: batch.shape, data: batch.input_ids }],
          ["attention_mask", { shape: batch.shape, data: batch.attention_mask }],
          ["labels", { shape: batch.shape, data: batch.labels }],
        ]),
      );
      const torchRun = await run(PYTHON, [
        "tools/interop/optimizer_state.py",
        "step",
        ...["--checkpoint", ckpt, "--batch", batchPath, "--lr", String(lr), "--weight-decay", "0.01"],
        ...["--max-grad-norm", "1", "--out", `${tmp}/torch-step`],
      ], pyEnv);
      const torch = lastJson<{ loss: number; grad_norm: number }>(torchRun);
      const torchWeights = (await readSafetensors(`${tmp}/torch-step/model.safetensors`)).tensors;
      const torchState = (await readSafetensors(`${tmp}/torch-step/optimizer.safetensors`)).tensors;
      assertEquals(Array.from(torchState.get("step")!.data), [3], "torch's step count, saved back");

      /** Our step from checkpoint-2 (with its optimizer state, or a fresh AdamW as the control), against torch's. */
      const ourStep = async (withState: boolean) => {
        const model = await loadMaskedLM(ckpt, { backend: "wasm" });
        const params = trainableParams(model);
        const optimizer = new AdamW(params, { weightDecay: 0.01 });
        try {
          if (withState) optimizer.loadState(saved.optimizer);
          const step = await trainStep(model, [batch], { optimizer, lr, maxGradNorm: 1, training: false });
          const state = optimizer.state();
          const worst = { weight: 0, weightName: "", keyBias: 0, m: 0, v: 0 };
          for (const [name, p] of params) {
            const d = maxAbsDiff(await p.data() as Float32Array, torchWeights.get(name)!.data);
            if (KEY_BIAS.test(name)) worst.keyBias = Math.max(worst.keyBias, d);
            else if (d > worst.weight) [worst.weight, worst.weightName] = [d, name];
            worst.m = Math.max(worst.m, maxAbsDiff(await state.m.get(name)!.data(), torchState.get(`m.${name}`)!.data));
            worst.v = Math.max(worst.v, maxAbsDiff(await state.v.get(name)!.data(), torchState.get(`v.${name}`)!.data));
          }
          tf.dispose([...state.m.values(), ...state.v.values()]);
          return { ...worst, loss: step.loss, gradNorm: step.gradNorm };
        } finally {
          optimizer.dispose();
          model.dispose();
        }
      };
      const ours = await ourStep(true);
      const fresh = await ourStep(false);
      tf.dispose([...saved.optimizer.m.values(), ...saved.optimizer.v.values()]);
      const e = (x: number) => x.toExponential(2);
      note(
        `one step at lr ${lr.toExponential(4)}: loss ${ours.loss} vs torch ${torch.loss} (relative |Δ| ` +
          `${e(Math.abs(ours.loss - torch.loss) / torch.loss)}), grad norm ${ours.gradNorm} vs ${torch.grad_norm}; ` +
          `max |Δ weight| ${e(ours.weight)} (key biases ${e(ours.keyBias)}), |Δ m| ${e(ours.m)}, ` +
          `|Δ v| ${e(ours.v)}; from a fresh AdamW instead: |Δ weight| ${e(fresh.weight)}`,
      );
      // The loss is a float32 near 10.35, whose spacing is 9.5e-7: compared relative to its size.
      assert(Math.abs(ours.loss - torch.loss) <= 1e-6 * Math.abs(torch.loss), `loss ${ours.loss} vs ${torch.loss}`);
      assert(ours.weight <= 1e-6, `weights: ${ours.weightName} differs by ${ours.weight}`);
      assert(ours.keyBias <= 1e-6, `key biases differ by ${ours.keyBias}`);
      assert(ours.m <= 1e-6 && ours.v <= 1e-6, `moments: m ${ours.m}, v ${ours.v}`);
      // The comparison can tell: without the saved moments and step, the same update lands elsewhere.
      assert(fresh.weight > 1e-5, `a fresh optimizer's step is ${fresh.weight} from torch's`);
    });
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});
