/**
 * Where `../shared` is (the data and goldens beside the project), and how tests that need it skip, saying why.
 *
 * @module
 */
const here = new URL(".", import.meta.url).pathname;

/** Absolute path of the project root. */
export const ROOT: string = new URL("../../", import.meta.url).pathname.replace(/\/$/, "");

/** Absolute path of `../shared` beside the project (or `$MLM_SHARED_DIR`). */
export const SHARED: string = Deno.env.get("MLM_SHARED_DIR") ?? new URL("../../../shared", `file://${here}`).pathname;

/** True when `path` (relative to `SHARED`) exists; prints a skip reason otherwise. */
export function haveShared(path: string, testName: string): boolean {
  try {
    Deno.statSync(`${SHARED}/${path}`);
    return true;
  } catch {
    console.log(`SKIP ${testName}: ${SHARED}/${path} is absent (the shared data beside the project)`);
    return false;
  }
}
