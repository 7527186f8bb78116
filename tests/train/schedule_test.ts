import { assertAlmostEquals, assertEquals, assertThrows } from "../support/assert.ts";
import { linearScheduleWithWarmup } from "../../lib/train/schedule.ts";

Deno.test("linear schedule: warm-up ramps from 0, then decays linearly to 0 at totalSteps", () => {
  const lr = linearScheduleWithWarmup({ baseLr: 2e-5, warmupSteps: 4, totalSteps: 12 });
  assertEquals([0, 1, 2, 3].map(lr), [0, 2e-5 * 0.25, 2e-5 * 0.5, 2e-5 * 0.75]);
  assertEquals(lr(4), 2e-5);
  assertAlmostEquals(lr(8), 1e-5, 1e-18);
  assertEquals(lr(12), 0);
  assertEquals(lr(20), 0);
});

Deno.test("linear schedule: no warm-up starts at the base rate (the course's run)", () => {
  const lr = linearScheduleWithWarmup({ baseLr: 2e-5, warmupSteps: 0, totalSteps: 471 });
  assertEquals(lr(0), 2e-5);
  assertEquals(lr(470), 2e-5 * (1 / 471));
});

Deno.test("linear schedule: bad options fail clearly", () => {
  assertThrows(() => linearScheduleWithWarmup({ baseLr: 1e-3, warmupSteps: -1, totalSteps: 5 }), "warmupSteps");
  assertThrows(() => linearScheduleWithWarmup({ baseLr: 1e-3, warmupSteps: 0, totalSteps: 0 }), "totalSteps");
});
