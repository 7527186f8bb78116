// The README and docs/ must stay true to the checkout: the README is short, its library example runs, and every
// `deno task NAME --flag` they show names a task of deno.json and a flag that task's `--help` lists.
import { assert, assertEquals } from "./support/assert.ts";
import { ROOT } from "./support/shared.ts";

/** README.md and every docs/*.md, by path relative to the root. */
async function documents(): Promise<Map<string, string>> {
  const docs = new Map([["README.md", await Deno.readTextFile(`${ROOT}/README.md`)]]);
  for await (const e of Deno.readDir(`${ROOT}/docs`)) {
    if (e.isFile && e.name.endsWith(".md")) {
      docs.set(`docs/${e.name}`, await Deno.readTextFile(`${ROOT}/docs/${e.name}`));
    }
  }
  return docs;
}

/** One `deno task` invocation found in a document: the task, the `--flags` after it, and where it was. */
interface TaskUse {
  task: string;
  flags: string[];
  where: string;
}

/**
 * Every `deno task NAME …` in `text`: in shell code blocks (backslash-continued lines joined) and in inline code
 * spans. The flags are the `--name` words after the task name, up to a shell separator or comment.
 */
function taskUses(text: string, file: string): TaskUse[] {
  const commands: { line: number; text: string }[] = [];
  const lines = text.split("\n");
  let fence: string | undefined;
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i];
    const open = /^\s*```(\w*)/.exec(l);
    if (open) {
      fence = fence === undefined ? open[1] : undefined;
      continue;
    }
    if (fence !== undefined) {
      if (!["sh", "bash", "shell", ""].includes(fence)) continue;
      const start = i;
      let cmd = l;
      while (cmd.endsWith("\\") && i + 1 < lines.length) cmd = cmd.slice(0, -1) + " " + lines[++i];
      commands.push({ line: start + 1, text: cmd });
    } else {
      for (const m of l.matchAll(/`([^`]*deno task[^`]*)`/g)) commands.push({ line: i + 1, text: m[1] });
      // Prose that names a task without a code span still has to name a real one.
      for (const m of l.replaceAll(/`[^`]*`/g, "").matchAll(/deno task\s+([A-Za-z0-9:_-]+)/g)) {
        commands.push({ line: i + 1, text: `deno task ${m[1]}` });
      }
    }
  }
  const uses: TaskUse[] = [];
  for (const { line, text: cmd } of commands) {
    for (const m of cmd.matchAll(/deno task((?:\s+-[A-Za-z-]+)*)\s+([A-Za-z0-9:_-]+)([^#;&|)]*)/g)) {
      const flags = [...m[3].matchAll(/(?:^|\s)(--[a-z0-9][a-z0-9-]*)/g)].map((f) => f[1]);
      uses.push({ task: m[2], flags, where: `${file}:${line}` });
    }
  }
  return uses;
}

Deno.test("README: at most 200 lines, the rest in docs/", async () => {
  const lines = (await Deno.readTextFile(`${ROOT}/README.md`)).trimEnd().split("\n").length;
  assert(lines <= 200, `README.md has ${lines} lines; expected at most 200 (move detail into docs/)`);
});

Deno.test("taskUses finds tasks and flags in code blocks, continued lines and inline code", () => {
  const md = [
    "Run `deno task demo --epochs 2` or read about deno task report.",
    "```sh",
    "HF_TOKEN=x deno task -q finetune --model m \\",
    "  --seed 1 --overwrite-output-dir   # --not-a-flag",
    "```",
    "```ts",
    'const s = "deno task ignored --x";',
    "```",
  ].join("\n");
  assertEquals(taskUses(md, "x.md"), [
    { task: "demo", flags: ["--epochs"], where: "x.md:1" },
    { task: "report", flags: [], where: "x.md:1" },
    { task: "finetune", flags: ["--model", "--seed", "--overwrite-output-dir"], where: "x.md:3" },
  ]);
});

Deno.test("README and docs/: every `deno task` exists in deno.json and takes the flags shown", async () => {
  const tasks: Record<string, string> = JSON.parse(await Deno.readTextFile(`${ROOT}/deno.json`)).tasks;
  const uses = [...(await documents())].flatMap(([file, text]) => taskUses(text, file));
  assert(uses.some((u) => u.task === "demo"), "README.md shows `deno task demo`");
  const missing = uses.filter((u) => !(u.task in tasks)).map((u) => `${u.where}: deno task ${u.task}`);
  assertEquals(missing, [], `tasks not in deno.json (it has: ${Object.keys(tasks).join(", ")})`);

  const help = new Map<string, string>();
  const wrong: string[] = [];
  for (const u of uses) {
    if (u.flags.length === 0 || !tasks[u.task].includes("tasks/")) continue; // test, check: not this project's CLIs
    if (!help.has(u.task)) {
      const { code, stdout, stderr } = await new Deno.Command("deno", {
        args: ["task", "-q", u.task, "--help"],
        cwd: ROOT,
        stdout: "piped",
        stderr: "piped",
      }).output();
      assertEquals(code, 0, `deno task ${u.task} --help: ${new TextDecoder().decode(stderr)}`);
      help.set(u.task, new TextDecoder().decode(stdout));
    }
    for (const f of u.flags) {
      if (f !== "--help" && !new RegExp(`(^|\\s)${f}(\\s|$)`, "m").test(help.get(u.task)!)) {
        wrong.push(`${u.where}: deno task ${u.task} ${f}`);
      }
    }
  }
  assertEquals(wrong, [], "flags that the task's --help does not list");
});

Deno.test("README: the library example runs and prints chunks, a perplexity table and fill-mask guesses", async () => {
  const readme = await Deno.readTextFile(`${ROOT}/README.md`);
  const block = /```ts(?: ignore)?\n([\s\S]*?)```/.exec(readme);
  assert(block, "README has a ```ts block");
  const dir = await Deno.makeTempDir(); // the example's runs/ and .cache/ go here, not into the checkout
  try {
    const file = `${dir}/example.ts`;
    const code = block[1].replaceAll('"../mod.ts"', JSON.stringify(`${ROOT}/mod.ts`)) // saved as runs/example.ts
      .replaceAll('"fixtures/', `"${ROOT}/fixtures/`);
    await Deno.writeTextFile(file, code);
    const out = await new Deno.Command("deno", {
      args: ["run", "--allow-read", "--allow-write", "--allow-env", "--allow-sys", file],
      cwd: dir,
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stdout = new TextDecoder().decode(out.stdout);
    assertEquals(out.code, 0, new TextDecoder().decode(out.stderr));
    assert(/\d+ train chunks; \d+ eval chunks, masked once/.test(stdout), `chunks were counted: ${stdout}`);
    const row = /^\|\s+2 \|\s+(\S+) \|\s+(\S+) \|\s+(\S+) \|$/m.exec(stdout);
    assert(row, `the per-epoch table has epoch 2: ${stdout}`);
    const ppl = Number(row[3]);
    assert(Number.isFinite(ppl) && ppl > 1, `a perplexity was printed: ${row[0]}`);
    assert(stdout.includes("token_str"), "fill-mask guesses were printed");
    await Deno.stat(`${dir}/runs/readme/report.html`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
