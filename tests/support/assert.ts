/**
 * The one seam for test assertions. `jsr:@std/assert` cannot be fetched on the machines this project is built on,
 * so these wrap `node:assert/strict` under `@std/assert`'s names; switching is a change to this file only.
 *
 * @module
 */
import nodeAssert from "node:assert/strict";

/** Assert that `expr` is truthy. */
export function assert(expr: unknown, msg?: string): asserts expr {
  nodeAssert.ok(expr, msg as string);
}

/** Deep, strict equality. */
export function assertEquals<T>(actual: unknown, expected: T, msg?: string): asserts actual is T {
  nodeAssert.deepStrictEqual(actual, expected, msg as string);
}

/** Deep, strict inequality. */
export function assertNotEquals(actual: unknown, expected: unknown, msg?: string): void {
  nodeAssert.notDeepStrictEqual(actual, expected, msg as string);
}

/** `|actual - expected| <= tolerance`. */
export function assertAlmostEquals(actual: number, expected: number, tolerance = 1e-7, msg?: string): void {
  const diff = Math.abs(actual - expected);
  nodeAssert.ok(
    diff <= tolerance,
    msg ?? `expected ${actual} to be close to ${expected} (diff ${diff} > tolerance ${tolerance})`,
  );
}

/** `fn` throws; when `msgIncludes` is given the message must contain it. Returns the error. */
export function assertThrows(fn: () => unknown, msgIncludes?: string): Error {
  let err: unknown;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  nodeAssert.ok(err instanceof Error, "expected the function to throw an Error");
  if (msgIncludes !== undefined) {
    nodeAssert.ok(
      (err as Error).message.includes(msgIncludes),
      `expected message to include ${JSON.stringify(msgIncludes)}, got ${JSON.stringify((err as Error).message)}`,
    );
  }
  return err as Error;
}

/** `fn` rejects; when `msgIncludes` is given the message must contain it. Returns the error. */
export async function assertRejects(fn: () => Promise<unknown>, msgIncludes?: string): Promise<Error> {
  let err: unknown;
  try {
    await fn();
  } catch (e) {
    err = e;
  }
  nodeAssert.ok(err instanceof Error, "expected the promise to reject with an Error");
  if (msgIncludes !== undefined) {
    nodeAssert.ok(
      (err as Error).message.includes(msgIncludes),
      `expected message to include ${JSON.stringify(msgIncludes)}, got ${JSON.stringify((err as Error).message)}`,
    );
  }
  return err as Error;
}

/** `actual` contains `expected`. */
export function assertStringIncludes(actual: string, expected: string, msg?: string): void {
  nodeAssert.ok(
    actual.includes(expected),
    msg ?? `expected ${JSON.stringify(actual)} to include ${JSON.stringify(expected)}`,
  );
}
