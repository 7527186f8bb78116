import { formatDuration, ProgressBar, type ProgressOptions } from "../../lib/app/progress.ts";
import { assert, assertEquals, assertStringIncludes } from "../support/assert.ts";

/** A bar with a hand-moved clock (milliseconds) and captured output. */
function harness(options: Omit<ProgressOptions, "write" | "now">) {
  const clock = { ms: 1_000 };
  const out: string[] = [];
  const bar = new ProgressBar({ ...options, write: (t) => out.push(t), now: () => clock.ms });
  return { bar, clock, out };
}

Deno.test("ProgressBar: the rate counts only tokens after the first update, over the time since it", () => {
  const { bar, clock } = harness({ total: 3, mode: "off" });
  clock.ms += 60_000; // start-up before the first step: not timed
  bar.update({ step: 1, tokens: 1_000_000 }); // the first step (start-up work) is neither timed nor counted
  assertEquals(bar.tokensPerSecond, 0);
  clock.ms += 50;
  bar.update({ step: 2, tokens: 100 });
  assertEquals(bar.tokensPerSecond, 2000);
});

Deno.test("ProgressBar off a terminal: one plain line per 30 s, with step/total, mean loss, tokens/s and ETA", () => {
  const { bar, clock, out } = harness({ total: 100, mode: "lines" });
  bar.update({ step: 1, loss: 9, lr: 5e-5, tokens: 512 });
  for (let step = 2; step <= 100; step++) {
    clock.ms += 1_000; // one step a second
    bar.update({ step, loss: step <= 31 ? 3 : 2, lr: 5e-5, tokens: 512 });
    if (step === 31) {
      assertEquals(out, [
        "[progress] step 31/100 (31%)  loss 3.1935  lr 5.00e-5  512 tok/s  elapsed 30s  ETA 1m09s\n",
      ]);
    }
  }
  bar.done();
  // Lines at 30 s, 60 s, 90 s of the 99 s run; none at done(); no carriage returns or escapes.
  assertEquals(out.length, 3);
  assertEquals(out.map((l) => l.split(" ")[2]), ["31/100", "61/100", "91/100"]);
  assertStringIncludes(out[1], "loss 2.0000"); // the mean over the steps since the previous line
  assert(out.every((l) => !l.includes("\r") && !l.includes("\x1b") && l.endsWith("\n")), JSON.stringify(out));
});

Deno.test("ProgressBar off a terminal: every N steps, and no time-based lines with intervalSeconds 0", () => {
  const { bar, clock, out } = harness({ total: 10, mode: "lines", everySteps: 4, intervalSeconds: 0 });
  for (let step = 1; step <= 10; step++) {
    clock.ms += 100_000;
    bar.update({ step, loss: 1 });
  }
  assertEquals(out.map((l) => l.split(" ")[2]), ["4/10", "8/10"]);
});

Deno.test("ProgressBar on a terminal redraws one line in place; off (progress: false) writes nothing", () => {
  const tty = harness({ total: 4, force: true });
  assertEquals(tty.bar.mode, "bar");
  for (let step = 1; step <= 4; step++) {
    tty.clock.ms += 2_000;
    tty.bar.update({ step, loss: 1.5, tokens: 100 });
  }
  tty.bar.done();
  assertEquals(tty.out.length, 5);
  assert(tty.out.slice(0, 4).every((t) => t.startsWith("\r") && t.endsWith("\x1b[K")), JSON.stringify(tty.out));
  assertStringIncludes(tty.out[1], "2/4  loss 1.5000  50 tok/s  ETA 4s");
  assertEquals(tty.out[4], "\n");

  const off = harness({ total: 4, force: false });
  assertEquals(off.bar.mode, "off");
  for (let step = 1; step <= 4; step++) {
    off.clock.ms += 60_000;
    off.bar.update({ step, loss: 1 });
  }
  off.bar.done();
  assertEquals(off.out, []);
});

Deno.test("ProgressBar's default mode follows stderr: a bar on a terminal, plain lines otherwise", () => {
  const bar = new ProgressBar({ total: 1, write: () => {} });
  assertEquals(bar.mode, Deno.stderr.isTerminal() ? "bar" : "lines");
  assertEquals(formatDuration(3723), "1h02m03s");
  assertEquals(formatDuration(Number.NaN), "?");
});
