// Every task is a thin command: ≤ 100 lines, guarded by `import.meta.main`, errors through lib/cli.ts's `runTask`.
import { assert, assertEquals, assertStringIncludes } from "../support/assert.ts";
import { ROOT } from "../support/shared.ts";

const TASKS = [...Deno.readDirSync(`${ROOT}/tasks`)].filter((e) => e.name.endsWith(".ts")).map((e) => e.name).sort();

Deno.test("tasks/*.ts: each at most 100 lines, run only as the main module, through the one error handler", () => {
  assert(TASKS.length >= 10, `tasks found: ${TASKS}`);
  for (const name of TASKS) {
    const src = Deno.readTextFileSync(`${ROOT}/tasks/${name}`);
    const lines = src.trimEnd().split("\n").length;
    assert(lines <= 100, `tasks/${name}: ${lines} lines (at most 100: move the body into lib/)`);
    assertStringIncludes(src, "if (import.meta.main) Deno.exit(await runTask(", `tasks/${name}`);
    assert(!/catch \(e\)/.test(src), `tasks/${name}: errors go through runTask, not a catch of its own`);
  }
});

async function run(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = await new Deno.Command("deno", { args: ["run", ...args], cwd: ROOT, env: { NO_COLOR: "1", ...env } })
    .output();
  const text = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code: out.code, stdout: text(out.stdout), stderr: text(out.stderr) };
}

Deno.test("a failing task prints `task: message` and exits 1; the stack only with DEBUG=1", async () => {
  const plain = await run(["--allow-read", "tasks/evaluate.ts", "--model", "m"]);
  assertEquals(plain.code, 1, plain.stderr);
  assertEquals(plain.stderr.split("\n")[0], "evaluate: --dataset is required");
  assert(!/^\s+at /m.test(plain.stderr), `no stack trace:\n${plain.stderr}`);

  const unknown = await run(["--allow-read", "tasks/report.ts", "--no-such-flag"]);
  assertEquals(unknown.code, 1, unknown.stderr);
  assertEquals(unknown.stderr.trim().split("\n").length, 1, `one line, no help dump:\n${unknown.stderr}`);
  assertStringIncludes(unknown.stderr, "report: unknown flag --no-such-flag; did you mean --");
  assert(!/^\s+at /m.test(unknown.stderr), `no stack trace:\n${unknown.stderr}`);

  const debug = await run(["--allow-read", "--allow-env=DEBUG", "tasks/evaluate.ts", "--model", "m"], { DEBUG: "1" });
  assertEquals(debug.code, 1, debug.stderr);
  assertStringIncludes(debug.stderr, "evaluate: --dataset is required");
  assert(/^\s+at .*cli\.ts/m.test(debug.stderr), `a stack trace with DEBUG=1:\n${debug.stderr}`);
});

Deno.test("importing a task module runs nothing (import.meta.main guard)", async () => {
  const imports = TASKS.map((n) => `import ${JSON.stringify(`${ROOT}/tasks/${n}`)};`).join("\n");
  const out = await new Deno.Command("deno", {
    args: ["run", "--allow-read", "--allow-env", "-"],
    cwd: ROOT,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).spawn();
  const w = out.stdin.getWriter();
  await w.write(new TextEncoder().encode(`${imports}\nconsole.log("imported");`));
  await w.close();
  const { code, stdout, stderr } = await out.output();
  assertEquals(code, 0, new TextDecoder().decode(stderr));
  assertEquals(new TextDecoder().decode(stdout).trim(), "imported");
});

Deno.test("finetune flags: an unknown flag names the closest one; bad values name the flag; --help is aligned", async () => {
  const finetune = (...args: string[]) => run(["--allow-read", "--allow-env", "tasks/finetune.ts", ...args]);
  const unknown = await finetune("--batch-size", "2");
  assertEquals(unknown.code, 1, unknown.stderr);
  assertEquals(
    unknown.stderr.trim(),
    "finetune: unknown flag --batch-size; did you mean --per-device-train-batch-size?",
  );

  const seed = await finetune("--seed", "-1");
  assertEquals(seed.code, 1, seed.stderr);
  assertEquals(seed.stderr.trim(), "finetune: --seed: expected an integer >= 0, got -1");
  const epochs = await finetune("--num-train-epochs", "-1");
  assertEquals(epochs.stderr.trim(), "finetune: --num-train-epochs: expected a number > 0, got -1");
  const lr = await finetune("--learning-rate=0");
  assertEquals(lr.stderr.trim(), "finetune: --learning-rate: expected a number > 0, got 0");

  const help = await finetune("--help");
  assertEquals(help.code, 0, help.stderr);
  const rows = help.stdout.split("\n").filter((l) => l.startsWith("  --"));
  assert(rows.length > 20, help.stdout);
  const starts = new Set(rows.map((l) => /^ {2}--\S+( VALUE)? +/.exec(l)![0].length));
  assertEquals(starts.size, 1, `descriptions start in one column:\n${rows.join("\n")}`);
});
