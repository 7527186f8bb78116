/**
 * Helpers of the report tests: fixture run folders (synthetic logs written for this project: a 3-epoch masked-LM
 * run and a classifier run, 16 steps per epoch) and a scan for network references.
 *
 * @module
 */

const FIXTURES = new URL("./fixtures", import.meta.url).pathname;

/** A copy of a fixture run folder in a fresh temp dir. */
export async function copyFixture(name: string): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "mlm-report-" });
  for await (const e of Deno.readDir(`${FIXTURES}/${name}`)) {
    await Deno.copyFile(`${FIXTURES}/${name}/${e.name}`, `${dir}/${e.name}`);
  }
  return dir;
}

/** Every place a page could reach the network: src/href/action to a URL, CSS url()/@import of one. */
export function externalReferences(html: string): string[] {
  const found: string[] = [];
  const patterns = [
    /\b(?:src|href|action|poster|data)\s*=\s*["']?\s*(?:https?:)?\/\/[^"'\s>]*/gi,
    /url\(\s*["']?\s*(?:https?:)?\/\/[^)]*\)/gi,
    /@import\s+[^;]*/gi,
    /<link\b[^>]*>/gi,
    /<script\b[^>]*\bsrc\s*=/gi,
  ];
  for (const p of patterns) for (const m of html.matchAll(p)) found.push(m[0]);
  return found;
}
