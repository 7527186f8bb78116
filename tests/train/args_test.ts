// The training arguments table is the one place an argument is declared: the `TrainArgs` type, the defaults, the
// checks and the flags all come from its rows.
import { assert, assertEquals, assertThrows } from "../support/assert.ts";
import {
  type ArgumentName,
  checkTrainArgs,
  kebab,
  MLM_DEFAULTS,
  resolveTrainArgs,
  type TrainArgs,
  TRAINING_ARGUMENTS,
} from "../../lib/train/args.ts";
import { trainingArgumentFlags } from "../../lib/app/flags.ts";

Deno.test("TrainArgs is derived from TRAINING_ARGUMENTS: names, value types, choices", () => {
  const ok: TrainArgs = { outputDir: "x", learningRate: 1e-4, saveStrategy: "steps", saveTotalLimit: 2 };
  // @ts-expect-error a choice the row does not list
  const badChoice: TrainArgs = { outputDir: "x", saveStrategy: "often" };
  // @ts-expect-error a number argument given a string
  const badType: TrainArgs = { outputDir: "x", seed: "1" };
  // @ts-expect-error no row of that name
  const unknown: TrainArgs = { outputDir: "x", learningRat: 1 };
  const names: ArgumentName[] = TRAINING_ARGUMENTS.map((a) => a.name);
  assertEquals(new Set(names).size, names.length, "one row per argument");
  checkTrainArgs(ok, MLM_DEFAULTS);
  assertThrows(() => checkTrainArgs(badChoice, MLM_DEFAULTS), "saveStrategy must be epoch, steps or no");
  assertThrows(() => checkTrainArgs(badType, MLM_DEFAULTS), "seed must be an integer >= 0");
  assert(
    !("learningRat" in resolveTrainArgs(unknown, { trainSamples: 10, defaults: MLM_DEFAULTS })),
    "unknown dropped",
  );
});

Deno.test("every row gives a default (its own or the task's) and a flag with its help", () => {
  const resolved = resolveTrainArgs({ outputDir: "x" }, { trainSamples: 640, defaults: MLM_DEFAULTS });
  const flags = trainingArgumentFlags({
    perDeviceTrainBatchSize: "64",
    numTrainEpochs: "3",
    loggingSteps: "-",
    outputDir: "-",
  });
  for (const a of TRAINING_ARGUMENTS) {
    if (a.name !== "saveTotalLimit") assert(resolved[a.name] !== undefined, `${a.name} has a default`);
    const flag = flags[kebab(a.name)];
    if (flag) assert(flag.help!.startsWith(a.help), `--${kebab(a.name)}: help from the row`);
  }
});
