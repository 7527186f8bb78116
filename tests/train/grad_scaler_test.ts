/**
 * The loss scaler against PyTorch's `torch.amp.GradScaler` (fixtures/reference/grad_scaler_trace.json, made by
 * tools/reference/make_grad_scaler_golden.py): fed the steps on which torch found an inf/NaN, it runs with the same
 * scale at every step and ends each with torch's scale and growth tracker.
 */
import { assert, assertEquals, assertThrows } from "../support/assert.ts";
import { GradScaler } from "../../lib/train/grad_scaler.ts";

import { readTrace } from "../support/grad_scaler_trace.ts";

Deno.test("GradScaler follows torch.amp.GradScaler's trace (natural and injected overflows)", async () => {
  const { settings, steps } = await readTrace();
  const scaler = new GradScaler({ growthInterval: settings.growth_interval as number });
  assert(steps.some((s) => s.found_inf) && steps.some((s) => s.scale_after > s.scale), "the trace grows and backs off");
  for (const s of steps) {
    assertEquals(scaler.scale, s.scale, `step ${s.step}: the scale it runs with`);
    assertEquals(scaler.invScale, Math.fround(1 / s.scale), `step ${s.step}: inv_scale`);
    scaler.update(s.found_inf);
    assertEquals([scaler.scale, scaler.growthTracker], [s.scale_after, s.growth_tracker_after], `after step ${s.step}`);
  }
});

Deno.test("GradScaler: torch's defaults and state_dict keys; a saved state continues the same trace", async () => {
  const d = new GradScaler().state();
  assertEquals(d, { scale: 65536, growth_factor: 2, backoff_factor: 0.5, growth_interval: 2000, _growth_tracker: 0 });
  const { steps } = await readTrace();
  const a = new GradScaler({ growthInterval: 3 });
  let b: GradScaler | undefined;
  for (const s of steps) {
    if (s.step === 20) b = GradScaler.fromState(JSON.parse(JSON.stringify(a.state())), "state");
    a.update(s.found_inf);
    b?.update(s.found_inf);
  }
  assertEquals(b!.state(), a.state());
});

Deno.test("GradScaler: 2,000 finite steps double the scale; a growth to inf is refused", () => {
  const s = new GradScaler();
  for (let i = 0; i < 1999; i++) s.update(false);
  assertEquals([s.scale, s.growthTracker], [65536, 1999]);
  s.update(false);
  assertEquals([s.scale, s.growthTracker], [131072, 0]);
  const top = new GradScaler({ initScale: 2 ** 127, growthInterval: 1 });
  top.update(false);
  assertEquals(top.scale, 2 ** 127);
});

Deno.test("GradScaler: bad settings and states are named", () => {
  assertThrows(() => new GradScaler({ growthInterval: 0 }), "growthInterval must be an integer >= 1");
  assertThrows(() => new GradScaler({ backoffFactor: 2 }), "backoffFactor must be in (0, 1)");
  const bad = { ...new GradScaler().state(), _growth_tracker: 2000 };
  assertThrows(
    () => GradScaler.fromState(bad, "ck/training_state.json"),
    "ck/training_state.json: grad_scaler._growth_tracker",
  );
  assertThrows(
    () => GradScaler.fromState({ ...bad, scale: "x" as unknown as number }, "f"),
    "f: grad_scaler.scale must be a finite number > 0",
  );
});
