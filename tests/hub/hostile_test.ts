// A hostile Hub: server-sent names that try to leave the cache, answers that never come, bodies that drip or run past
// their announced size. Every write must stay inside the cache, every wait must end with a message naming the URL.
import { createHash } from "node:crypto";
import { assert, assertEquals, assertRejects, assertStringIncludes } from "../support/assert.ts";
import { drip, hang, overlong, startHostileHub } from "../support/hostile_hub.ts";
import { hubDownload } from "../../lib/hub/download.ts";
import { snapshotModel } from "../../lib/hub/resolve.ts";
import { writeRef } from "../../lib/hub/cache.ts";

const COMMIT = "c".repeat(40);
const CONFIG = new TextEncoder().encode('{"model_type":"distilbert"}');

function gitSha1(bytes: Uint8Array): string {
  return createHash("sha1").update(`blob ${bytes.length}\0`).update(bytes).digest("hex");
}

function sha256(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/** A scratch root holding `cache/` and a file of the user's beside it. */
async function scratch(): Promise<{ root: string; cacheDir: string; victim: string } & AsyncDisposable> {
  const root = await Deno.makeTempDir({ prefix: "hostile-" });
  const victim = `${root}/victim.txt`;
  await Deno.writeTextFile(victim, "the user's file\n");
  return {
    root,
    cacheDir: `${root}/cache`,
    victim,
    async [Symbol.asyncDispose]() {
      await Deno.remove(root, { recursive: true });
    },
  };
}

/** Fails the test when `promise` has not settled within `ms` (a hang is a failure, not a stuck suite). */
async function settlesWithin<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const hung = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`still waiting after ${ms} ms: no timeout`)), ms);
  });
  try {
    return await Promise.race([promise, hung]);
  } finally {
    clearTimeout(timer);
  }
}

/** Every entry under `dir`, relative, sorted (symlinks not followed). */
function tree(dir: string, prefix = ""): string[] {
  const out: string[] = [];
  for (const e of Deno.readDirSync(dir)) {
    out.push(`${prefix}${e.name}`);
    if (e.isDirectory) out.push(...tree(`${dir}/${e.name}`, `${prefix}${e.name}/`));
  }
  return out.sort();
}

Deno.test("a repo 'sha' made of ../ segments is refused; the user's file beside the cache is untouched", async () => {
  await using s = await scratch();
  const evil = "../../../victim.txt";
  await using hub = await startHostileHub((req, { url }) => {
    if (url.pathname.startsWith("/api/models/org/m/revision/")) {
      return Response.json({ sha: evil, siblings: [{ rfilename: "config.json" }, { rfilename: "model.safetensors" }] });
    }
    // A well-formed file answer, so only the sha is wrong.
    const headers = { "X-Repo-Commit": COMMIT, ETag: `"${gitSha1(CONFIG)}"`, "Content-Length": `${CONFIG.length}` };
    return new Response(req.method === "HEAD" ? null : CONFIG, { headers });
  }).then((h) => Object.assign(h, { [Symbol.asyncDispose]: () => h.close() }));
  const err = await assertRejects(
    () => snapshotModel("org/m", { endpoint: hub.endpoint, cacheDir: s.cacheDir, retry: { attempts: 1 } }),
    "expected a commit id (40 hex digits)",
  );
  assertStringIncludes(err.message, `"sha" field from ${hub.endpoint}/api/models/org/m/revision/main`);
  assertStringIncludes(err.message, JSON.stringify(evil));
  assertEquals(await Deno.readTextFile(s.victim), "the user's file\n");
  assertEquals(tree(s.root).filter((p) => !p.startsWith("cache")), ["victim.txt"]);
});

Deno.test("an ETag of '..' or with a slash, and an X-Repo-Commit with ../, are refused before anything is written", async () => {
  await using s = await scratch();
  let answer: Record<string, string> = {};
  await using hub = await startHostileHub((req) =>
    new Response(req.method === "HEAD" ? null : CONFIG, {
      headers: { "Content-Length": `${CONFIG.length}`, ...answer },
    })
  ).then((h) => Object.assign(h, { [Symbol.asyncDispose]: () => h.close() }));
  const options = { endpoint: hub.endpoint, cacheDir: s.cacheDir, retry: { attempts: 1 } };
  for (const etag of ['".."', "..", '"../../victim.txt"', `"${"a".repeat(40)}/x"`]) {
    answer = { "X-Repo-Commit": COMMIT, ETag: etag };
    const err = await assertRejects(() => hubDownload("org/m", "config.json", options), "expected an ETag of hex");
    assertStringIncludes(err.message, `ETag header from ${hub.endpoint}/org/m/resolve/main/config.json`);
  }
  answer = { "X-Repo-Commit": "../../../victim.txt", ETag: `"${gitSha1(CONFIG)}"` };
  await assertRejects(() => hubDownload("org/m", "config.json", options), "expected a commit id");
  assertEquals(await Deno.readTextFile(s.victim), "the user's file\n");
  // Nothing but the lock folder may exist: no blob, no snapshot, no ref.
  assertEquals(tree(s.root).filter((p) => p !== "cache" && !p.startsWith("cache/.locks")), ["victim.txt"]);
  // The quoted and weak forms the Hub sends are accepted.
  answer = { "X-Repo-Commit": COMMIT, ETag: `W/"${gitSha1(CONFIG)}"` };
  const path = await hubDownload("org/m", "config.json", options);
  assertEquals(await Deno.readFile(path), CONFIG);
});

Deno.test("a revision that climbs out of refs/ is refused (every cache write stays inside the cache)", async () => {
  await using s = await scratch();
  const storage = `${s.cacheDir}/models--org--m`;
  await assertRejects(() => writeRef(storage, "../../../victim.txt", COMMIT), "outside the Hub cache folder");
  await assertRejects(() => writeRef(storage, "main", "../x"), "expected a commit id");
  assertEquals(await Deno.readTextFile(s.victim), "the user's file\n");
  await writeRef(storage, "refs/convert/parquet", COMMIT);
  assertEquals(await Deno.readTextFile(`${storage}/refs/refs/convert/parquet`), COMMIT);
});

Deno.test("a Hub that never answers fails after the retries, naming the URL and the timeout", async () => {
  await using s = await scratch();
  await using hub = await startHostileHub((_, { closed }) => hang(closed))
    .then((h) => Object.assign(h, { [Symbol.asyncDispose]: () => h.close() }));
  const retry = { attempts: 2, baseDelayMs: 1, connectTimeoutMs: 150 };
  const err = await settlesWithin(
    assertRejects(
      () => snapshotModel("org/m", { endpoint: hub.endpoint, cacheDir: s.cacheDir, retry }),
      `GET ${hub.endpoint}/api/models/org/m/revision/main failed`,
    ),
    20_000,
  );
  assertStringIncludes(err.message, "no answer within 0.15 s");
  assertStringIncludes(err.message, "after retrying with backoff");
  assertStringIncludes(err.message, "not in the cache");
  // One try, then (nothing cached) the retried call: 1 + 2 requests.
  assertEquals(hub.requests.length, 3);
});

Deno.test("a body that drips a byte at a time, or stalls, fails with a read timeout naming the URL", async () => {
  await using s = await scratch();
  const file = new Uint8Array(4096).fill(7);
  let stall = false;
  await using hub = await startHostileHub((req, { closed, url }) => {
    if (url.pathname.startsWith("/api/")) {
      // A JSON answer whose body never ends.
      return new Response(drip(new TextEncoder().encode('{"sha":'), stall ? 1e6 : 20, closed), {
        headers: { "Content-Type": "application/json" },
      });
    }
    const headers = { "X-Repo-Commit": COMMIT, ETag: `"${sha256(file)}"`, "Content-Length": `${file.length}` };
    if (req.method === "HEAD") return new Response(null, { headers });
    return new Response(drip(file.subarray(0, 100), stall ? 1e6 : 20, closed), { headers });
  }).then((h) => Object.assign(h, { [Symbol.asyncDispose]: () => h.close() }));
  const retry = { attempts: 2, baseDelayMs: 1, idleTimeoutMs: 300 };
  const options = { endpoint: hub.endpoint, cacheDir: s.cacheDir, retry };
  const dripped = await settlesWithin(
    assertRejects(() => hubDownload("org/m", "big.bin", options), "was interrupted after"),
    20_000,
  );
  assertStringIncludes(dripped.message, `${hub.endpoint}/org/m/resolve/main/big.bin sent only`);
  assertStringIncludes(dripped.message, "read timeout");
  stall = true;
  const stalled = await settlesWithin(
    assertRejects(() => hubDownload("org/m", "big.bin", options), "was interrupted after"),
    20_000,
  );
  assertStringIncludes(stalled.message, `no data from ${hub.endpoint}/org/m/resolve/main/big.bin for 0.3 s`);
  const json = await settlesWithin(
    assertRejects(() => snapshotModel("org/m", options), `GET ${hub.endpoint}/api/models/org/m/revision/main`),
    20_000,
  );
  assertStringIncludes(json.message, "no data from");
});

Deno.test("a body longer than its announced size is read only up to that size", async () => {
  await using s = await scratch();
  const file = new Uint8Array(1000).map((_, i) => i % 251);
  const extra = 64 * 1024 * 1024;
  let produced = 0;
  await using hub = await startHostileHub((req) => {
    const headers = { "X-Repo-Commit": COMMIT, ETag: `"${sha256(file)}"`, "Content-Length": `${file.length}` };
    if (req.method === "HEAD") return new Response(null, { headers });
    // No Content-Length on the GET: a chunked body that goes on far past the 1000 bytes announced by the HEAD.
    return new Response(overlong(file, extra, (n) => produced = n), { headers: { "X-Repo-Commit": COMMIT } });
  }).then((h) => Object.assign(h, { [Symbol.asyncDispose]: () => h.close() }));
  const path = await hubDownload("org/m", "w.bin", { endpoint: hub.endpoint, cacheDir: s.cacheDir });
  assertEquals(await Deno.readFile(path), file);
  assert(produced < 4 * 1024 * 1024, `the reader went on to ${produced} bytes of a 1000-byte file`);
});
