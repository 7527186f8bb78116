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
      const tok = await m.loadTokenizer(${JSON.stringify(`${ROOT}/fixtures/demo/model`)});
      const enc = tok.encode("This is a great movie.");
      const chunks = m.groupTexts([enc, enc, enc], { chunkSize: 8 });
      const collate = m.createMlmCollator({
        maskTokenId: tok.maskTokenId, vocabSize: tok.vocabSize, specialIds: tok.allSpecialIds,
        padTokenId: tok.padTokenId, mlmProbability: 0.5, seed: 1,
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
    assertEquals(result.shape, [3, 8]); // three 8-token encodings → three chunks of 8
    assertEquals(result.wordIds, [null, 0, 1, 2, 3, 4, 5, null]);
    assert(result.finite, "the model's loss is a finite number");
    assert(result.exports > 3, "mod.ts exports the public API");
    assertStringIncludes(server.requests.join(" "), "/lib/");
  } finally {
    await server.close();
  }
});
