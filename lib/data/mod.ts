/**
 * Corpus readers and seeded selection: stream records from JSON Lines, CSV/TSV, parquet, plain text and aclImdb
 * trees ({@link readRecords} picks the reader from the path), then shuffle, select and split in-memory arrays with
 * the project's seeded {@link Rng}.
 *
 * @example
 * ```ts
 * import { readTexts, trainTestSplit } from "./mod.ts";
 * const path = await Deno.makeTempFile({ suffix: ".txt" });
 * await Deno.writeTextFile(path, "one\ntwo\nthree\nfour\n");
 * const texts = [];
 * for await (const t of readTexts(path)) texts.push(t);
 * const { train, test } = trainTestSplit(texts, { testSize: 1, seed: 42 });
 * if (train.length !== 3 || test.length !== 1) throw new Error("unexpected");
 * ```
 *
 * @module
 */
export * from "./types.ts";
export * from "./rng.ts";
export * from "./jsonl.ts";
export * from "./text.ts";
export * from "./csv.ts";
export * from "./parquet.ts";
export * from "./aclimdb.ts";
export * from "./records.ts";
export * from "./split.ts";
export * from "./group_texts.ts";
export * from "./open_file.ts";
export * from "./lines.ts";
