import { ProgressBar } from "../../lib/train/progress.ts";
import { assert, assertEquals } from "../support/assert.ts";

Deno.test("ProgressBar: the rate counts only tokens after the first update, over the time since it", async () => {
  const bar = new ProgressBar({ total: 3, force: false });
  bar.update({ step: 1, tokens: 1_000_000 }); // the first step (start-up work) is neither timed nor counted
  assertEquals(bar.tokensPerSecond, 0);
  await new Promise((r) => setTimeout(r, 50));
  bar.update({ step: 2, tokens: 100 });
  const rate = bar.tokensPerSecond;
  assert(rate > 0 && rate <= 100 / 0.045, `100 tokens over ≥ 50 ms is at most ~2,000 tokens/s, got ${rate}`);
});
