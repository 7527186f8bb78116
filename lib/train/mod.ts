/**
 * The training core: arguments, the step plan and its seed forks, one optimizer step, AdamW, the schedule,
 * clipping, evaluation, the run state and the loop ({@link runTraining}) that hands its outputs to a
 * {@link RunSink}. Nothing here touches the file system; `lib/app` writes run folders.
 *
 * @module
 */
export * from "./adamw.ts";
export * from "./grad_scaler.ts";
export * from "./schedule.ts";
export * from "./clip.ts";
export * from "./args.ts";
export * from "./plan.ts";
export * from "./masking.ts";
export * from "./step.ts";
export * from "./run_state.ts";
export * from "./evaluate.ts";
export * from "./sink.ts";
export * from "./trainer.ts";
