/**
 * One run per output folder: a run holds `OUTPUT_DIR/.run.lock` (its pid, host and start) from before it writes
 * anything until it ends (normally, on an error, on Ctrl-C, or at `Deno.exit`). A second run on the same folder fails
 * naming the lock and the pid that holds it. A lock left by a process that no longer runs on this host (killed with
 * SIGKILL, a power loss) is taken over with a note.
 *
 * The lock is created whole and exclusively: its content is written to a temporary file that is then hard-linked
 * under the lock's name, which fails when a lock is already there.
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
  /** Its start time in clock ticks after boot (`/proc/PID/stat` field 22), null where there is no `/proc`. */
  proc_start: number | null;
}

/** A held lock: {@link RunLock.release} removes it (once; later calls do nothing). */
export interface RunLock {
  /** The lock file. */
  path: string;
  /** Remove the lock file (if it still is ours). */
  release(): void;
}

/** This host's name: `/proc/sys/kernel/hostname`, else `Deno.hostname()` when allowed, else `"unknown"`. */
function hostName(): string {
  try {
    const name = Deno.readTextFileSync("/proc/sys/kernel/hostname").trim();
    if (name) return name;
  } catch { /* no /proc */ }
  try {
    if (Deno.permissions.querySync({ name: "sys", kind: "hostname" }).state === "granted") return Deno.hostname();
  } catch { /* not allowed */ }
  return "unknown";
}

/** `/proc/PID/stat`: the process's state letter and start time; undefined when there is no such process. */
function procStat(pid: number): { state: string; start: number } | undefined {
  let text: string;
  try {
    text = Deno.readTextFileSync(`/proc/${pid}/stat`);
  } catch {
    return undefined;
  }
  // "PID (COMM) STATE PPID ...": COMM may hold spaces and parentheses, so split after its last ")".
  const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
  return { state: fields[0], start: Number(fields[19]) };
}

/** Whether `/proc` can tell which processes run here. */
function haveProc(): boolean {
  return procStat(Deno.pid) !== undefined;
}

/** The lock content of this process. */
function ownInfo(): RunLockInfo {
  return {
    pid: Deno.pid,
    host: hostName(),
    started_at: new Date().toISOString(),
    proc_start: procStat(Deno.pid)?.start ?? null,
  };
}

/**
 * Why the holder of `info` is known to have ended (a note), or undefined when it may still run.
 */
function staleReason(info: RunLockInfo): string | undefined {
  if (info.host !== hostName() || !haveProc()) return undefined;
  const stat = procStat(info.pid);
  if (stat === undefined) return `process ${info.pid} no longer runs`;
  if (stat.state === "Z" || stat.state === "X") return `process ${info.pid} has ended`;
  if (info.proc_start !== null && stat.start !== info.proc_start) {
    return `process ${info.pid} no longer runs (the pid now belongs to another process)`;
  }
  return undefined;
}

function parseLock(path: string, text: string): RunLockInfo {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    v = undefined;
  }
  const o = v as Partial<RunLockInfo> | undefined;
  if (
    o === undefined || o === null || typeof o !== "object" || !Number.isInteger(o.pid) || typeof o.host !== "string"
  ) {
    throw new Error(
      `${path}: expected a run lock ({"pid": …, "host": …}), got ${JSON.stringify(text.slice(0, 80))}; ` +
        `remove it if no run uses this folder`,
    );
  }
  return {
    pid: o.pid!,
    host: o.host,
    started_at: typeof o.started_at === "string" ? o.started_at : "?",
    proc_start: typeof o.proc_start === "number" ? o.proc_start : null,
  };
}

/**
 * Take the lock of the run folder `dir` (created when missing) before anything else is written there. Fails when
 * another run holds it, naming the lock file, the pid and the host; takes over a stale lock (its process ended on
 * this host) with a note through `log`. The lock is also removed when the process exits through `Deno.exit`.
 *
 * @example
 * ```ts
 * import { lockRunDir } from "./run_lock.ts";
 * const dir = await Deno.makeTempDir();
 * const lock = await lockRunDir(dir);
 * const err = await lockRunDir(dir).catch((e) => e);
 * if (!String(err.message).includes(`pid ${Deno.pid}`)) throw new Error(err.message);
 * lock.release();
 * (await lockRunDir(dir)).release(); // free again
 * ```
 */
export async function lockRunDir(dir: string, options: { log?: (line: string) => void } = {}): Promise<RunLock> {
  const log = options.log ?? ((line: string) => console.error(line));
  await Deno.mkdir(dir, { recursive: true });
  const path = `${dir}/${RUN_LOCK_FILE}`;
  const mine = JSON.stringify(ownInfo()) + "\n";
  const tmp = `${path}.tmp-${crypto.randomUUID().slice(0, 8)}`;
  await Deno.writeTextFile(tmp, mine, { createNew: true });
  try {
    for (let attempt = 0;; attempt++) {
      try {
        await Deno.link(tmp, path);
        break;
      } catch (e) {
        if (!(e instanceof Deno.errors.AlreadyExists) || attempt >= 2) throw e;
      }
      let text: string;
      try {
        text = await Deno.readTextFile(path);
      } catch (e) {
        if (e instanceof Deno.errors.NotFound) continue; // released meanwhile
        throw e;
      }
      const held = parseLock(path, text);
      const stale = staleReason(held);
      if (stale === undefined) {
        throw new Error(
          `--output-dir ${dir} is in use by another run: ${path} is held by pid ${held.pid} on ${held.host} ` +
            `(since ${held.started_at}); wait for it to end or choose another --output-dir ` +
            `(remove ${path} only if no run uses this folder)`,
        );
      }
      log(`note: ${path} was left by pid ${held.pid} (started ${held.started_at}): ${stale}; taking it over`);
      await Deno.remove(path).catch((e) => {
        if (!(e instanceof Deno.errors.NotFound)) throw e;
      });
    }
  } finally {
    await Deno.remove(tmp).catch(() => {});
  }
  let released = false;
  const release = () => {
    if (released) return;
    released = true;
    globalThis.removeEventListener("unload", release);
    try {
      if (Deno.readTextFileSync(path) === mine) Deno.removeSync(path);
    } catch { /* already gone */ }
  };
  globalThis.addEventListener("unload", release);
  return { path, release };
}
