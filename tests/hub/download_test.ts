import { createHash } from "node:crypto";
import { assert, assertEquals, assertRejects, assertStringIncludes } from "../support/assert.ts";
import { type HubServer, startHubServer } from "../support/hub_server.ts";
import { hubDownload } from "../../lib/hub/download.ts";
import { cachedFile, existsSync } from "../../lib/hub/cache.ts";
import { tinyModelFiles, TOKEN } from "./tiny_repo.ts";

const REPO = "distilbert/distilbert-base-uncased";
const FAST = { attempts: 4, baseDelayMs: 1 };

interface Fixture {
  hub: HubServer;
  cacheDir: string;
  commit: string;
  files: Record<string, string | Uint8Array>;
  [Symbol.asyncDispose](): Promise<void>;
}

async function fixture(): Promise<Fixture> {
  const hub = await startHubServer({ tokens: [TOKEN] });
  const files = await tinyModelFiles();
  const commit = hub.addRepo(REPO, { files });
  hub.alias("distilbert-base-uncased", REPO);
  const cacheDir = await Deno.makeTempDir({ prefix: "hf-cache-" });
  return {
    hub,
    cacheDir,
    commit,
    files,
    async [Symbol.asyncDispose]() {
      await hub.close();
      await Deno.remove(cacheDir, { recursive: true });
    },
  };
}

function sha256(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

function gitSha1(bytes: Uint8Array): string {
  return createHash("sha1").update(`blob ${bytes.length}\0`).update(bytes).digest("hex");
}

function bytesOf(content: string | Uint8Array): Uint8Array {
  return typeof content === "string" ? new TextEncoder().encode(content) : content;
}

Deno.test("hubDownload lays the cache out like huggingface_hub (blobs, snapshots symlinks, refs)", async () => {
  await using f = await fixture();
  const opts = { endpoint: f.hub.endpoint, cacheDir: f.cacheDir, token: TOKEN };
  const config = await hubDownload(REPO, "config.json", opts);
  const weights = await hubDownload(REPO, "model.safetensors", opts);
  const storage = `${f.cacheDir}/models--distilbert--distilbert-base-uncased`;
  assertEquals(config, `${storage}/snapshots/${f.commit}/config.json`);
  assertEquals(weights, `${storage}/snapshots/${f.commit}/model.safetensors`);
  // Regular file: blob named by its git sha1 (the ETag); LFS file: by sha256 (X-Linked-Etag).
  const configOid = gitSha1(bytesOf(f.files["config.json"]));
  const weightsSha = sha256(bytesOf(f.files["model.safetensors"]));
  assertEquals(Deno.readLinkSync(config), `../../blobs/${configOid}`);
  assertEquals(Deno.readLinkSync(weights), `../../blobs/${weightsSha}`);
  assertEquals(Deno.readTextFileSync(`${storage}/refs/main`), f.commit);
  assertEquals(await Deno.readFile(weights), f.files["model.safetensors"]);
  assertEquals([...Deno.readDirSync(`${storage}/blobs`)].map((e) => e.name).sort(), [configOid, weightsSha].sort());
});

Deno.test("hubDownload serves a second call from the cache: no GET; pinned to the commit, no request at all", async () => {
  await using f = await fixture();
  const opts = { endpoint: f.hub.endpoint, cacheDir: f.cacheDir };
  const first = await hubDownload(REPO, "model.safetensors", opts);
  const before = f.hub.requests.length;
  // A branch name is checked with one HEAD (as huggingface_hub does), but nothing is downloaded again.
  assertEquals(await hubDownload(REPO, "model.safetensors", opts), first);
  assertEquals(f.hub.requestsSince(before).map((r) => `${r.origin} ${r.method}`), ["hub HEAD"]);
  const mid = f.hub.requests.length;
  assertEquals(await hubDownload(REPO, "model.safetensors", { ...opts, revision: f.commit }), first);
  assertEquals(f.hub.requestsSince(mid), []);
});

Deno.test("hubDownload offline (HF_HUB_OFFLINE=1) answers from refs/snapshots, and says clearly what is missing", async () => {
  await using f = await fixture();
  const path = await hubDownload(REPO, "config.json", { endpoint: f.hub.endpoint, cacheDir: f.cacheDir });
  const before = f.hub.requests.length;
  Deno.env.set("HF_HUB_OFFLINE", "1");
  try {
    assertEquals(await hubDownload(REPO, "config.json", { endpoint: f.hub.endpoint, cacheDir: f.cacheDir }), path);
    const err = await assertRejects(
      () => hubDownload(REPO, "vocab.txt", { endpoint: f.hub.endpoint, cacheDir: f.cacheDir }),
      "offline mode",
    );
    assertStringIncludes(err.message, "vocab.txt");
    assertStringIncludes(err.message, "not in the cache");
  } finally {
    Deno.env.delete("HF_HUB_OFFLINE");
  }
  assertEquals(f.hub.requestsSince(before), []);
});

Deno.test("hubDownload reuses a cache written by Python huggingface_hub (same layout, no download)", async () => {
  await using f = await fixture();
  // Lay the files out by hand exactly as hf_hub_download would have.
  const storage = `${f.cacheDir}/models--distilbert--distilbert-base-uncased`;
  const bytes = bytesOf(f.files["config.json"]);
  const oid = gitSha1(bytes);
  await Deno.mkdir(`${storage}/blobs`, { recursive: true });
  await Deno.mkdir(`${storage}/refs`, { recursive: true });
  await Deno.mkdir(`${storage}/snapshots/${f.commit}`, { recursive: true });
  await Deno.writeFile(`${storage}/blobs/${oid}`, bytes);
  await Deno.writeTextFile(`${storage}/refs/main`, f.commit);
  Deno.symlinkSync(`../../blobs/${oid}`, `${storage}/snapshots/${f.commit}/config.json`);
  const before = f.hub.requests.length;
  const path = await hubDownload(REPO, "config.json", { endpoint: f.hub.endpoint, cacheDir: f.cacheDir });
  assertEquals(path, `${storage}/snapshots/${f.commit}/config.json`);
  assertEquals(f.hub.requestsSince(before).filter((r) => r.method === "GET"), []);
  assertEquals(cachedFile(REPO, "config.json", { cacheDir: f.cacheDir }).state, "cached");
});

Deno.test("hubDownload uses HF_HUB_CACHE / HF_HOME for the cache root", async () => {
  await using f = await fixture();
  const home = await Deno.makeTempDir();
  Deno.env.set("HF_HOME", home);
  Deno.env.set("HF_ENDPOINT", f.hub.endpoint);
  try {
    const path = await hubDownload(REPO, "config.json");
    assert(path.startsWith(`${home}/hub/models--distilbert--distilbert-base-uncased/snapshots/`), path);
    Deno.env.set("HF_HUB_CACHE", `${home}/elsewhere`);
    const other = await hubDownload(REPO, "config.json");
    assert(other.startsWith(`${home}/elsewhere/models--`), other);
  } finally {
    Deno.env.delete("HF_HOME");
    Deno.env.delete("HF_HUB_CACHE");
    Deno.env.delete("HF_ENDPOINT");
    await Deno.remove(home, { recursive: true });
  }
});

Deno.test("a renamed repo's id is followed through the Hub's relative redirect and cached under the id asked", async () => {
  await using f = await fixture();
  const path = await hubDownload("distilbert-base-uncased", "config.json", {
    endpoint: f.hub.endpoint,
    cacheDir: f.cacheDir,
    token: TOKEN,
  });
  assertEquals(path, `${f.cacheDir}/models--distilbert-base-uncased/snapshots/${f.commit}/config.json`);
  const hops = f.hub.requests.map((r) => `${r.method} ${r.path}`);
  assertEquals(hops.slice(0, 2), [
    "HEAD /distilbert-base-uncased/resolve/main/config.json",
    `HEAD /${REPO}/resolve/main/config.json`,
  ]);
  // The redirect stays on the Hub's origin, so the token goes along (as in huggingface_hub).
  assert(f.hub.requests.every((r) => r.headers.authorization === `Bearer ${TOKEN}`));
});

Deno.test("the LFS redirect to the CDN origin carries no Authorization header", async () => {
  await using f = await fixture();
  await hubDownload(REPO, "model.safetensors", { endpoint: f.hub.endpoint, cacheDir: f.cacheDir, token: TOKEN });
  const cdn = f.hub.requestsSince(0, "cdn");
  assertEquals(cdn.length, 1);
  assertEquals(cdn[0].headers.authorization, undefined);
  assert(f.hub.requestsSince(0, "hub").every((r) => r.headers.authorization === `Bearer ${TOKEN}`));
  for (const r of cdn) assert(!JSON.stringify(r).includes(TOKEN), "token reached the CDN");
});

Deno.test("a download dropped halfway is resumed with a Range request and verified", async () => {
  await using f = await fixture();
  f.hub.fault({ pathIncludes: "/lfs/", origin: "cdn", drop: true });
  const path = await hubDownload(REPO, "model.safetensors", {
    endpoint: f.hub.endpoint,
    cacheDir: f.cacheDir,
    retry: FAST,
  });
  assertEquals(await Deno.readFile(path), f.files["model.safetensors"]);
  const gets = f.hub.requestsSince(0, "cdn");
  const total = bytesOf(f.files["model.safetensors"]).length;
  assertEquals(gets.map((r) => r.headers.range), [undefined, `bytes=${total >> 1}-`]);
});

Deno.test("a partial download left by an earlier run is resumed by the next call", async () => {
  await using f = await fixture();
  f.hub.fault({ pathIncludes: "/lfs/", origin: "cdn", drop: true });
  const opts = { endpoint: f.hub.endpoint, cacheDir: f.cacheDir, retry: { attempts: 1, baseDelayMs: 1 } };
  const err = await assertRejects(() => hubDownload(REPO, "model.safetensors", opts), "interrupted");
  assertStringIncludes(err.message, "next call resumes it");
  const storage = `${f.cacheDir}/models--distilbert--distilbert-base-uncased`;
  const sha = sha256(bytesOf(f.files["model.safetensors"]));
  const half = Deno.statSync(`${storage}/blobs/${sha}.incomplete`).size;
  assert(half > 0);
  assert(!existsSync(`${storage}/snapshots/${f.commit}/model.safetensors`), "nothing may be in the snapshot yet");
  const path = await hubDownload(REPO, "model.safetensors", opts);
  assertEquals(await Deno.readFile(path), f.files["model.safetensors"]);
  assertEquals(f.hub.requestsSince(0, "cdn").at(-1)?.headers.range, `bytes=${half}-`);
});

Deno.test("a wrong checksum fails clearly and leaves nothing in blobs or snapshots", async () => {
  await using f = await fixture();
  f.hub.fault({ pathIncludes: "/lfs/", origin: "cdn", corrupt: true });
  const err = await assertRejects(
    () => hubDownload(REPO, "model.safetensors", { endpoint: f.hub.endpoint, cacheDir: f.cacheDir, retry: FAST }),
    "corrupt",
  );
  assertStringIncludes(err.message, `expected sha256 ${sha256(bytesOf(f.files["model.safetensors"]))}`);
  assertStringIncludes(err.message, "nothing was cached");
  const storage = `${f.cacheDir}/models--distilbert--distilbert-base-uncased`;
  assertEquals([...Deno.readDirSync(`${storage}/blobs`)], []);
  assert(!existsSync(`${storage}/snapshots/${f.commit}/model.safetensors`), "nothing may be in the snapshot");
  // The next call downloads cleanly.
  const path = await hubDownload(REPO, "model.safetensors", { endpoint: f.hub.endpoint, cacheDir: f.cacheDir });
  assertEquals(await Deno.readFile(path), f.files["model.safetensors"]);
});

Deno.test("429 and 500 answers are retried with backoff; a lasting 500 fails naming the status", async () => {
  await using f = await fixture();
  const opts = { endpoint: f.hub.endpoint, cacheDir: f.cacheDir, retry: FAST };
  f.hub.fault({ pathIncludes: "config.json", method: "HEAD", status: 429 });
  f.hub.fault({ pathIncludes: "config.json", method: "HEAD", status: 500 });
  await hubDownload(REPO, "config.json", opts);
  assertEquals(f.hub.requests.filter((r) => r.method === "HEAD").length, 3);
  f.hub.fault({ pathIncludes: "/lfs/", origin: "cdn", status: 503, times: 2 });
  await hubDownload(REPO, "model.safetensors", opts);
  assertEquals(f.hub.requestsSince(0, "cdn").length, 3);
  f.hub.fault({ pathIncludes: "vocab.txt", status: 500, times: 100 });
  const err = await assertRejects(() => hubDownload(REPO, "vocab.txt", opts), "500 Server Error");
  assertStringIncludes(err.message, "after retrying with backoff");
  assertStringIncludes(err.message, "not in the cache");
});

Deno.test("401/403/404 messages: missing or private repo, gated repo, missing revision, missing file", async () => {
  await using f = await fixture();
  f.hub.addRepo("org/private", { files: { "config.json": "{}" }, private: true });
  f.hub.addRepo("org/gated", { files: { "config.json": "{}" }, gated: true });
  const opts = { endpoint: f.hub.endpoint, cacheDir: f.cacheDir, retry: FAST };
  const noRepo = await assertRejects(() => hubDownload("org/missing", "config.json", opts), "Repository Not Found");
  assertStringIncludes(noRepo.message, "401 Client Error");
  assertStringIncludes(noRepo.message, "make sure you are authenticated");
  await assertRejects(() => hubDownload("org/private", "config.json", opts), "Repository Not Found");
  await assertRejects(() => hubDownload("org/missing", "config.json", { ...opts, token: TOKEN }), "404 Client Error");
  await assertRejects(() => hubDownload("org/gated", "config.json", opts), "Cannot access gated repo");
  await assertRejects(() => hubDownload(REPO, "config.json", { ...opts, revision: "v9" }), "Revision Not Found");
  const noFile = await assertRejects(() => hubDownload(REPO, "nope.txt", opts), "Entry Not Found");
  assertStringIncludes(noFile.message, "404 Client Error");
  // As in huggingface_hub, the absence is recorded under .no_exist/<commit>/.
  assertEquals(cachedFile(REPO, "nope.txt", { cacheDir: f.cacheDir }).state, "absent");
  const bad = await assertRejects(
    () => hubDownload(REPO, "config.json", { ...opts, token: "hf_not_a_valid_token_42" }),
    "Invalid credentials",
  );
  assert(!bad.message.includes("hf_not_a_valid_token_42"), "the token leaked into the message");
});

Deno.test("the token never appears in thrown messages, even when the server echoes it", async () => {
  await using f = await fixture();
  const secret = "hf_secret_token_that_must_not_leak";
  const logged: string[] = [];
  const original = { log: console.log, error: console.error, warn: console.warn };
  console.log = console.error = console.warn = (...args: unknown[]) => logged.push(args.join(" "));
  const errors: string[] = [];
  try {
    for (const [repo, file] of [["org/missing", "config.json"], [REPO, "nope.txt"], [REPO, "config.json"]]) {
      await hubDownload(repo, file, { endpoint: f.hub.endpoint, cacheDir: f.cacheDir, token: secret, retry: FAST })
        .catch((e) => errors.push(`${(e as Error).message}\n${(e as Error).stack}`));
    }
  } finally {
    Object.assign(console, original);
  }
  assertEquals(errors.length, 3);
  for (const text of [...errors, ...logged]) assert(!text.includes(secret), `token leaked: ${text}`);
});

Deno.test("an unreachable Hub falls back to the cache, and otherwise says the file is not cached", async () => {
  await using f = await fixture();
  const path = await hubDownload(REPO, "config.json", { endpoint: f.hub.endpoint, cacheDir: f.cacheDir });
  const closed = await startHubServer();
  const deadEndpoint = closed.endpoint;
  await closed.close();
  const opts = { endpoint: deadEndpoint, cacheDir: f.cacheDir, retry: { attempts: 2, baseDelayMs: 1 } };
  assertEquals(await hubDownload(REPO, "config.json", opts), path);
  const err = await assertRejects(() => hubDownload(REPO, "vocab.txt", opts), "could not reach the Hub");
  assertStringIncludes(err.message, "not in the cache");
});
