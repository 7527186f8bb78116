// The README's library example must keep working: run its first ```ts block against this checkout.
import { assert, assertEquals } from "./support/assert.ts";
import { ROOT } from "./support/shared.ts";

Deno.test("README: the library example runs and prints a perplexity and fill-mask guesses", async () => {
  const readme = await Deno.readTextFile(`${ROOT}/README.md`);
  const block = /```ts\n([\s\S]*?)```/.exec(readme);
  assert(block, "README has a ```ts block");
  const dir = await Deno.makeTempDir();
  try {
    const file = `${dir}/example.ts`;
    await Deno.writeTextFile(file, block[1].replaceAll('"./mod.ts"', JSON.stringify(`${ROOT}/mod.ts`)));
    const { code, stdout, stderr } = await new Deno.Command("deno", {
      args: ["run", "--allow-read", "--allow-env", "--allow-sys", file],
      cwd: ROOT,
      stdout: "piped",
      stderr: "piped",
    }).output();
    const out = new TextDecoder().decode(stdout);
    assertEquals(code, 0, new TextDecoder().decode(stderr));
    const ppl = Number(/perplexity (\S+)/.exec(out)?.[1]);
    assert(Number.isFinite(ppl) && ppl > 1, `a perplexity was printed: ${out}`);
    assert(out.includes("token_str"), "fill-mask guesses were printed");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
