/**
 * Prepared datasets (the `./prepare` subpath export): read → tokenize → chunk → cache, composed once on top of
 * `lib/data` and `lib/tokenize`, like the `datasets` `map(...)` cache of the HF course. {@link prepareDataset} writes
 * `OUT/<id>/` (int32 arrays and `meta.json`; `<id>` is the first 16 hex digits of the fingerprint, see
 * {@link preparedId}), {@link loadPrepared} reads it back as chunks.
 *
 * @example
 * ```ts
 * import { preparedId, PREPARED_FORMAT } from "./mod.ts";
 * console.log(PREPARED_FORMAT, preparedId("0123456789abcdef0123")); // mlm-adapt/prepared-v1 0123456789abcdef
 * ```
 *
 * @module
 */
export * from "./prepared.ts";
