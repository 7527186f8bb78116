// `deno task fill-mask` with a Hub id, run with exactly its deno.json line (its --allow-write is the Hub cache only):
// the download lands in the cache HF_HUB_CACHE names, and the task cannot write anywhere else.
import { assert, assertEquals, assertStringIncludes } from "../support/assert.ts";
import { startHubServer } from "../support/hub_server.ts";
import { ROOT } from "../support/shared.ts";
import { taskArgs } from "../tasks/task_line.ts";

Deno.test("deno task fill-mask downloads a Hub model into HF_HUB_CACHE under its scoped --allow-write", async () => {
  const hub = await startHubServer();
  const root = await Deno.makeTempDir();
  try {
    await hub.addFolder("org/demo", `${ROOT}/fixtures/demo/model`);
    const env = { HF_ENDPOINT: hub.endpoint, HF_HUB_CACHE: `${root}/hub` };
    const args = [
      ...taskArgs("fill-mask", ["--allow-net=127.0.0.1"], env),
      ...["--model", "org/demo", "--backend", "cpu", "--top-k", "2", "the movie was [MASK] ."],
    ];
    const out = await new Deno.Command("deno", { args, cwd: ROOT, env, stdout: "piped", stderr: "piped" }).output();
    const stderr = new TextDecoder().decode(out.stderr);
    assertEquals(out.code, 0, stderr);
    assert(new TextDecoder().decode(out.stdout).trim().length > 0, "predictions on stdout");
    const snapshots = [...Deno.readDirSync(`${root}/hub/models--org--demo/snapshots`)];
    assertEquals(snapshots.length, 1);
    // Under the same flags, a write outside the cache is refused by Deno.
    const probe = `${root}/probe.ts`;
    await Deno.writeTextFile(probe, `await Deno.writeTextFile(${JSON.stringify(`${root}/outside.txt`)}, "x");`);
    const flags = taskArgs("fill-mask", [], env).filter((w) => w.startsWith("--"));
    const denied = await new Deno.Command("deno", { args: ["run", ...flags, probe], env, stderr: "piped" }).output();
    assertEquals(denied.code, 1);
    assertStringIncludes(new TextDecoder().decode(denied.stderr), "Requires write access");
  } finally {
    await hub.close();
    await Deno.remove(root, { recursive: true });
  }
});
