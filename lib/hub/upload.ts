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
import { hubEndpoint, hubToken, redactToken } from "./http.ts";
import { isRepoId } from "./resolve.ts";

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

/** Paths `upload_folder` skips by default: git metadata and huggingface_hub's local-dir cache. */
function ignored(rel: string): boolean {
  const parts = rel.split("/");
  return parts.includes(".git") || rel.startsWith(".cache/huggingface/") || rel.endsWith(".incomplete");
}

/** Every file under `folder`, relative, sorted (symlinks followed). */
async function listFolder(folder: string): Promise<string[]> {
  const out: string[] = [];
  async function walk(dir: string): Promise<void> {
    for await (const entry of Deno.readDir(dir)) {
      const path = join(dir, entry.name);
      const rel = relative(folder, path).split("\\").join("/");
      const stat = entry.isSymlink ? await Deno.stat(path) : undefined;
      if (entry.isDirectory || stat?.isDirectory) {
        if (!ignored(`${rel}/`)) await walk(path);
      } else if (!ignored(rel)) out.push(rel);
    }
  }
  await walk(folder);
  return out.sort();
}

/** Turn a library error into one that names the repo, gives a hint, and cannot contain the token. */
function pushError(e: unknown, repoId: string, token: string): Error {
  const status = (e as { statusCode?: number }).statusCode;
  const hint = status === 401
    ? " (the token was refused: check --hub-token / HF_TOKEN)"
    : status === 403
    ? " (the token has no write access to this namespace)"
    : "";
  return new Error(`push to ${repoId} failed${hint}: ${redactToken((e as Error).message ?? String(e), token)}`);
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
  const hub = await importHfHub();
  const hubUrl = hubEndpoint(options.endpoint);
  const type = options.repoType ?? "model";
  let repoId = options.repoId;
  if (!repoId.includes("/")) {
    try {
      const me = await hub.whoAmI({ accessToken: token, hubUrl });
      repoId = `${me.name}/${repoId}`;
    } catch (e) {
      throw pushError(e, repoId, token);
    }
  }
  if (!isRepoId(repoId)) throw new Error(`"${options.repoId}" is not a Hub repo id (expected "namespace/name")`);
  const repo = { type, name: repoId } as const;
  let repoUrl = `${hubUrl}/${type === "model" ? "" : "datasets/"}${repoId}`;

  if (options.createRepo ?? true) {
    try {
      const created = await hub.createRepo({ repo, accessToken: token, hubUrl, private: options.private });
      repoUrl = created.repoUrl ?? repoUrl;
    } catch (e) {
      if ((e as { statusCode?: number }).statusCode !== 409) throw pushError(e, repoId, token);
    }
  }

  const onDisk = await listFolder(folder);
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
    });
    return {
      repoId,
      repoUrl,
      commitOid: out?.commit.oid ?? "",
      commitUrl: out?.commit.url ?? "",
      files: files.map((f) => f.path).sort(),
    };
  } catch (e) {
    throw pushError(e, repoId, token);
  }
}
