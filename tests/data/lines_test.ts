// Lines and paragraphs are cut in one pass over the text: the work is linear in the input, whatever the line length.
import { assert, assertEquals } from "../support/assert.ts";
import { RecordSplitter, type ScanStats } from "../../lib/data/lines.ts";
import { readLines } from "../../lib/data/jsonl.ts";
import { readText } from "../../lib/data/text.ts";
import { Rng } from "../../lib/data/rng.ts";

Deno.test("RecordSplitter cuts like String.split, however the text is cut into pieces", () => {
  const rng = new Rng(7);
  const random = () => rng.random();
  for (const separator of ["\n", "\n\n"]) {
    for (let trial = 0; trial < 200; trial++) {
      const text = Array.from({ length: Math.floor(random() * 40) }, () => "ab\n"[Math.floor(random() * 3)]).join("");
      const splitter = new RecordSplitter(separator);
      const out: string[] = [];
      for (let at = 0; at < text.length;) {
        const n = 1 + Math.floor(random() * 5);
        out.push(...splitter.push(text.slice(at, at + n)));
        at += n;
      }
      out.push(splitter.finish());
      assertEquals(out, text.split(separator), JSON.stringify(text));
    }
  }
});

/** A file of a few short lines around one line of `mb` MiB. */
async function longLineFile(mb: number): Promise<{ path: string; chars: number }> {
  const path = await Deno.makeTempFile({ suffix: ".txt" });
  const text = `first\n${"x".repeat(mb * 1024 * 1024)}\nlast\n\nafter a blank line\n`;
  await Deno.writeTextFile(path, text);
  return { path, chars: text.length };
}

Deno.test("readLines and readText search a long line once: the work is the input's length (1 MiB vs 8 MiB)", async () => {
  const work: Record<string, number[]> = { readLines: [], line: [], paragraph: [] };
  for (const mb of [1, 8]) {
    const { path, chars } = await longLineFile(mb);
    try {
      const stats: ScanStats = { scanned: 0 };
      const lengths: number[] = [];
      for await (const [, line] of readLines(path, { stats })) lengths.push(line.length);
      assertEquals(lengths, [5, mb * 1024 * 1024, 4, 0, 18]);
      work.readLines.push(stats.scanned / chars);
      for (const sampleBy of ["line", "paragraph"] as const) {
        const s: ScanStats = { scanned: 0 };
        let records = 0;
        for await (const _ of readText(path, { sampleBy, stats: s })) records++;
        assertEquals(records, sampleBy === "line" ? 5 : 2);
        work[sampleBy].push(s.scanned / chars);
      }
    } finally {
      await Deno.remove(path);
    }
  }
  // Characters examined per character of input: one pass (a rescanning reader does ~ length / 128 KiB passes).
  for (const [reader, perChar] of Object.entries(work)) {
    for (const ratio of perChar) assert(ratio >= 0.99 && ratio <= 1.01, `${reader}: ${perChar.join(" / ")} passes`);
  }
});
