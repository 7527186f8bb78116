import { assert, assertEquals, assertStringIncludes } from "./support/assert.ts";
import { serveStatic } from "./support/static_server.ts";
import { ROOT } from "./support/shared.ts";

const CONFIG = JSON.parse(await Deno.readTextFileSync(`${ROOT}/deno.json`));
const EXPORTS = CONFIG.exports as Record<string, string>;

/** Run `program` in a fresh deno with no config or import map, allowed to import from `host`; its last stdout line. */
async function runFresh(program: string, host: string): Promise<string> {
  const child = new Deno.Command("deno", {
    args: ["run", "--no-config", "--no-lock", `--allow-import=${host}`, "--allow-read", "--allow-env", "-"],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
    cwd: Deno.makeTempDirSync(),
  }).spawn();
  const w = child.stdin.getWriter();
  await w.write(new TextEncoder().encode(program));
  await w.close();
  const { code, stdout, stderr } = await child.output();
  assertEquals(code, 0, `child deno failed:\n${new TextDecoder().decode(stderr)}`);
  return new TextDecoder().decode(stdout).trim().split("\n").at(-1)!;
}

Deno.test("mod.ts works imported by URL in a fresh deno with --no-config (no import map)", async () => {
  const server = serveStatic(ROOT);
  try {
    const host = new URL(server.origin).host;
    const program = `
      import * as m from "${server.origin}/mod.ts";
      const rng = new m.Rng(42);
      const xs = m.shuffle([1, 2, 3, 4, 5], { seed: 42 });
      const tok = await m.loadTokenizer(${JSON.stringify(`${ROOT}/fixtures/demo/model`)});
      const enc = tok.encode("This is a great movie.");
      const chunks = m.groupTexts([enc, enc, enc], { chunkSize: 8 });
      const collate = m.createMlmCollator({
        maskTokenId: tok.maskTokenId, vocabSize: tok.vocabSize, specialIds: tok.allSpecialIds,
        padTokenId: tok.padTokenId, mlmProbability: 0.5, rng,
      });
      const batch = collate(chunks);
      await m.selectBackend("cpu");
      const model = await m.loadMaskedLM(${JSON.stringify(`${ROOT}/fixtures/demo/model`)});
      const loss = (await model.loss(batch).data())[0];
      console.log(JSON.stringify({
        exports: Object.keys(m).length, sorted: [...xs].sort().join(","), shape: batch.shape,
        wordIds: enc.word_ids, finite: Number.isFinite(loss),
      }));
    `;
    const result = JSON.parse(await runFresh(program, host));
    assertEquals(result.sorted, "1,2,3,4,5");
    assertEquals(result.shape, [3, 8]); // three 8-token encodings → three chunks of 8
    assertEquals(result.wordIds, [null, 0, 1, 2, 3, 4, 5, null]);
    assert(result.finite, "the model's loss is a finite number");
    assert(result.exports > 3 && result.exports <= 100, `mod.ts exports the curated API: ${result.exports}`);
    assertStringIncludes(server.requests.join(" "), "/lib/");
  } finally {
    await server.close();
  }
});

Deno.test("every subpath export of deno.json works imported by URL and adds to the root", async () => {
  assertEquals(EXPORTS["."], "./mod.ts");
  const server = serveStatic(ROOT);
  try {
    const host = new URL(server.origin).host;
    const entries = Object.entries(EXPORTS);
    const program = `
      const counts = {};
      for (const [name, path] of ${JSON.stringify(entries)}) {
        counts[name] = Object.keys(await import("${server.origin}/" + path.slice(2))).length;
      }
      console.log(JSON.stringify(counts));
    `;
    const counts = JSON.parse(await runFresh(program, host)) as Record<string, number>;
    for (const [name, path] of entries) {
      assert(path.startsWith("./") && path.endsWith("mod.ts"), `${name}: a mod.ts entry, got ${path}`);
      assert(counts[name] > 0, `${name} (${path}) exports something: ${counts[name]}`);
    }
    for (const sub of ["./hub", "./webgpu", "./bench", "./classify", "./report", "./train", "./model"]) {
      assert(sub in EXPORTS, `deno.json exports ${sub}`);
    }
  } finally {
    await server.close();
  }
});

Deno.test("mod.ts: at most 100 runtime exports, each with JSDoc and an @example; internals stay in subpaths", async () => {
  const root = await import("../mod.ts");
  const names = Object.keys(root);
  assert(names.length <= 100, `mod.ts has ${names.length} runtime exports (at most 100)`);
  for (const internal of ["hubFetch", "readRef", "linkSnapshot", "onCtrlC", "loggedArgs", "registerTiledMatMul"]) {
    assert(!names.includes(internal), `${internal} is not in the root API`);
  }
  const out = await new Deno.Command("deno", { args: ["doc", "--json", "mod.ts"], cwd: ROOT, stderr: "null" }).output();
  assertEquals(out.code, 0, "deno doc --json mod.ts");
  const doc = JSON.parse(new TextDecoder().decode(out.stdout));
  const symbols = doc.nodes[`file://${ROOT}/mod.ts`].symbols as {
    name: string;
    declarations: { kind: string; jsDoc?: { doc?: string; tags?: { kind: string }[] } }[];
  }[];
  const problems: string[] = [];
  for (const { name, declarations: [d] } of symbols) {
    if (name === "tf") continue; // the tfjs namespace itself: deno doc sees no JSDoc on `export * as` (see lib/deps.ts)
    if (!d.jsDoc?.doc) problems.push(`${name}: no JSDoc`);
    const isType = d.kind === "interface" || d.kind === "typeAlias";
    if (!isType && !d.jsDoc?.tags?.some((t) => t.kind === "example")) problems.push(`${name}: no @example`);
  }
  assertEquals(problems, []);
  assertEquals(
    symbols.filter((s) => !["interface", "typeAlias"].includes(s.declarations[0].kind)).length,
    names.length,
  );
});
