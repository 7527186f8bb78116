/**
 * What a failed Hub call tells the user: what was being done, the request (method and URL), the HTTP status or the
 * network error, and what to do — for downloads, model look-ups, dataset listings and every step of a push; and, when
 * Deno's `--allow-net` does not grant the host (`HF_ENDPOINT` elsewhere, a CDN redirect), the flag to add.
 */
import { assert, assertEquals, assertRejects, assertStringIncludes } from "../support/assert.ts";
import { startHubServer } from "../support/hub_server.ts";
import { ROOT } from "../support/shared.ts";
import { hubDownload } from "../../lib/hub/download.ts";
import { hubDatasetFiles } from "../../lib/hub/dataset.ts";
import { HUB_ALLOW_NET, HubError } from "../../lib/hub/http.ts";
import { snapshotModel } from "../../lib/hub/resolve.ts";
import { pushToHub } from "../../lib/hub/upload.ts";
import { tinyModelFiles, TOKEN } from "./tiny_repo.ts";

const ONCE = { attempts: 1 };

/** A folder with a small config and an LFS-sized weights file. */
async function folderToPush(): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "push-" });
  const files = await tinyModelFiles(64);
  await Deno.writeTextFile(`${dir}/config.json`, files["config.json"] as string);
  await Deno.writeFile(`${dir}/model.safetensors`, files["model.safetensors"] as Uint8Array);
  return dir;
}

/** An endpoint on 127.0.0.1 where nothing listens any more. */
async function closedEndpoint(): Promise<string> {
  const hub = await startHubServer();
  await hub.close();
  return hub.endpoint;
}

Deno.test("a refused connection: every Hub call names its action, the request and the error, and what to do", async () => {
  const dead = await closedEndpoint();
  const host = new URL(dead).host;
  const cacheDir = await Deno.makeTempDir({ prefix: "hf-cache-" });
  const dir = await folderToPush();
  try {
    const opts = { endpoint: dead, cacheDir, retry: ONCE };
    const download = await assertRejects(() => hubDownload("org/tiny", "config.json", opts), "could not reach the Hub");
    for (
      const part of [
        "to download config.json of org/tiny (revision main)",
        `HEAD ${dead}/org/tiny/resolve/main/config.json failed: connection refused by ${host}`,
        "not in the cache",
        "set HF_HUB_OFFLINE=1",
      ]
    ) assertStringIncludes(download.message, part);
    assert(download instanceof HubError && download.kind === "Network" && download.status === 0);

    const model = await assertRejects(() => snapshotModel("org/tiny", opts), "looking up the files of model org/tiny");
    assertStringIncludes(model.message, `GET ${dead}/api/models/org/tiny/revision/main failed: connection refused`);
    assertStringIncludes(model.message, "Model org/tiny at revision main is not in the cache");

    const data = await assertRejects(() => hubDatasetFiles("org/reviews", opts), "listing the Parquet files");
    assertStringIncludes(data.message, `GET ${dead}/api/datasets/org/reviews/parquet failed: connection refused`);

    const push = await assertRejects(
      () => pushToHub(dir, { repoId: "me/tiny", token: TOKEN, endpoint: dead }),
      "push to me/tiny failed while creating the repo",
    );
    assertStringIncludes(push.message, `POST ${dead}/api/repos/create failed: connection refused by ${host}`);
    assertStringIncludes(push.message, "Nothing accepts connections there");
    assert(!push.message.includes("HF_HUB_OFFLINE"), "a push cannot work offline: no cache hint");
    assert(!push.message.includes(TOKEN), "token leaked");
  } finally {
    await Deno.remove(cacheDir, { recursive: true });
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("HTTP failures during a push name the step, the request, the status and what to do", async () => {
  const hub = await startHubServer({ tokens: [TOKEN] });
  const dir = await folderToPush();
  try {
    const opts = { repoId: "me/tiny", token: TOKEN, endpoint: hub.endpoint };
    hub.fault({ pathIncludes: "/upload/", origin: "cdn", method: "PUT", status: 403 });
    const upload = await assertRejects(() => pushToHub(dir, opts), "while uploading a large file through LFS");
    assertStringIncludes(upload.message, `PUT ${hub.cdn}/upload/`);
    assertStringIncludes(upload.message, "HTTP 403");
    assertStringIncludes(upload.message, "The storage host refused the upload");
    hub.fault({ pathIncludes: "/commit/", origin: "hub", status: 500, times: 10 });
    const commit = await assertRejects(() => pushToHub(dir, opts), "push to me/tiny failed while creating the commit");
    assertStringIncludes(commit.message, `POST ${hub.endpoint}/api/models/me/tiny/commit/main answered HTTP 500`);
    assertStringIncludes(commit.message, "push again later");
    const refused = await assertRejects(
      () => pushToHub(dir, { ...opts, token: "hf_refused_token_never_shown" }),
      "push to me/tiny failed while creating the repo",
    );
    assertStringIncludes(refused.message, "HTTP 401");
    assertStringIncludes(refused.message, "The token was refused: check --hub-token / HF_TOKEN");
    assert(!refused.message.includes("hf_refused_token_never_shown"), "token leaked");
  } finally {
    await hub.close();
    await Deno.remove(dir, { recursive: true });
  }
});

/** Run `args` with deno (no prompts), return exit code and all output. */
async function deno(args: string[], env: Record<string, string>): Promise<{ code: number; out: string }> {
  const out = await new Deno.Command("deno", {
    args: ["run", "--no-prompt", ...args],
    env: { NO_COLOR: "1", ...env },
    stdout: "piped",
    stderr: "piped",
  }).output();
  return { code: out.code, out: new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr) };
}

Deno.test("HF_ENDPOINT on a host --allow-net does not grant: the error names the flag to add (push task, download)", async () => {
  const hub = await startHubServer({ tokens: [TOKEN] });
  hub.addRepo("org/tiny", { files: await tinyModelFiles(64) });
  const dir = await folderToPush();
  const script = `${dir}/download.ts`;
  await Deno.writeTextFile(
    script,
    `import { hubDownload } from "${ROOT}/lib/hub/download.ts";\n` +
      `await hubDownload("org/tiny", Deno.args[0], { cacheDir: "${dir}/cache", retry: { attempts: 1 } })\n` +
      "  .then((p) => console.log(`ok ${p}`), (e) => console.log(`error: ${e.message}`));\n",
  );
  const host = new URL(hub.endpoint).host;
  const env = { HF_ENDPOINT: hub.endpoint, HF_TOKEN: TOKEN };
  try {
    const push = await deno(
      [
        "--allow-read",
        "--allow-env",
        `--allow-net=${HUB_ALLOW_NET}`,
        `${ROOT}/tasks/push.ts`,
        "--folder",
        dir,
        "--hub-model-id",
        "me/tiny",
      ],
      { ...env },
    );
    assertEquals(push.code, 1, push.out);
    assertStringIncludes(push.out, "push: push to");
    assertStringIncludes(push.out, `Deno's permissions do not allow connecting to ${host}`);
    assertStringIncludes(push.out, `--allow-net=${HUB_ALLOW_NET},${host}`);
    assertStringIncludes(push.out, `HF_ENDPOINT is ${hub.endpoint}`);
    assert(!push.out.includes(TOKEN), "token printed");

    const read = `--allow-read=${ROOT},${dir}`, write = `--allow-write=${dir}`;
    const get = await deno([read, write, "--allow-env", `--allow-net=${HUB_ALLOW_NET}`, script, "config.json"], env);
    assertStringIncludes(get.out, "error: could not reach the Hub to download config.json of org/tiny");
    assertStringIncludes(get.out, `HEAD ${hub.endpoint}/org/tiny/resolve/main/config.json`);
    assertStringIncludes(get.out, `--allow-net=${HUB_ALLOW_NET},${host}`);

    // The Hub granted, its CDN (where LFS downloads are redirected) not: the CDN host is named.
    const cdn = await deno([read, write, "--allow-env", `--allow-net=${host}`, script, "model.safetensors"], env);
    const cdnHost = new URL(hub.cdn).host;
    assertStringIncludes(cdn.out, "error: downloading model.safetensors of org/tiny (revision main)");
    assertStringIncludes(cdn.out, `Deno's permissions do not allow connecting to ${cdnHost} for GET ${hub.cdn}/lfs/`);
    assertStringIncludes(cdn.out, `--allow-net=${HUB_ALLOW_NET},${cdnHost} (the Hub redirected there`);
  } finally {
    await hub.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a Hub that cannot answer (503) is asked once: a cached model or dataset is used at once, as in Python", async () => {
  const hub = await startHubServer();
  const cacheDir = await Deno.makeTempDir({ prefix: "hf-cache-" });
  try {
    hub.addRepo("org/tiny", { files: await tinyModelFiles(64) });
    hub.addRepo("org/data", {
      type: "dataset",
      branch: "refs/convert/parquet",
      files: { "default/train/0000.parquet": "PAR1" },
    });
    const opts = { endpoint: hub.endpoint, cacheDir, retry: { attempts: 4, baseDelayMs: 1 } };
    const dir = await snapshotModel("org/tiny", opts);
    const data = await hubDatasetFiles("org/data", opts);

    hub.fault({ pathIncludes: "/api/", status: 503, times: 100 });
    const before = hub.requests.length;
    assertEquals(await snapshotModel("org/tiny", opts), dir);
    assertEquals(await hubDatasetFiles("org/data", opts), data);
    assertEquals(hub.requestsSince(before).map((r) => r.path.split("?")[0]), [
      "/api/models/org/tiny/revision/main",
      "/api/datasets/org/data/parquet",
    ]);

    // Not cached: retried with backoff, then the Hub's answer and the cache's absence, in one message.
    const missing = await assertRejects(
      () => snapshotModel("org/other", opts),
      "looking up the files of model org/other",
    );
    assertStringIncludes(missing.message, "HTTP 503");
    assertStringIncludes(missing.message, "(after retrying with backoff)");
    assertStringIncludes(missing.message, "run again later");
    assertStringIncludes(missing.message, "Model org/other at revision main is not in the cache");
    const noData = await assertRejects(() => hubDatasetFiles("org/none", opts), "listing the Parquet files");
    assertStringIncludes(noData.message, "Dataset org/none has no Parquet files in the cache");
    assertEquals(
      hub.requestsSince(before).length,
      2 + 5 + 5,
      "one try for cached repos; one, then four, for the others",
    );
  } finally {
    await hub.close();
    await Deno.remove(cacheDir, { recursive: true });
  }
});

Deno.test("networkErrorMessage reads Deno's fetch errors: DNS, refused, timeout, TLS, dropped, and permissions", async () => {
  const { networkErrorMessage } = await import("../../lib/hub/http.ts");
  const url = "https://huggingface.co/api/models/x";
  const fetchFailed = (cause: string) =>
    new TypeError("fetch failed", {
      cause: new Error(`error sending request for url (${url}): client error (Connect): ${cause}`),
    });
  const cases: [Error, string[]][] = [
    [fetchFailed("dns error: failed to lookup address information: Name or service not known"), [
      `GET ${url} failed: cannot resolve the host name huggingface.co (dns error:`,
      "No network, or no DNS",
      "HF_HUB_OFFLINE=1",
    ]],
    [fetchFailed("tcp connect error: Connection refused (os error 111)"), ["connection refused by huggingface.co"]],
    [fetchFailed("tcp connect error: Connection timed out (os error 110)"), [
      "the connection to huggingface.co timed out",
    ]],
    [fetchFailed("invalid peer certificate: UnknownIssuer"), ["TLS connection", "DENO_TLS_CA_STORE=system"]],
    [new TypeError("error reading a body from connection: connection reset"), ["was dropped", "Run again"]],
    [new Deno.errors.NotCapable('Requires net access to "huggingface.co:443"'), [
      "Deno's permissions do not allow connecting to huggingface.co",
      `--allow-net=${HUB_ALLOW_NET};`,
    ]],
  ];
  for (const [error, parts] of cases) {
    const message = networkErrorMessage(error, { url: `${url}?signature=secret` });
    for (const part of parts) assertStringIncludes(message, part);
    assert(!message.includes("secret"), "the query is left out");
  }
  const push = networkErrorMessage(cases[1][0], { url, method: "post", offlineHint: false });
  assertStringIncludes(push, `POST ${url} failed`);
  assert(!push.includes("HF_HUB_OFFLINE"), push);
});
