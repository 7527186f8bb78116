/**
 * Moved to `lib/prepare/prepared.ts` (preparing sits above `lib/data` and `lib/tokenize`); this module re-exports it
 * for importers that still use the old path.
 *
 * @module
 */
export * from "../prepare/prepared.ts";
