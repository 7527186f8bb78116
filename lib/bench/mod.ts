/**
 * Benchmarks (the `./bench` subpath export): the training step ({@link benchTrain}, `deno task bench:train`), the
 * data pipeline ({@link benchData}, `deno task bench:data`) and its comparison with Hugging Face's Rust tokenizer
 * ({@link compareHfTokenizer}, `deno task bench:data-hf`), a WebGPU dispatch counter ({@link countWebgpuDispatches})
 * and the device memory tensors hold ({@link heldBytes}, {@link watchPeak}).
 *
 * @example
 * ```ts
 * import { formatBenchTable, MODEL_SIZES } from "./mod.ts";
 * console.log(Object.keys(MODEL_SIZES)); // the model shapes bench:train knows
 * console.log(formatBenchTable([{ split: "test", tokens: 12 }], ["split", "tokens"]));
 * ```
 *
 * @module
 */
export * from "./train_bench.ts";
export * from "./data_bench.ts";
export * from "./dispatch_counter.ts";
export * from "./gpu_memory.ts";
export * from "./hf_tokenizer.ts";
