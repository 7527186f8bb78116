/**
 * A local Hugging Face Hub for tests: `Deno.serve` on 127.0.0.1 (random ports), speaking exactly the HTTP the
 * client in `lib/hub/` uses, with a SECOND origin standing in for the LFS CDN.
 *
 * Hub origin:
 * - `HEAD|GET /{datasets/}{repo}/resolve/{revision}/{file}`: regular files answered directly (`ETag` = git blob sha1);
 *   LFS files (weights, Parquet) answered `302` to the CDN origin with `X-Linked-Etag` (sha256) and `X-Linked-Size`;
 *   every answer carries `X-Repo-Commit`; renamed repos answer `307` with a relative `Location`.
 * - `GET /api/{models|datasets}/{repo}/revision/{revision}` (repo info with `siblings`), `GET .../tree/{revision}/{path}`
 *   (`?recursive=1`), `GET /api/datasets/{repo}/parquet[/{config}/{split}]`, `GET /api/whoami-v2`.
 * - `POST /api/repos/create` (409 when it exists), `POST /api/{type}s/{repo}/preupload/{revision}`,
 *   `POST /{repo}.git/info/lfs/objects/batch` (basic transfer, upload URLs on the CDN origin),
 *   `POST /api/{type}s/{repo}/commit/{revision}` (NDJSON: header, file, lfsFile, deletedFile).
 * Errors use the Hub's `X-Error-Code` (RepoNotFound, GatedRepo, RevisionNotFound, EntryNotFound).
 *
 * CDN origin: `GET /lfs/{sha256}` (Range requests honoured), `PUT /upload/{sha256}` (stored after its sha256 is
 * checked).
 *
 * Fault switches ({@link HubServer.fault}): answer a status, drop a body halfway, or corrupt a byte, for the next N
 * requests whose path contains a string. Every request is recorded with its headers ({@link HubServer.requests}).
 *
 * @module
 */
import { createHash } from "node:crypto";

/** Kinds of repos served. */
export type ServedRepoType = "model" | "dataset" | "space";

/** One repo held by the server. */
export interface ServedRepo {
  /** Kind. */
  type: ServedRepoType;
  /** Canonical id. */
  id: string;
  /** Only valid tokens may read it. */
  private: boolean;
  /** Reads answer GatedRepo. */
  gated: boolean;
  /** Branch or tag → commit id. */
  refs: Map<string, string>;
  /** Commit id → files (path → bytes). */
  commits: Map<string, Map<string, Uint8Array>>;
  /** Commit id → message. */
  messages: Map<string, string>;
}

/** One request as it arrived. */
export interface RecordedRequest {
  /** Which origin got it. */
  origin: "hub" | "cdn";
  /** HTTP method. */
  method: string;
  /** Path and query. */
  path: string;
  /** Request headers, lower-case names. */
  headers: Record<string, string>;
}

/** A fault to inject. */
export interface Fault {
  /** Applies to requests whose path (with query) contains this. */
  pathIncludes: string;
  /** Only this method (default any). */
  method?: string;
  /** Only this origin (default any). */
  origin?: "hub" | "cdn";
  /** Answer this status instead (with `Retry-After: 0` for 429). */
  status?: number;
  /** Send half of the body, then break the connection. */
  drop?: boolean;
  /** Flip one byte of the body (same length). */
  corrupt?: boolean;
  /** How many matching requests it applies to (default 1). */
  times?: number;
}

/** Options of {@link HubServer.addRepo}. */
export interface AddRepoOptions {
  /** Kind (default "model"). */
  type?: ServedRepoType;
  /** Files to commit: path → text or bytes. */
  files: Record<string, string | Uint8Array>;
  /** Branch to commit on (default "main"). */
  branch?: string;
  /** Needs a valid token to read. */
  private?: boolean;
  /** Answers GatedRepo to reads. */
  gated?: boolean;
  /** Commit message. */
  message?: string;
}

/** The running server. */
export interface HubServer {
  /** Hub origin, e.g. `http://127.0.0.1:PORT`. */
  endpoint: string;
  /** The second origin (LFS CDN). */
  cdn: string;
  /** Every request, in order. */
  requests: RecordedRequest[];
  /** Tokens the server accepts (all write tokens). */
  tokens: Set<string>;
  /** Commit files to a repo (created when absent); returns the commit id. */
  addRepo(id: string, options: AddRepoOptions): string;
  /** Commit every file under a local folder; returns the commit id. */
  addFolder(id: string, dir: string, options?: Omit<AddRepoOptions, "files">): Promise<string>;
  /** Serve `oldId` as a renamed repo: its URLs redirect to `newId`. */
  alias(oldId: string, newId: string, type?: ServedRepoType): void;
  /** Inject a fault. */
  fault(fault: Fault): void;
  /** A repo by canonical id. */
  repo(id: string, type?: ServedRepoType): ServedRepo | undefined;
  /** Files of a repo at a revision (branch or commit). */
  files(id: string, options?: { type?: ServedRepoType; revision?: string }): Map<string, Uint8Array>;
  /** Requests since index `from` (default 0), optionally only one origin. */
  requestsSince(from?: number, origin?: "hub" | "cdn"): RecordedRequest[];
  /** Stop both origins. */
  close(): Promise<void>;
}

/** Options of {@link startHubServer}. */
export interface HubServerOptions {
  /** Files at least this large are LFS even without an LFS extension (default 10 MiB). */
  lfsMinBytes?: number;
  /** Accepted tokens (default `["hf_test_write_token"]`). */
  tokens?: string[];
}

/** File extensions stored with LFS (as the Hub's default `.gitattributes`). */
const LFS_EXTENSIONS = /\.(safetensors|bin|parquet|h5|msgpack|pt|pth|ckpt|onnx|arrow|zip|gz|npy|npz)$/;

/** Hex digest. */
function digest(algo: "sha1" | "sha256", ...parts: (string | Uint8Array)[]): string {
  const h = createHash(algo);
  for (const p of parts) h.update(p);
  return h.digest("hex");
}

/** Git blob sha1 of some bytes. */
function gitOid(bytes: Uint8Array): string {
  return digest("sha1", `blob ${bytes.length}\0`, bytes);
}

/** JSON error answer with the Hub's error headers. */
function hubError(status: number, code: string, message: string, extra: Record<string, string> = {}): Response {
  const headers: Record<string, string> = { "X-Error-Message": message, ...extra };
  if (code) headers["X-Error-Code"] = code;
  return Response.json({ error: message }, { status, headers });
}

/** Base64 → bytes. */
function fromBase64(text: string): Uint8Array {
  const bin = atob(text);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/**
 * Start a local Hub on 127.0.0.1 (two random ports: the Hub and its CDN). Close it with `close()`.
 *
 * @example
 * ```ts
 * import { startHubServer } from "./hub_server.ts";
 * const hub = await startHubServer();
 * hub.addRepo("org/tiny", { files: { "config.json": "{}" } });
 * const res = await fetch(`${hub.endpoint}/org/tiny/resolve/main/config.json`);
 * if ((await res.text()) !== "{}") throw new Error("unexpected");
 * await hub.close();
 * ```
 */
export function startHubServer(options: HubServerOptions = {}): Promise<HubServer> {
  const lfsMinBytes = options.lfsMinBytes ?? 10 * 1024 * 1024;
  const tokens = new Set(options.tokens ?? ["hf_test_write_token"]);
  const repos = new Map<string, ServedRepo>();
  const aliases = new Map<string, string>();
  const lfsStore = new Map<string, Uint8Array>();
  const faults: (Fault & { left: number })[] = [];
  const requests: RecordedRequest[] = [];
  let commitCounter = 0;

  const key = (type: ServedRepoType, id: string): string => `${type}:${id}`;
  const isLfs = (path: string, bytes: Uint8Array): boolean => LFS_EXTENSIONS.test(path) || bytes.length >= lfsMinBytes;

  function commitFiles(
    repo: ServedRepo,
    branch: string,
    change: (files: Map<string, Uint8Array>) => void,
    message: string,
  ): string {
    const parent = repo.refs.get(branch) ?? repo.refs.get("main");
    const files = new Map(parent ? repo.commits.get(parent) : undefined);
    change(files);
    const oid = digest("sha1", `commit ${++commitCounter} ${repo.type} ${repo.id} ${branch} ${message}`);
    repo.commits.set(oid, files);
    repo.messages.set(oid, message);
    repo.refs.set(branch, oid);
    for (const bytes of files.values()) lfsStore.set(digest("sha256", bytes), bytes);
    return oid;
  }

  function ensureRepo(type: ServedRepoType, id: string, priv = false, gated = false): ServedRepo {
    let repo = repos.get(key(type, id));
    if (!repo) {
      repo = { type, id, private: priv, gated, refs: new Map(), commits: new Map(), messages: new Map() };
      repos.set(key(type, id), repo);
    }
    return repo;
  }

  function addRepo(id: string, opts: AddRepoOptions): string {
    const repo = ensureRepo(opts.type ?? "model", id, opts.private, opts.gated);
    const enc = new TextEncoder();
    return commitFiles(repo, opts.branch ?? "main", (files) => {
      for (const [path, content] of Object.entries(opts.files)) {
        files.set(path, typeof content === "string" ? enc.encode(content) : content);
      }
    }, opts.message ?? "add files");
  }

  async function addFolder(id: string, dir: string, opts: Omit<AddRepoOptions, "files"> = {}): Promise<string> {
    const files: Record<string, Uint8Array> = {};
    async function walk(sub: string): Promise<void> {
      for await (const entry of Deno.readDir(`${dir}/${sub}`)) {
        const rel = sub ? `${sub}/${entry.name}` : entry.name;
        if (entry.isDirectory) await walk(rel);
        else files[rel] = await Deno.readFile(`${dir}/${rel}`);
      }
    }
    await walk("");
    return addRepo(id, { ...opts, files });
  }

  function takeFault(origin: "hub" | "cdn", method: string, path: string): Fault | undefined {
    const i = faults.findIndex((f) =>
      f.left > 0 && path.includes(f.pathIncludes) && (f.method ?? method) === method && (f.origin ?? origin) === origin
    );
    if (i < 0) return undefined;
    faults[i].left--;
    return faults[i];
  }

  function record(origin: "hub" | "cdn", req: Request): string {
    const url = new URL(req.url);
    const headers: Record<string, string> = {};
    req.headers.forEach((v, k) => (headers[k] = v));
    const path = url.pathname + url.search;
    requests.push({ origin, method: req.method, path, headers });
    return path;
  }

  function bearer(req: Request): string | undefined {
    const auth = req.headers.get("Authorization");
    return auth?.startsWith("Bearer ") ? auth.slice(7) : undefined;
  }

  /** Look a repo up as the Hub would for a read: Response on failure. */
  function readableRepo(req: Request, type: ServedRepoType, id: string): ServedRepo | Response {
    const token = bearer(req);
    if (token !== undefined && !tokens.has(token)) {
      return hubError(401, "", "Invalid credentials in Authorization header");
    }
    const repo = repos.get(key(type, id));
    if (!repo || (repo.private && token === undefined)) {
      return hubError(token === undefined ? 401 : 404, "RepoNotFound", "Repository not found");
    }
    if (repo.gated) {
      return hubError(
        token === undefined ? 401 : 403,
        "GatedRepo",
        `Access to ${type} ${id} is restricted. You must have access to it and be authenticated to access it.`,
      );
    }
    return repo;
  }

  function resolveRev(repo: ServedRepo, revision: string): string | undefined {
    if (repo.commits.has(revision)) return revision;
    return repo.refs.get(revision);
  }

  /** Split `/{prefix}{id}/{verb}/{rest}` into repo type, id, and the segments after `verb`. */
  function splitRepoPath(
    segments: string[],
    verb: string,
  ): { type: ServedRepoType; id: string; rest: string[] } | undefined {
    let type: ServedRepoType = "model";
    let start = 0;
    if (segments[0] === "datasets" || segments[0] === "spaces") {
      type = segments[0] === "datasets" ? "dataset" : "space";
      start = 1;
    }
    const at = segments.indexOf(verb, start + 1);
    if (at < 0 || at - start > 2) return undefined;
    return { type, id: segments.slice(start, at).join("/"), rest: segments.slice(at + 1) };
  }

  function redirectAlias(type: ServedRepoType, id: string, url: URL): Response | undefined {
    const target = aliases.get(key(type, id));
    if (target === undefined) return undefined;
    const path = url.pathname.replace(`/${id}/`, `/${target}/`);
    return new Response(null, { status: 307, headers: { Location: path + url.search } });
  }

  function resolveFile(req: Request, url: URL, type: ServedRepoType, id: string, rest: string[]): Response {
    const moved = redirectAlias(type, id, url);
    if (moved) return moved;
    const repo = readableRepo(req, type, id);
    if (repo instanceof Response) return repo;
    const revision = decodeURIComponent(rest[0] ?? "");
    const commit = resolveRev(repo, revision);
    if (commit === undefined) {
      return hubError(404, "RevisionNotFound", `Invalid rev id: ${revision}`);
    }
    const filename = rest.slice(1).map(decodeURIComponent).join("/");
    const bytes = repo.commits.get(commit)!.get(filename);
    if (bytes === undefined) {
      return hubError(404, "EntryNotFound", `${filename} does not exist on "${revision}"`, { "X-Repo-Commit": commit });
    }
    const oid = gitOid(bytes);
    if (isLfs(filename, bytes)) {
      const sha = digest("sha256", bytes);
      return new Response(null, {
        status: 302,
        headers: {
          Location: `${cdnOrigin}/lfs/${sha}?X-Amz-Signature=local&response-content-disposition=${
            encodeURIComponent(filename)
          }`,
          "X-Repo-Commit": commit,
          "X-Linked-Etag": `"${sha}"`,
          "X-Linked-Size": String(bytes.length),
          ETag: `"${oid}"`,
        },
      });
    }
    return new Response(req.method === "HEAD" ? null : bytes as Uint8Array<ArrayBuffer>, {
      headers: { "X-Repo-Commit": commit, ETag: `"${oid}"`, "Content-Length": String(bytes.length) },
    });
  }

  function treeEntries(files: Map<string, Uint8Array>, dir: string, recursive: boolean): unknown[] {
    const prefix = dir ? `${dir}/` : "";
    const out: unknown[] = [];
    const dirs = new Set<string>();
    for (const [path, bytes] of [...files].sort(([a], [b]) => (a < b ? -1 : 1))) {
      if (!path.startsWith(prefix)) continue;
      const rest = path.slice(prefix.length);
      const parts = rest.split("/");
      for (let i = 1; i < parts.length && (recursive || i === 1); i++) {
        const d = prefix + parts.slice(0, i).join("/");
        if (!dirs.has(d)) {
          dirs.add(d);
          out.push({ type: "directory", oid: digest("sha1", d), size: 0, path: d });
        }
      }
      if (parts.length > 1 && !recursive) continue;
      const entry: Record<string, unknown> = { type: "file", oid: gitOid(bytes), size: bytes.length, path };
      if (isLfs(path, bytes)) entry.lfs = { oid: digest("sha256", bytes), size: bytes.length, pointerSize: 134 };
      out.push(entry);
    }
    return out;
  }

  function parquetListing(repo: ServedRepo, url: URL): Map<string, Map<string, string[]>> {
    const listing = new Map<string, Map<string, string[]>>();
    const commit = repo.refs.get("refs/convert/parquet");
    if (commit === undefined) return listing;
    const paths = [...repo.commits.get(commit)!.keys()].sort();
    for (const path of paths) {
      const m = /^([^/]+)\/(?:partial-)?([^/]+)\/(\d+)\.parquet$/.exec(path);
      if (!m) continue;
      const [, config, split, n] = m;
      if (!listing.has(config)) listing.set(config, new Map());
      const splits = listing.get(config)!;
      if (!splits.has(split)) splits.set(split, []);
      splits.get(split)!.push(`${url.origin}/api/datasets/${repo.id}/parquet/${config}/${split}/${Number(n)}.parquet`);
    }
    return listing;
  }

  async function handleApi(req: Request, url: URL, segments: string[]): Promise<Response> {
    const [, kind, ...more] = segments; // "api", kind, ...
    if (kind === "whoami-v2") {
      const token = bearer(req);
      if (token === undefined || !tokens.has(token)) {
        return hubError(401, "", "Invalid credentials in Authorization header");
      }
      return Response.json({ type: "user", id: "u1", name: "tester", fullname: "Test User", orgs: [], auth: {} });
    }
    if (kind === "repos" && more[0] === "create" && req.method === "POST") {
      const token = bearer(req);
      if (token === undefined || !tokens.has(token)) {
        return hubError(401, "", "Invalid credentials in Authorization header");
      }
      const body = await req.json();
      const type: ServedRepoType = body.type ?? "model";
      const id = body.organization ? `${body.organization}/${body.name}` : `tester/${body.name}`;
      if (repos.has(key(type, id))) {
        return hubError(409, "", `You already created this ${type} repo`, {});
      }
      const repo = ensureRepo(type, id, body.private === true || body.visibility === "private");
      commitFiles(
        repo,
        "main",
        (files) =>
          files.set(".gitattributes", new TextEncoder().encode("*.safetensors filter=lfs diff=lfs merge=lfs -text\n")),
        "initial commit",
      );
      const prefix = type === "model" ? "" : `${type}s/`;
      return Response.json({ url: `${url.origin}/${prefix}${id}`, id });
    }
    const typeOf: Record<string, ServedRepoType> = { models: "model", datasets: "dataset", spaces: "space" };
    const type = typeOf[kind];
    if (type === undefined) return hubError(404, "", `no such API: ${url.pathname}`);
    // /api/{kind}/{id...}/{verb}/{rest}
    const verbs = ["revision", "tree", "parquet", "preupload", "commit"];
    let at = -1;
    for (let i = 1; i <= 2 && i < more.length; i++) {
      if (verbs.includes(more[i])) {
        at = i;
        break;
      }
    }
    const id = at < 0 ? more.join("/") : more.slice(0, at).join("/");
    const verb = at < 0 ? "revision" : more[at];
    const rest = at < 0 ? ["main"] : more.slice(at + 1);
    const moved = redirectAlias(type, id, url);
    if (moved) return moved;

    if (verb === "preupload" || verb === "commit") {
      const token = bearer(req);
      if (token === undefined || !tokens.has(token)) {
        return hubError(401, "", "Invalid credentials in Authorization header");
      }
      const repo = repos.get(key(type, id));
      if (!repo) return hubError(404, "RepoNotFound", "Repository not found");
      const branch = decodeURIComponent(rest[0] ?? "main");
      if (verb === "preupload") {
        const body = await req.json();
        const files = (body.files as { path: string; size: number; sample: string }[]).map((f) => ({
          path: f.path,
          uploadMode: LFS_EXTENSIONS.test(f.path) || f.size >= lfsMinBytes ? "lfs" : "regular",
          shouldIgnore: false,
        }));
        return Response.json({ files, commitOid: repo.refs.get(branch) });
      }
      const lines = (await req.text()).split("\n").filter((l) => l.trim() !== "").map((l) => JSON.parse(l));
      const header = lines.find((l) => l.key === "header")?.value ?? {};
      const problems: string[] = [];
      const oid = commitFiles(repo, branch, (files) => {
        for (const { key: k, value } of lines) {
          if (k === "file") files.set(value.path, fromBase64(value.content));
          else if (k === "lfsFile") {
            const bytes = lfsStore.get(value.oid);
            if (!bytes) problems.push(`LFS object ${value.oid} for ${value.path} was never uploaded`);
            else files.set(value.path, bytes);
          } else if (k === "deletedFile") files.delete(value.path);
        }
      }, header.summary ?? "");
      if (problems.length > 0) return hubError(422, "", problems.join("; "));
      const prefix = type === "model" ? "" : `${type}s/`;
      return Response.json({
        success: true,
        commitOid: oid,
        commitUrl: `${url.origin}/${prefix}${id}/commit/${oid}`,
        hookOutput: "",
      });
    }

    const repo = readableRepo(req, type, id);
    if (repo instanceof Response) return repo;
    if (verb === "parquet") {
      if (type !== "dataset") return hubError(404, "", "parquet listing is for datasets");
      const listing = parquetListing(repo, url);
      if (rest.length === 0) {
        return Response.json(Object.fromEntries([...listing].map(([c, s]) => [c, Object.fromEntries(s)])));
      }
      const [config, split] = rest.map(decodeURIComponent);
      const urls = listing.get(config)?.get(split ?? "");
      if (!urls) return hubError(404, "", `The config or split does not exist: ${config}/${split}`);
      return Response.json(urls);
    }
    const revision = decodeURIComponent(rest[0] ?? "main");
    const commit = resolveRev(repo, revision);
    if (commit === undefined) return hubError(404, "RevisionNotFound", `Invalid rev id: ${revision}`);
    const files = repo.commits.get(commit)!;
    if (verb === "tree") {
      const dir = rest.slice(1).map(decodeURIComponent).join("/");
      const recursive = ["1", "true"].includes(url.searchParams.get("recursive") ?? "");
      const entries = treeEntries(files, dir, recursive);
      if (dir !== "" && entries.length === 0) {
        return hubError(404, "EntryNotFound", `${dir} does not exist on "${revision}"`, { "X-Repo-Commit": commit });
      }
      return Response.json(entries);
    }
    return Response.json({
      _id: digest("sha1", repo.id).slice(0, 24),
      id: repo.id,
      private: repo.private,
      gated: repo.gated,
      sha: commit,
      siblings: [...files.keys()].sort().map((rfilename) => ({ rfilename })),
    });
  }

  async function handleHub(req: Request): Promise<Response> {
    const path = record("hub", req);
    const fault = takeFault("hub", req.method, path);
    if (fault?.status !== undefined) {
      return hubError(fault.status, "", `injected ${fault.status}`, fault.status === 429 ? { "Retry-After": "0" } : {});
    }
    const url = new URL(req.url);
    const segments = url.pathname.split("/").filter((s) => s !== "");
    if (segments[0] === "api") return await handleApi(req, url, segments);
    const batch = /^\/(?:(datasets|spaces)\/)?(.+)\.git\/info\/lfs\/objects\/batch$/.exec(url.pathname);
    if (batch && req.method === "POST") {
      const token = bearer(req);
      if (token === undefined || !tokens.has(token)) {
        return hubError(401, "", "Invalid credentials in Authorization header");
      }
      const body = await req.json();
      const objects = (body.objects as { oid: string; size: number }[]).map((o) =>
        lfsStore.has(o.oid) ? { oid: o.oid, size: o.size } : {
          oid: o.oid,
          size: o.size,
          authenticated: true,
          actions: { upload: { href: `${cdnOrigin}/upload/${o.oid}?X-Amz-Signature=local`, expires_in: 3600 } },
        }
      );
      return Response.json({ transfer: "basic", objects }, {
        headers: { "Content-Type": "application/vnd.git-lfs+json" },
      });
    }
    const parsed = splitRepoPath(segments, "resolve");
    if (parsed && (req.method === "GET" || req.method === "HEAD")) {
      return resolveFile(req, url, parsed.type, parsed.id, parsed.rest);
    }
    return hubError(404, "", `no route for ${req.method} ${url.pathname}`);
  }

  async function handleCdn(req: Request): Promise<Response> {
    const path = record("cdn", req);
    const fault = takeFault("cdn", req.method, path);
    if (fault?.status !== undefined) return new Response(`injected ${fault.status}`, { status: fault.status });
    const url = new URL(req.url);
    const upload = /^\/upload\/([0-9a-f]{64})$/.exec(url.pathname);
    if (upload && req.method === "PUT") {
      const bytes = new Uint8Array(await req.arrayBuffer());
      if (digest("sha256", bytes) !== upload[1]) return new Response("sha256 mismatch", { status: 400 });
      lfsStore.set(upload[1], bytes);
      return new Response(null, { status: 200, headers: { ETag: `"${upload[1]}"` } });
    }
    const get = /^\/lfs\/([0-9a-f]{64})$/.exec(url.pathname);
    const stored = get ? lfsStore.get(get[1]) : undefined;
    if (!stored || (req.method !== "GET" && req.method !== "HEAD")) return new Response("not found", { status: 404 });
    let bytes = stored;
    let status = 200;
    const headers: Record<string, string> = { "Accept-Ranges": "bytes", ETag: `"${get![1]}"` };
    const range = /^bytes=(\d+)-$/.exec(req.headers.get("Range") ?? "");
    if (range) {
      const start = Number(range[1]);
      if (start >= stored.length) {
        return new Response(null, { status: 416, headers: { "Content-Range": `bytes */${stored.length}` } });
      }
      bytes = stored.subarray(start);
      status = 206;
      headers["Content-Range"] = `bytes ${start}-${stored.length - 1}/${stored.length}`;
    }
    if (fault?.corrupt) {
      bytes = bytes.slice();
      bytes[bytes.length >> 1] ^= 0xff;
    }
    headers["Content-Length"] = String(bytes.length);
    if (req.method === "HEAD") return new Response(null, { status, headers });
    if (fault?.drop) {
      const half = bytes.subarray(0, bytes.length >> 1);
      const body = new ReadableStream<Uint8Array>({
        start(controller) {
          controller.enqueue(half);
          setTimeout(() => controller.error(new Error("injected drop")), 20);
        },
      });
      return new Response(body, { status, headers });
    }
    return new Response(bytes as Uint8Array<ArrayBuffer>, { status, headers });
  }

  const quiet = (): Response => new Response("internal error", { status: 500 });
  const hubServer = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {}, onError: quiet }, handleHub);
  const cdnServer = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {}, onError: quiet }, handleCdn);
  const endpoint = `http://127.0.0.1:${hubServer.addr.port}`;
  const cdnOrigin = `http://127.0.0.1:${cdnServer.addr.port}`;

  return Promise.resolve({
    endpoint,
    cdn: cdnOrigin,
    requests,
    tokens,
    addRepo,
    addFolder,
    alias(oldId: string, newId: string, type: ServedRepoType = "model"): void {
      aliases.set(key(type, oldId), newId);
    },
    fault(f: Fault): void {
      faults.push({ ...f, left: f.times ?? 1 });
    },
    repo(id: string, type: ServedRepoType = "model"): ServedRepo | undefined {
      return repos.get(key(type, id));
    },
    files(id: string, opts: { type?: ServedRepoType; revision?: string } = {}): Map<string, Uint8Array> {
      const repo = repos.get(key(opts.type ?? "model", id));
      const commit = repo ? resolveRev(repo, opts.revision ?? "main") : undefined;
      return commit ? new Map(repo!.commits.get(commit)) : new Map();
    },
    requestsSince(from = 0, origin?: "hub" | "cdn"): RecordedRequest[] {
      return requests.slice(from).filter((r) => origin === undefined || r.origin === origin);
    },
    async close(): Promise<void> {
      await Promise.all([hubServer.shutdown(), cdnServer.shutdown()]);
    },
  });
}
