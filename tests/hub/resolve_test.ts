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
    await assertRejects(() => resolveModel(`${dir}/no/such/dir`), "neither an existing folder nor a Hub model id");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
