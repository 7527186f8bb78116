/**
 * The application layer above the training core (`lib/train`): run folders (the file sink: `metrics.jsonl`,
 * `trainer_state.json`, `checkpoint-STEP/`), the finetune, evaluate and demo flows, dataset and model resolution,
 * pushing a run to the Hub, the command-line flags of the training tasks, Ctrl-C and the progress bar.
 *
 * @module
 */
export * from "./file_sink.ts";
export * from "./checkpoints.ts";
export * from "./run_dir.ts";
export * from "./run_lock.ts";
export * from "./resume.ts";
export * from "./model_checks.ts";
export * from "./token.ts";
export * from "./dataset.ts";
export * from "./push.ts";
export * from "./finetune.ts";
export * from "./demo.ts";
export * from "./interrupt.ts";
export * from "./progress.ts";
export * from "./count_progress.ts";
export * from "./flags.ts";
