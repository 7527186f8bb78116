/**
 * Push a checkpoint folder to the Hub, as `push_to_hub` / `upload_folder` do: create the repo if needed (an existing
 * one is fine), then one commit with every file, large ones through the Hub's LFS protocol. The HTTP is done by
 * `@huggingface/hub` (`createRepo`, `uploadFiles`, with the plain LFS "basic" transfer), pointed at `endpoint`.
 *
 * @module
 */
import { join, relative } from "node:path";
import { pathToFileURL } from "node:url";
import { importHfHub } from "../deps.ts";
import { displayUrl, hubEndpoint, HubError, hubToken, networkErrorMessage, redactToken } from "./http.ts";
import { isRepoId } from "./resolve.ts";
import { checkRelativeFilename } from "./cache.ts";

/** Options of {@link pushToHub}. */
export interface PushToHubOptions {
  /** `namespace/name`, or `name` alone (the token's user is the namespace). */
  repoId: string;
  /** Write token (default `$HF_TOKEN`); never printed. */
  token?: string;
  /** Hub URL (default `$HF_ENDPOINT`, else https://huggingface.co). */
  endpoint?: string;
  /** Create the repo private (only when it is created here). */
  private?: boolean;
  /** Commit title (default "Upload folder using the Deno MLM toolkit"). */
  commitMessage?: string;
  /** Create the repo when it does not exist (default true). */
  createRepo?: boolean;
  /** Branch to commit to (default "main"). */
  revision?: string;
  /** Repo kind (default "model"). */
  repoType?: "model" | "dataset";
  /** Files added or replaced in the same commit without being on disk (e.g. a generated `README.md`). */
  extraFiles?: Record<string, string | Uint8Array>;
  /** Push only these paths of the folder (relative, regular files; default: every file under it). */
  files?: readonly string[];
}

/** What a push did. */
export interface PushResult {
  /** The repo id pushed to (namespace resolved). */
  repoId: string;
  /** The repo's page. */
  repoUrl: string;
  /** The new commit's id. */
  commitOid: string;
  /** The new commit's page. */
  commitUrl: string;
  /** Paths committed, sorted. */
  files: string[];
}

/**
 * Paths never pushed: what `upload_folder` skips by default (git metadata, huggingface_hub's local-dir cache,
 * `.incomplete` downloads) and the leftovers of an interrupted atomic write (`.checkpoint-N.tmp-*` folders,
 * `*.tmp-*` files), which are not part of the checkpoint.
 *
 * @example
 * ```ts
 * import { notPushed } from "./upload.ts";
 * if (!notPushed(".checkpoint-500.tmp-1a2b3c4d/") || !notPushed("config.json.tmp-0f1e") || notPushed("config.json")) {
 *   throw new Error("unexpected");
 * }
 * ```
 */
export function notPushed(rel: string): boolean {
  const parts = rel.replace(/\/$/, "").split("/");
  return parts.includes(".git") || rel.startsWith(".cache/huggingface/") || rel.endsWith(".incomplete") ||
    parts.some((p) => /\.tmp-[0-9A-Za-z-]+$/.test(p));
}

/**
 * Every regular file under `folder`, relative, sorted. Symlinks are refused, each named: a link can point anywhere
 * (`~/.ssh`), and pushing what it points at would publish a file from outside the folder.
 */
async function listFolder(folder: string): Promise<string[]> {
  const out: string[] = [];
  const links: string[] = [];
  async function walk(dir: string): Promise<void> {
    for await (const entry of Deno.readDir(dir)) {
      const path = join(dir, entry.name);
      const rel = relative(folder, path).split("\\").join("/");
      if (notPushed(entry.isDirectory ? `${rel}/` : rel)) continue;
      if (entry.isSymlink) links.push(`${rel} -> ${await Deno.readLink(path).catch(() => "?")}`);
      else if (entry.isDirectory) await walk(path);
      else if (entry.isFile) out.push(rel);
    }
  }
  await walk(folder);
  if (links.length > 0) {
    throw new Error(
      `${folder}: refusing to push symbolic links (their targets may lie outside the folder):\n${
        links.sort().map((l) => `  - ${l}`).join("\n")
      }\nReplace each with a copy of the file it points to (e.g. \`cp -L\`), or remove it, and push again.`,
    );
  }
  return out.sort();
}

/** `files` of `folder` checked: relative, inside it, regular files (a symlink is refused as in {@link listFolder}). */
async function checkFiles(folder: string, files: readonly string[]): Promise<string[]> {
  const out: string[] = [];
  for (const rel of files) {
    checkRelativeFilename(rel);
    if (notPushed(rel)) continue;
    const info = await Deno.lstat(join(folder, rel)).catch((e) => {
      throw new Error(`${join(folder, rel)}: cannot push (${(e as Error).message})`);
    });
    if (info.isSymlink) {
      throw new Error(
        `${folder}: refusing to push symbolic links (their targets may lie outside the folder):\n  - ${rel} -> ${await Deno
          .readLink(join(folder, rel))}\nReplace it with a copy of the file it points to, or remove it.`,
      );
    }
    if (!info.isFile) throw new Error(`${join(folder, rel)}: cannot push (not a regular file)`);
    out.push(rel);
  }
  return out.sort();
}

/** Which step of a push a request to `url` belongs to, in words. */
function pushStep(url: string): string {
  const path = URL.canParse(url) ? new URL(url).pathname : url;
  if (path.includes("/api/whoami")) return "looking up the token's user (whoami)";
  if (path.endsWith("/api/repos/create")) return "creating the repo";
  if (path.includes("/preupload/")) return "asking which files go through LFS (preupload)";
  if (path.endsWith("/info/lfs/objects/batch")) return "asking for LFS upload URLs (LFS batch)";
  if (path.includes("/commit/")) return "creating the commit";
  return "uploading a large file through LFS";
}

/**
 * A `fetch` for `@huggingface/hub` that records each request's method by URL and turns a network failure (including
 * Deno refusing the host) into a {@link HubError} naming the request, the host and what to do.
 */
function pushFetch(methods: Map<string, string>): typeof fetch {
  return async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const url = input instanceof Request ? input.url : String(input);
    const method = (init?.method ?? (input instanceof Request ? input.method : "GET")).toUpperCase();
    methods.set(displayUrl(url), method);
    try {
      return await fetch(input, init);
    } catch (e) {
      if ((e as Error).name === "AbortError") throw e;
      throw new HubError(
        networkErrorMessage(e, { url, method, offlineHint: false }),
        0,
        "Network",
        new Headers(),
        displayUrl(url),
      );
    }
  };
}

/** What to do about a push answered with `status` (one sentence). */
function pushHint(status: number, repoId: string, onHub: boolean): string {
  if (!onHub && (status === 401 || status === 403)) {
    return "The storage host refused the upload (an expired upload URL, or a proxy in between): push again.";
  }
  if (status === 401) {
    return "The token was refused: check --hub-token / HF_TOKEN (tokens are at https://huggingface.co/settings/tokens).";
  }
  if (status === 403) {
    return `The token has no write access to ${repoId.split("/")[0]}: use a write token of that user or organization.`;
  }
  if (status === 404) return "Check the repo id, and HF_ENDPOINT if it is set.";
  if (status === 413) return "A file is larger than the Hub accepts in one upload.";
  if (status === 429) return "The Hub is rate-limiting: wait a few minutes and push again.";
  if (status >= 500) {
    return "The Hub is failing: push again later (a commit is all or nothing: nothing was half-pushed).";
  }
  return "";
}

/** Turn a library error into one that names the repo, the step, the request and what to do, without the token. */
function pushError(e: unknown, repoId: string, token: string, methods: Map<string, string>, hubUrl: string): Error {
  const err = e as Error & { statusCode?: number; url?: string; requestId?: string };
  if (e instanceof HubError) {
    const step = e.url === undefined ? "" : ` while ${pushStep(e.url)}`;
    return new HubError(redactToken(`push to ${repoId} failed${step}: ${e.message}`, token), e.status, e.kind);
  }
  const status = err.statusCode;
  if (typeof status === "number" && typeof err.url === "string" && err.url !== "") {
    const url = displayUrl(err.url);
    const call = `${methods.get(url) ?? "request"} ${url}`;
    // @huggingface/hub ends its messages with ". URL: <url>. Request ID: <id>": the call is named before instead.
    const said = (err.message ?? "").replace(/\.?\s*URL: \S+?(\. Request ID: \S+)?$/, "");
    const hint = pushHint(status, repoId, URL.canParse(err.url) && new URL(err.url).origin === new URL(hubUrl).origin);
    const text = `push to ${repoId} failed while ${pushStep(err.url)}: ${call} answered HTTP ${status}` +
      `${said ? `: ${said.replace(/\.$/, "")}` : ""}${err.requestId ? ` (request id ${err.requestId})` : ""}.` +
      (hint ? ` ${hint}` : "");
    return new HubError(redactToken(text, token), status, status === 401 || status === 403 ? "Unauthorized" : "HTTP");
  }
  return new Error(`push to ${repoId} failed: ${redactToken(err?.message ?? String(e), token)}`);
}

/**
 * Upload every file of `folder` (plus `extraFiles`) to `repoId` in one commit, creating the repo first when needed.
 *
 * @example
 * ```ts
 * import { pushToHub } from "./upload.ts";
 * import { startHubServer } from "../../tests/support/hub_server.ts";
 * const hub = await startHubServer({ tokens: ["hf_example_token"] });
 * const dir = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${dir}/config.json`, "{}");
 * const result = await pushToHub(dir, { repoId: "me/tiny", token: "hf_example_token", endpoint: hub.endpoint });
 * if (!hub.files("me/tiny").has("config.json") || result.files.join() !== "config.json") throw new Error("unexpected");
 * await hub.close();
 * ```
 */
export async function pushToHub(folder: string, options: PushToHubOptions): Promise<PushResult> {
  const token = hubToken(options.token);
  if (token === undefined) {
    throw new Error("pushing to the Hub needs a write token: pass --hub-token or set HF_TOKEN");
  }
  const stat = await Deno.stat(folder).catch(() => undefined);
  if (!stat?.isDirectory) throw new Error(`${folder}: not a folder (expected a checkpoint folder to push)`);
  // Before any request: a folder with symlinks is refused at once.
  const onDisk = options.files === undefined ? await listFolder(folder) : await checkFiles(folder, options.files);
  const hub = await importHfHub();
  const hubUrl = hubEndpoint(options.endpoint);
  const methods = new Map<string, string>();
  const fetch = pushFetch(methods);
  const type = options.repoType ?? "model";
  let repoId = options.repoId;
  if (!repoId.includes("/")) {
    try {
      const me = await hub.whoAmI({ accessToken: token, hubUrl, fetch });
      repoId = `${me.name}/${repoId}`;
    } catch (e) {
      throw pushError(e, repoId, token, methods, hubUrl);
    }
  }
  if (!isRepoId(repoId)) throw new Error(`"${options.repoId}" is not a Hub repo id (expected "namespace/name")`);
  const repo = { type, name: repoId } as const;
  let repoUrl = `${hubUrl}/${type === "model" ? "" : "datasets/"}${repoId}`;

  if (options.createRepo ?? true) {
    try {
      const created = await hub.createRepo({ repo, accessToken: token, hubUrl, private: options.private, fetch });
      repoUrl = created.repoUrl ?? repoUrl;
    } catch (e) {
      if ((e as { statusCode?: number }).statusCode !== 409) throw pushError(e, repoId, token, methods, hubUrl);
    }
  }

  const extra = options.extraFiles ?? {};
  const files: { path: string; content: Blob | URL }[] = onDisk.filter((p) => !(p in extra)).map((path) => ({
    path,
    content: pathToFileURL(join(Deno.realPathSync(folder), path)),
  }));
  for (const [path, content] of Object.entries(extra)) {
    files.push({ path, content: new Blob([typeof content === "string" ? content : content.slice()]) });
  }
  if (files.length === 0) throw new Error(`${folder}: nothing to push (the folder is empty)`);
  try {
    const out = await hub.uploadFiles({
      repo,
      accessToken: token,
      hubUrl,
      files,
      branch: options.revision ?? "main",
      commitTitle: options.commitMessage ?? "Upload folder using the Deno MLM toolkit",
      useXet: false,
      fetch,
    });
    return {
      repoId,
      repoUrl,
      commitOid: out?.commit.oid ?? "",
      commitUrl: out?.commit.url ?? "",
      files: files.map((f) => f.path).sort(),
    };
  } catch (e) {
    throw pushError(e, repoId, token, methods, hubUrl);
  }
}
