// Atomic writes are durable: the temporary file is flushed (fsync) before it is renamed into place, and the folder
// after; a folder written atomically has every file flushed before it appears under its name.
import { assertEquals } from "./support/assert.ts";
import { writeDirAtomic, writeFileAtomic } from "../lib/fs.ts";

/** Run `fn` while recording, in order, every fsync (with the path of the handle's file) and every rename. */
async function recordSyncs(fn: () => Promise<void>): Promise<string[]> {
  const events: string[] = [];
  const paths = new WeakMap<Deno.FsFile, string>();
  const { open, rename } = Deno;
  const sync = Deno.FsFile.prototype.sync;
  Deno.open = async (path: string | URL, options?: Deno.OpenOptions) => {
    const file = await open(path, options);
    paths.set(file, String(path));
    return file;
  };
  Deno.rename = async (from: string | URL, to: string | URL) => {
    events.push(`rename ${String(from).replace(/.*\//, "")} -> ${String(to).replace(/.*\//, "")}`);
    await rename(from, to);
  };
  Deno.FsFile.prototype.sync = async function (this: Deno.FsFile) {
    events.push(`sync ${(paths.get(this) ?? "?").replace(/.*\//, "")}`);
    await sync.call(this);
  };
  try {
    await fn();
  } finally {
    Object.assign(Deno, { open, rename });
    Deno.FsFile.prototype.sync = sync;
  }
  return events.map((e) => e.replace(/tmp-[0-9a-f-]+/g, "tmp-*"));
}

Deno.test("writeFileAtomic flushes the file before the rename and the folder after", async () => {
  const dir = await Deno.makeTempDir({ prefix: "atomic-" });
  try {
    const events = await recordSyncs(() => writeFileAtomic(`${dir}/state.json`, "{}"));
    const name = dir.replace(/.*\//, "");
    assertEquals(events, ["sync state.json.tmp-*", "rename state.json.tmp-* -> state.json", `sync ${name}`]);
    assertEquals(await Deno.readTextFile(`${dir}/state.json`), "{}");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("writeDirAtomic flushes every file and the folder before the rename, and the parent after", async () => {
  const root = await Deno.makeTempDir({ prefix: "atomic-" });
  try {
    const events = await recordSyncs(() =>
      writeDirAtomic(`${root}/checkpoint-1`, async (tmp) => {
        await Deno.mkdir(`${tmp}/sub`);
        await Deno.writeTextFile(`${tmp}/sub/a.txt`, "a");
        await Deno.writeTextFile(`${tmp}/config.json`, "{}");
      })
    );
    const rename = events.findIndex((e) => e.startsWith("rename"));
    assertEquals(events.slice(0, rename).sort(), [
      "sync .checkpoint-1.tmp-*",
      "sync a.txt",
      "sync config.json",
      "sync sub",
    ]);
    assertEquals(events.slice(rename), [
      "rename .checkpoint-1.tmp-* -> checkpoint-1",
      `sync ${root.replace(/.*\//, "")}`,
    ]);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
