import { assert, assertEquals, assertRejects, assertStringIncludes } from "../support/assert.ts";
import { startHubServer } from "../support/hub_server.ts";
import { resolveModel, snapshotModel } from "../../lib/hub/resolve.ts";
import { tinyModelFiles, TOKEN } from "./tiny_repo.ts";

Deno.test("snapshotModel fetches the checkpoint files the repo has into one snapshot folder", async () => {
  const hub = await startHubServer({ tokens: [TOKEN] });
  const cacheDir = await Deno.makeTempDir();
  try {
    const files = await tinyModelFiles();
    const commit = hub.addRepo("distilbert/distilbert-base-uncased", {
      files: { ...files, "pytorch_model.bin": new Uint8Array(64), "README.md": "# card" },
    });
    hub.alias("distilbert-base-uncased", "distilbert/distilbert-base-uncased");
    const dir = await snapshotModel("distilbert-base-uncased", { endpoint: hub.endpoint, cacheDir });
    assertEquals(dir, `${cacheDir}/models--distilbert-base-uncased/snapshots/${commit}`);
    assertEquals(
      [...Deno.readDirSync(dir)].map((e) => e.name).sort(),
      ["config.json", "model.safetensors", "tokenizer.json", "vocab.txt"],
    );
    assertEquals(await Deno.readFile(`${dir}/model.safetensors`), files["model.safetensors"]);
    assertEquals(Deno.readTextFileSync(`${cacheDir}/models--distilbert-base-uncased/refs/main`), commit);
    // pytorch_model.bin is never fetched when safetensors exist.
    assert(!hub.requests.some((r) => r.path.includes("pytorch_model.bin")));

    // Offline, the same folder comes from refs/main without any request; resolveModel takes the same path.
    const before = hub.requests.length;
    const offline = await resolveModel("distilbert-base-uncased", { endpoint: hub.endpoint, cacheDir, offline: true });
    assertEquals(offline, dir);
    assertEquals(hub.requestsSince(before), []);
    await assertRejects(
      () => snapshotModel("org/never-fetched", { endpoint: hub.endpoint, cacheDir, offline: true }),
      "not in the cache",
    );
  } finally {
    await hub.close();
    await Deno.remove(cacheDir, { recursive: true });
  }
});

Deno.test("a repo with only pytorch_model.bin fails saying it is unsupported and why", async () => {
  const hub = await startHubServer();
  const cacheDir = await Deno.makeTempDir();
  try {
    hub.addRepo("old/bert", { files: { "config.json": "{}", "pytorch_model.bin": new Uint8Array(64) } });
    const err = await assertRejects(
      () => snapshotModel("old/bert", { endpoint: hub.endpoint, cacheDir }),
      "pytorch_model.bin",
    );
    assertStringIncludes(err.message, "pickle");
    assertStringIncludes(err.message, "safetensors");
    hub.addRepo("org/no-weights", { files: { "config.json": "{}" } });
    await assertRejects(
      () => snapshotModel("org/no-weights", { endpoint: hub.endpoint, cacheDir }),
      "no model.safetensors",
    );
    await assertRejects(
      () => snapshotModel("org/missing", { endpoint: hub.endpoint, cacheDir }),
      "Repository Not Found",
    );
  } finally {
    await hub.close();
    await Deno.remove(cacheDir, { recursive: true });
  }
});

Deno.test("resolveModel uses a local folder as is and rejects what is neither folder nor id", async () => {
  const dir = await Deno.makeTempDir();
  try {
    assertEquals(await resolveModel(dir), dir);
    await Deno.writeTextFile(`${dir}/file.txt`, "x");
    await assertRejects(() => resolveModel(`${dir}/file.txt`), "is a file");
    const err = await assertRejects(() => resolveModel(`${dir}/no/such/dir`), "is not a local folder");
    assertStringIncludes(err.message, `no such folder: ${dir}/no/such/dir (${dir} exists, no/such/dir does not)`);
    await assertRejects(() => resolveModel(`${dir}/file.txt/x`), "is not a local folder");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a mistyped local folder says it is no such folder; a Hub-shaped one says both, with the URL and cause", async () => {
  const hub = await startHubServer();
  const root = await Deno.makeTempDir();
  const cwd = Deno.cwd();
  const name = `nope-${crypto.randomUUID().slice(0, 8)}`; // absent from the working folder
  try {
    await Deno.mkdir(`${root}/runs`);
    const options = { endpoint: hub.endpoint, cacheDir: `${root}/cache` };
    // Read as paths: refused at once, without asking the Hub.
    for (const ref of [`./${name}/x`, `../${name}`, `${root}/runs/nope`, "~/models/nope", "runs/no pe"]) {
      const err = await assertRejects(
        () => resolveModel(ref, options),
        `"${ref}" is not a local folder (no such folder`,
      );
      assertStringIncludes(err.message, "not a Hub model id either");
    }
    const dotted = await assertRejects(() => resolveModel(`./${name}/x`, options), "not a local folder");
    assertStringIncludes(dotted.message, `no such folder: ${cwd}/${name}/x (${cwd} exists, ${name}/x does not)`);
    const absolute = await assertRejects(() => resolveModel(`${root}/runs/nope`, options), "not a local folder");
    assertStringIncludes(absolute.message, `(${root}/runs exists, nope does not)`);
    assertEquals(hub.requests.length, 0);
    // Shaped like a Hub id: asked of the Hub, and the message says both what is not on disk and why the Hub failed.
    const missing = await assertRejects(() => resolveModel(`${name}/m`, options), `"${name}/m" is not a local folder`);
    assertStringIncludes(missing.message, `no such folder: ${cwd}/${name}/m`);
    assertStringIncludes(missing.message, "not a Hub model id that could be reached");
    assertStringIncludes(missing.message, "Repository Not Found");
    assertStringIncludes(missing.message, `${hub.endpoint}/api/models/${name}/m/revision/main`);
    // A Hub that cannot be reached: the URL and the network cause.
    const port = hub.endpoint.split(":").at(-1);
    await hub.close();
    const down = await assertRejects(
      () => resolveModel(`${name}/m`, { ...options, retry: { attempts: 1 } }),
      "not a Hub model id that could be reached",
    );
    assertStringIncludes(down.message, `GET http://127.0.0.1:${port}/api/models/${name}/m/revision/main failed`);
    assertStringIncludes(down.message, "connection refused");
    assertStringIncludes(down.message, "not in the cache");
  } finally {
    await hub.close().catch(() => {});
    await Deno.remove(root, { recursive: true });
  }
});
