/**
 * Training: AdamW (torch semantics, HF parameter groups), linear schedule with warm-up, global-norm clipping, the
 * arguments resolved once, one run state, one step, the loop with deterministic evaluation and exact resume,
 * checkpoints, the log schema, and the finetune/evaluate/demo flows.
 *
 * @module
 */
export * from "./adamw.ts";
export * from "./schedule.ts";
export * from "./clip.ts";
export * from "./args.ts";
export * from "./step.ts";
export * from "./run_state.ts";
export * from "./evaluate.ts";
export * from "./metrics.ts";
export * from "./progress.ts";
export * from "./checkpoint.ts";
export * from "./trainer.ts";
export * from "./dataset.ts";
export * from "./run_dir.ts";
export * from "./push.ts";
export * from "./finetune.ts";
export * from "./demo.ts";
export * from "./interrupt.ts";
export * from "./cli_options.ts";
