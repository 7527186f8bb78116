import { assert, assertEquals, assertStringIncludes } from "./support/assert.ts";
import { serveStatic } from "./support/static_server.ts";
import { ROOT } from "./support/shared.ts";

Deno.test("mod.ts works imported by URL in a fresh deno with --no-config (no import map)", async () => {
  const server = serveStatic(ROOT);
  try {
    const host = new URL(server.origin).host;
    const program = `
      import * as m from "${server.origin}/mod.ts";
      const rng = new m.Rng(42);
      const xs = m.shuffleInPlace([1, 2, 3, 4, 5], rng);
      console.log(JSON.stringify({ exports: Object.keys(m).length, sorted: [...xs].sort().join(",") }));
    `;
    const out = await new Deno.Command("deno", {
      args: ["run", "--no-config", "--no-lock", `--allow-import=${host}`, "--allow-read", "--allow-env", "-"],
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
      cwd: Deno.makeTempDirSync(),
    }).spawn();
    const w = out.stdin.getWriter();
    await w.write(new TextEncoder().encode(program));
    await w.close();
    const { code, stdout, stderr } = await out.output();
    const err = new TextDecoder().decode(stderr);
    assertEquals(code, 0, `child deno failed:\n${err}`);
    const line = new TextDecoder().decode(stdout).trim().split("\n").at(-1)!;
    const result = JSON.parse(line);
    assertEquals(result.sorted, "1,2,3,4,5");
    assert(result.exports > 3, "mod.ts exports the public API");
    assertStringIncludes(server.requests.join(" "), "/lib/");
  } finally {
    await server.close();
  }
});
