// The tasks' permissions in deno.json are scoped: the network only to the Hub's hosts, the environment only to the
// variables the code reads, no --allow-sys. docs/permissions.md explains each line.
import { assert, assertEquals } from "../support/assert.ts";
import { ROOT } from "../support/shared.ts";
import { taskArgs, taskPermissions } from "./task_line.ts";

const TASKS = Object.keys(JSON.parse(Deno.readTextFileSync(`${ROOT}/deno.json`)).tasks).filter((t) =>
  !["test", "check"].includes(t)
);

/** Hosts a Hub download or upload reaches: the API, redirects to the CDN, Xet storage and (legacy) LFS storage. */
const HUB_HOSTS = [
  "huggingface.co",
  "hf.co",
  "cdn-lfs.huggingface.co",
  "cdn-lfs-us-1.huggingface.co",
  "cdn-lfs.hf.co",
  "cdn-lfs-us-1.hf.co",
  "cdn-lfs-eu-1.hf.co",
  "cas-bridge.xethub.hf.co",
  "cas-server.xethub.hf.co",
  "transfer.xethub.hf.co",
  "us.aws.cdn.hf.co",
  "us.gcp.cdn.hf.co",
];

/** Every `Deno.env.get("NAME")` in lib/ (the variables the library reads). */
async function envReads(dir: string): Promise<Map<string, string>> {
  const found = new Map<string, string>();
  for await (const e of Deno.readDir(dir)) {
    const path = `${dir}/${e.name}`;
    if (e.isDirectory) { for (const [k, v] of await envReads(path)) found.set(k, v); }
    else if (e.name.endsWith(".ts")) {
      for (const m of (await Deno.readTextFile(path)).matchAll(/Deno\.env\.get\("([A-Z_]+)"\)/g)) {
        found.set(m[1], path.slice(ROOT.length + 1));
      }
    }
  }
  return found;
}

Deno.test("deno.json: no task takes --allow-sys, an unscoped --allow-net or an unscoped --allow-env", () => {
  assert(TASKS.length >= 12, `${TASKS}`);
  for (const name of TASKS) {
    const p = taskPermissions(name);
    assert(!p.has("sys"), `${name}: --allow-sys (no task needs it)`);
    assert(p.get("net") !== true, `${name}: unscoped --allow-net`);
    assert(p.get("env") !== true, `${name}: unscoped --allow-env`);
    assert(
      (p.get("env") as string[] | undefined)?.includes("DEBUG"),
      `${name}: --allow-env lists DEBUG (stack traces)`,
    );
  }
});

Deno.test("deno.json: the tasks that reach the Hub may read every variable lib/hub reads, and reach only the Hub", async () => {
  const hubEnv = [...(await envReads(`${ROOT}/lib/hub`)).keys()];
  assert(hubEnv.includes("HF_ENDPOINT") && hubEnv.includes("HF_TOKEN"), `${hubEnv}`);
  // serve:web listens on 127.0.0.1 only (tests/web/serve_task_test.ts); every other networked task reaches the Hub.
  assertEquals(taskPermissions("serve:web").get("net"), ["127.0.0.1"]);
  const networked = TASKS.filter((t) => taskPermissions(t).has("net") && t !== "serve:web");
  assertEquals(networked.sort(), [
    "classify-finetune",
    "compare-adaptation",
    "evaluate",
    "fill-mask",
    "finetune",
    "push",
  ]);
  const probe = await Deno.makeTempFile({ suffix: ".ts" });
  await Deno.writeTextFile(
    probe,
    `const out = {};
    for (const host of Deno.args) out[host] = (await Deno.permissions.query({ name: "net", host })).state;
    console.log(JSON.stringify(out));`,
  );
  try {
    for (const name of networked) {
      const env = taskPermissions(name).get("env") as string[];
      for (const v of hubEnv) assert(env.includes(v), `${name}: --allow-env lacks ${v}`);
      const flags = taskArgs(name).filter((w) => w.startsWith("--"));
      const hosts = [...HUB_HOSTS, "example.com", "huggingface.co.example.com", "127.0.0.1"];
      const out = await new Deno.Command("deno", { args: ["run", ...flags.slice(1), probe, ...hosts] }).output();
      assertEquals(out.code, 0, new TextDecoder().decode(out.stderr));
      const states = JSON.parse(new TextDecoder().decode(out.stdout));
      for (const host of HUB_HOSTS) assertEquals(states[host], "granted", `${name}: ${host}`);
      for (const host of ["example.com", "huggingface.co.example.com", "127.0.0.1"]) {
        assertEquals(states[host], "prompt", `${name}: ${host} must not be granted`);
      }
    }
  } finally {
    await Deno.remove(probe);
  }
});

Deno.test("deno.json: every task may read the variables lib/ reads outside lib/hub and lib/bench", async () => {
  const reads = await envReads(`${ROOT}/lib`);
  const general = [...reads].filter(([, file]) => !/^lib\/(hub|bench)\//.test(file));
  assert(general.some(([name]) => name === "DEBUG"), `${[...reads.keys()]}`);
  for (const name of TASKS) {
    const env = taskPermissions(name).get("env") as string[];
    for (const [variable, file] of general) {
      assert(env.includes(variable), `${name}: --allow-env lacks ${variable} (${file})`);
    }
  }
});

Deno.test("deno.json: tasks without network or Hub access read no Hub variables", () => {
  for (const name of ["demo", "prepare", "report", "bench:train", "bench:data"]) {
    const p = taskPermissions(name);
    assert(!p.has("net"), `${name}: no network`);
    assert(!(p.get("env") as string[]).includes("HF_TOKEN"), `${name}: reads no Hub token`);
  }
});

/** Write permission states of `paths` under a task's flags, expanded as `deno task` does in `env`. */
async function writeStates(name: string, env: Record<string, string>, paths: string[]): Promise<string[]> {
  const probe = await Deno.makeTempFile({ suffix: ".ts" });
  await Deno.writeTextFile(
    probe,
    `const out = [];
    for (const path of Deno.args) out.push((await Deno.permissions.query({ name: "write", path })).state);
    console.log(JSON.stringify(out));`,
  );
  try {
    const flags = taskArgs(name, [], env).filter((w) => w.startsWith("--"));
    const out = await new Deno.Command("deno", { args: ["run", ...flags, probe, ...paths], cwd: ROOT, env }).output();
    assertEquals(out.code, 0, new TextDecoder().decode(out.stderr));
    return JSON.parse(new TextDecoder().decode(out.stdout));
  } finally {
    await Deno.remove(probe);
  }
}

Deno.test("deno.json: fill-mask and evaluate write only the Hub cache (wherever HF_* puts it) and evaluate's cache", async () => {
  const root = await Deno.makeTempDir();
  try {
    const layouts: [Record<string, string>, string][] = [
      [{ HOME: `${root}/home` }, `${root}/home/.cache/huggingface/hub`],
      [{ HOME: `${root}/home`, XDG_CACHE_HOME: `${root}/xdg` }, `${root}/xdg/huggingface/hub`],
      [{ HOME: `${root}/home`, HF_HOME: `${root}/hf` }, `${root}/hf/hub`],
      [{ HOME: `${root}/home`, HF_HOME: `${root}/hf`, HF_HUB_CACHE: `${root}/hub` }, `${root}/hub`],
    ];
    for (const [env, cache] of layouts) {
      const outside = [ROOT, `${ROOT}/runs/x`, root, `${root}/home/.bashrc`, "/tmp/x", `${cache}/../escape`];
      const inside = [`${cache}/models--org--m/blobs/abc`, `${cache}/.locks/models--org--m/abc.lock`];
      for (const name of ["fill-mask", "evaluate"]) {
        const own = name === "evaluate" ? [`${ROOT}/.cache/prepared/abc/train.bin`] : [];
        const states = await writeStates(name, env, [...inside, ...own, ...outside]);
        const where = `${name} with ${JSON.stringify(env)}`;
        assertEquals(states.slice(0, inside.length + own.length), [...inside, ...own].map(() => "granted"), where);
        assertEquals(states.slice(inside.length + own.length), outside.map(() => "prompt"), where);
      }
    }
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
