import { assertEquals } from "./support/assert.ts";
import { ROOT } from "./support/shared.ts";

Deno.test("lib/deps.ts pins the same npm versions as deno.json imports", async () => {
  const config = JSON.parse(await Deno.readTextFile(`${ROOT}/deno.json`));
  const pinned = new Map<string, string>();
  for (const spec of Object.values(config.imports as Record<string, string>)) {
    const m = /^npm:(@?[^@/]+(?:\/[^@/]+)?)@([^/]+)/.exec(spec);
    if (m) pinned.set(m[1], m[2]);
  }
  const deps = await Deno.readTextFile(`${ROOT}/lib/deps.ts`);
  for (const [, name, version] of deps.matchAll(/"npm:(@?[^@/"]+(?:\/[^@/"]+)?)@([^/"]+)/g)) {
    assertEquals(pinned.get(name), version, `${name} in lib/deps.ts vs deno.json`);
  }
});

Deno.test("library code imports third-party modules only through lib/deps.ts", async () => {
  const offenders: string[] = [];
  async function walk(dir: string): Promise<void> {
    for await (const e of Deno.readDir(dir)) {
      const p = `${dir}/${e.name}`;
      if (e.isDirectory) await walk(p);
      else if (p.endsWith(".ts") && !p.endsWith("/lib/deps.ts")) {
        // Code only: JSDoc examples (lines starting with `*`) are documentation, run by `deno test --doc`.
        const src = (await Deno.readTextFile(p)).split("\n").filter((l) => !/^\s*\*/.test(l)).join("\n");
        for (const m of src.matchAll(/(?:from|import)\s*\(?\s*"([^"]+)"/g)) {
          const spec = m[1];
          if (!spec.startsWith(".") && !spec.startsWith("node:")) {
            offenders.push(`${p.slice(ROOT.length + 1)}: ${spec}`);
          }
        }
      }
    }
  }
  await walk(`${ROOT}/lib`);
  await walk(`${ROOT}/tasks`).catch(() => {});
  assertEquals(offenders, []);
});
