/**
 * One run per output folder: a run holds `OUTPUT_DIR/.run.lock` from before it writes anything until it ends
 * (normally, on an error, on Ctrl-C, or at `Deno.exit`). The file names the run (pid, host, start) and is held with
 * an exclusive OS file lock (`flock`), which the system releases when the process dies however it dies. A second run
 * on the same folder fails naming the lock and the pid that holds it; a lock file left by a process that was killed
 * (SIGKILL, a power loss) is no longer held, so the next run takes it over with a note.
 *
 * @module
 */

/** The lock file's name in the output folder (hidden: `push` never uploads it). */
export const RUN_LOCK_FILE = ".run.lock";

/** What a lock file holds. */
export interface RunLockInfo {
  /** Process id of the run. */
  pid: number;
  /** Host it runs on. */
  host: string;
  /** When it took the lock (ISO 8601). */
  started_at: string;
}

/** A held lock: {@link RunLock.release} removes it (once; later calls do nothing). */
export interface RunLock {
  /** The lock file. */
  path: string;
  /** Remove the lock file and let go of it. */
  release(): void;
}

/** This host's name: `/etc/hostname`, else `Deno.hostname()` when allowed, else `"unknown"`. */
function hostName(): string {
  try {
    const name = Deno.readTextFileSync("/etc/hostname").trim();
    if (name) return name;
  } catch { /* none */ }
  try {
    if (Deno.permissions.querySync({ name: "sys", kind: "hostname" }).state === "granted") return Deno.hostname();
  } catch { /* not allowed */ }
  return "unknown";
}

/** The run a lock file names, as far as it can be read ("?" for what cannot). */
function describe(text: string): { pid: string; host: string; since: string } {
  let o: Partial<RunLockInfo> = {};
  try {
    const v = JSON.parse(text);
    if (v !== null && typeof v === "object") o = v;
  } catch { /* an older or damaged lock: described with "?" */ }
  return {
    pid: Number.isInteger(o.pid) ? String(o.pid) : "?",
    host: typeof o.host === "string" ? o.host : "?",
    since: typeof o.started_at === "string" ? o.started_at : "?",
  };
}

async function readAll(file: Deno.FsFile): Promise<string> {
  await file.seek(0, Deno.SeekMode.Start);
  let text = "";
  const decoder = new TextDecoder();
  const buf = new Uint8Array(4096);
  for (let n; (n = await file.read(buf)) !== null;) text += decoder.decode(buf.subarray(0, n), { stream: true });
  return text + decoder.decode();
}

/**
 * Take the lock of the run folder `dir` (created when missing) before anything else is written there. Fails when
 * another run holds it, naming the lock file, the pid and the host; takes over a lock file nobody holds any more
 * (its run was killed) with a note through `log`. The lock file is also removed when the process exits through
 * `Deno.exit`.
 *
 * @example
 * ```ts
 * import { lockRunDir } from "./run_lock.ts";
 * const dir = await Deno.makeTempDir();
 * const lock = await lockRunDir(dir);
 * const err = await lockRunDir(dir).catch((e) => e);
 * if (!String(err.message).includes(`held by pid ${Deno.pid}`)) throw new Error(err.message);
 * lock.release();
 * (await lockRunDir(dir)).release(); // free again
 * ```
 */
export async function lockRunDir(dir: string, options: { log?: (line: string) => void } = {}): Promise<RunLock> {
  const log = options.log ?? ((line: string) => console.error(line));
  await Deno.mkdir(dir, { recursive: true });
  const path = `${dir}/${RUN_LOCK_FILE}`;
  for (let attempt = 0;; attempt++) {
    const file = await Deno.open(path, { read: true, write: true, create: true });
    let held = false;
    try {
      if (!(await file.tryLock(true))) {
        const other = describe(await readAll(file));
        throw new Error(
          `--output-dir ${dir} is in use by another run: ${path} is held by pid ${other.pid} on ${other.host} ` +
            `(since ${other.since}); wait for it to end or choose another --output-dir`,
        );
      }
      // Locked; but the run that held it may have removed the file meanwhile: then lock the file now at `path`.
      const [mine, current] = [await file.stat(), await Deno.stat(path).catch(() => undefined)];
      if (current === undefined || current.ino !== mine.ino || current.dev !== mine.dev) {
        if (attempt < 5) continue;
        throw new Error(`${path}: the lock file keeps changing; is another run starting in this folder?`);
      }
      const left = (await readAll(file)).trim();
      if (left !== "") {
        const other = describe(left);
        log(
          `note: ${path} was left by pid ${other.pid} on ${other.host} (since ${other.since}), which no longer ` +
            `holds it (killed?); taking it over`,
        );
      }
      const info: RunLockInfo = { pid: Deno.pid, host: hostName(), started_at: new Date().toISOString() };
      await file.truncate(0);
      await file.seek(0, Deno.SeekMode.Start);
      const bytes = new TextEncoder().encode(JSON.stringify(info) + "\n");
      for (let off = 0; off < bytes.length;) off += await file.write(bytes.subarray(off));
      held = true;
    } finally {
      if (!held) file.close();
    }
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      globalThis.removeEventListener("unload", release);
      try {
        Deno.removeSync(path); // while still holding it: a waiting run then finds the file gone and retries
      } catch { /* already gone */ }
      file.close(); // lets go of the lock
    };
    globalThis.addEventListener("unload", release);
    return { path, release };
  }
}
