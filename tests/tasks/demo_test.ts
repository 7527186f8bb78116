import { assert, assertEquals } from "../support/assert.ts";
import { DEMO_PROMPTS, formatDemo, runDemo } from "../../lib/train/demo.ts";

Deno.test("demo: adapting the tiny model to the movie reviews lowers held-out perplexity", async () => {
  const lines: string[] = [];
  const r = await runDemo({ backend: "wasm", epochs: 1, progress: false, log: (l) => lines.push(l) });
  assert(r.after.perplexity < r.before.perplexity, `${r.before.perplexity} → ${r.after.perplexity}`);
  assertEquals(r.fillBefore.length, DEMO_PROMPTS.length);
  assertEquals(r.fillAfter[0].length, 5);
  const text = formatDemo(r);
  assert(text.includes("This is a great [MASK].") && text.includes("before →"), text);
});
