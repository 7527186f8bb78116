// `deno task finetune` stopped from outside: Ctrl-C (SIGINT) saves a checkpoint and exits 130; a run killed with
// SIGKILL and resumed from its newest checkpoint ends byte-identical to an uninterrupted run, in float32 on wasm and
// with `--fp16` on WebGPU (the loss scaler's state is in the checkpoint; skipped where no adapter has shader-f16).
import { assert, assertEquals, assertStringIncludes } from "../support/assert.ts";
import { ROOT } from "../support/shared.ts";
import { DEMO_FIXTURE_DIR } from "../../lib/app/demo.ts";
import { listCheckpoints } from "../../lib/app/checkpoints.ts";
import { taskArgs } from "./task_line.ts";
import { webgpuAdapter } from "../../lib/model/backend.ts";

const decoder = new TextDecoder();

function finetune(outputDir: string, cacheDir: string, extra: string[]): Deno.ChildProcess {
  return new Deno.Command("deno", {
    args: [
      ...taskArgs("finetune"),
      ...["--model", `${DEMO_FIXTURE_DIR}/model`, "--dataset", `${DEMO_FIXTURE_DIR}/corpus/movie_reviews.jsonl`],
      ...["--chunk-size", "32", "--train-size", "40", "--test-size", "8", "--per-device-eval-batch-size", "8"],
      ...["--per-device-train-batch-size", "8", "--learning-rate", "1e-3"],
      ...["--output-dir", outputDir, "--cache-dir", cacheDir, ...extra],
      ...(extra.includes("--backend") ? [] : ["--backend", "wasm"]),
    ],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).spawn();
}

/** Resolve once `check` holds (polled every 10 ms) or the process ended; true when `check` held. */
async function until(child: Deno.ChildProcess, check: () => Promise<boolean>): Promise<boolean> {
  let ended = false;
  child.status.then(() => ended = true);
  while (!ended) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, 10));
  }
  return false;
}

Deno.test("finetune task: Ctrl-C saves a checkpoint after the current step and exits 130", async () => {
  const root = await Deno.makeTempDir();
  try {
    const child = finetune(`${root}/run`, `${root}/cache`, ["--num-train-epochs", "200", "--save-strategy", "no"]);
    const started = await until(
      child,
      async () => (await Deno.readTextFile(`${root}/run/metrics.jsonl`).catch(() => "")).length > 0,
    );
    assert(started, "the run started training");
    child.kill("SIGINT");
    const { code, stdout, stderr } = await child.output();
    const out = decoder.decode(stdout), err = decoder.decode(stderr);
    assertEquals(code, 130, `${out}\n${err}`);
    assertStringIncludes(err, "Ctrl-C: saving a checkpoint after this step");
    const [ck] = await listCheckpoints(`${root}/run`);
    assert(ck !== undefined, "a checkpoint was saved");
    assertStringIncludes(out, `interrupted: saved ${ck.dir}`);
    assertEquals(JSON.parse(out.trim().split("\n").at(-1)!).interrupted, ck.dir);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

async function killAndResume(precision: string[]): Promise<void> {
  const root = await Deno.makeTempDir();
  try {
    const args = ["--num-train-epochs", "3", "--save-strategy", "steps", "--save-steps", "2", ...precision];
    const full = await finetune(`${root}/full`, `${root}/cache`, args).output();
    assertEquals(full.code, 0, decoder.decode(full.stderr));
    const child = finetune(`${root}/cut`, `${root}/cache`, args);
    const saved = await until(child, async () => (await listCheckpoints(`${root}/cut`)).length > 0);
    assert(saved, "a checkpoint was written before the run ended");
    child.kill("SIGKILL");
    const killed = await child.output();
    assertEquals(killed.signal, "SIGKILL");
    const newest = (await listCheckpoints(`${root}/cut`)).at(-1)!;
    const resumed = await finetune(`${root}/cut`, `${root}/cache`, [...args, "--resume-from-checkpoint", newest.dir])
      .output();
    assertEquals(resumed.code, 0, decoder.decode(resumed.stderr));
    const a = await Deno.readFile(`${root}/full/model.safetensors`);
    const b = await Deno.readFile(`${root}/cut/model.safetensors`);
    assert(a.length === b.length && a.every((x, i) => x === b[i]), `resumed from ${newest.dir}: weights differ`);
    if (precision.includes("--fp16")) {
      const scales = async (dir: string) =>
        (await Deno.readTextFile(`${dir}/metrics.jsonl`)).trim().split("\n").map((l) => JSON.parse(l))
          .filter((r) => r.loss_scale !== undefined).map((r) => [r.step, r.loss_scale, r.skipped_steps]);
      const cut = await scales(`${root}/cut`);
      assert(cut.length > 0 && cut.every(([, scale]) => scale === 65536), `the loss scale is logged: ${cut}`);
      assertEquals(cut, await scales(`${root}/full`));
    }
  } finally {
    await Deno.remove(root, { recursive: true });
  }
}

Deno.test("finetune task: killed (SIGKILL) and resumed from its newest checkpoint, it ends byte-identical", async () => {
  await killAndResume([]);
});

const f16Adapter = (await webgpuAdapter())?.shaderF16 === true;
if (!f16Adapter) console.log("SKIP finetune --fp16 kill/resume: no WebGPU adapter with shader-f16");

Deno.test({
  name: "finetune task --fp16 on webgpu: killed (SIGKILL) and resumed, it ends byte-identical and logs its scale",
  ignore: !f16Adapter,
  fn: async () => {
    await killAndResume(["--fp16", "--backend", "webgpu"]);
  },
});

Deno.test("finetune task --fp16 on wasm is refused, naming WebGPU and shader-f16", async () => {
  const root = await Deno.makeTempDir();
  try {
    const r = await finetune(`${root}/run`, `${root}/cache`, ["--fp16"]).output();
    assertEquals(r.code, 1);
    assertStringIncludes(decoder.decode(r.stderr), "--fp16 needs the webgpu backend with WebGPU's shader-f16 feature");
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
