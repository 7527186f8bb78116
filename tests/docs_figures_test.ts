// The figures README.md and docs/ quote are what the documented commands print today. Each cheap documented command
// is run as written (its `runs/...` output folder moved into a temporary folder) and every quoted figure is compared
// with the printed one; a failure lists each doc line that disagrees, with what the command printed instead.
// ~30 s on 2 cores: the demo (~20 s), the offline finetune, fill-mask on the demo's model, and the page's 3 steps
// (the page's own function, `adaptInMemory`, on wasm in Deno: the page gives the same numbers).
import { assert, assertEquals } from "./support/assert.ts";
import { ROOT } from "./support/shared.ts";
import { selectBackend } from "../lib/model/backend.ts";
import { adaptInMemory, corpusTexts, maskedLMFromFiles, tokenizerFromFiles } from "../lib/web/mod.ts";

/** A doc's text and lines. */
function readDoc(file: string): { text: string; lines: string[] } {
  const text = Deno.readTextFileSync(`${ROOT}/${file}`);
  return { text, lines: text.split("\n") };
}

/** 1-based line of character `index` of `text`. */
function lineAt(text: string, index: number): number {
  return text.slice(0, index).split("\n").length;
}

/** Shell words of a one-line command: spaces split, "…" and '…' quote, `#` starts a comment. */
function shellWords(command: string): string[] {
  const words: string[] = [];
  for (const m of command.matchAll(/"([^"]*)"|'([^']*)'|(#.*$)|(\S+)/g)) {
    if (m[3] !== undefined) break;
    words.push(m[1] ?? m[2] ?? m[4]);
  }
  return words;
}

/** The command of a ```sh block of `file` whose first line starts with `prefix` (continued lines joined), as words. */
function documentedCommand(file: string, prefix: string): { words: string[]; where: string } {
  const { lines } = readDoc(file);
  let inSh = false;
  for (let i = 0; i < lines.length; i++) {
    if (/^```/.test(lines[i])) {
      inSh = !inSh && /^```(sh|bash)?\s*$/.test(lines[i]);
      continue;
    }
    if (!inSh || !lines[i].startsWith(prefix)) continue;
    let command = lines[i];
    for (let j = i; command.endsWith("\\"); j++) command = command.slice(0, -1) + " " + lines[j + 1];
    return { words: shellWords(command), where: `${file}:${i + 1}` };
  }
  throw new Error(`${file}: no \`${prefix} …\` in a sh block (the figures test runs that command)`);
}

/** The lines of the fenced block that follows the first line of `file` matching `marker`, with their line numbers. */
function blockAfter(file: string, marker: RegExp): { line: number; text: string }[] {
  const { lines } = readDoc(file);
  const at = lines.findIndex((l) => marker.test(l));
  if (at < 0) throw new Error(`${file}: no line matching ${marker} (the figures test reads the block after it)`);
  const open = lines.findIndex((l, i) => i > at && l.startsWith("```"));
  const close = lines.findIndex((l, i) => i > open && l.startsWith("```"));
  return lines.slice(open + 1, close).map((text, i) => ({ line: open + 2 + i, text }));
}

/**
 * Run a documented `deno task …` from the checkout with `runs/NAME` arguments moved under `tmp` and `extra` flags
 * appended; returns stdout (the command must succeed). Its notes belong on stderr: stdout may not hold the backend
 * note nor tokenizing progress.
 */
async function runDocumented(words: string[], tmp: string, extra: string[] = []): Promise<string> {
  assertEquals(words.slice(0, 2), ["deno", "task"], words.join(" "));
  const args = [...words.slice(1).map((w) => w.startsWith("runs/") ? `${tmp}/${w.slice(5)}` : w), ...extra];
  const out = await new Deno.Command("deno", {
    args,
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  const stdout = new TextDecoder().decode(out.stdout);
  const stderr = new TextDecoder().decode(out.stderr);
  assertEquals(out.code, 0, `deno ${args.join(" ")} failed:\n${stderr}\n${stdout}`);
  for (const note of [/^backend( auto)?: /m, /^\[tokenizing\]/m]) {
    assert(!note.test(stdout), `deno ${args.join(" ")}: ${note} on stdout (notes go to stderr):\n${stdout}`);
  }
  return stdout;
}

/**
 * Output lines keyed for pairing a doc's line with the printed one: a fill-mask prompt (a line with `[MASK]` and no
 * digit) is its own key and the context of the lines after it; other lines are keyed by context + first word (when
 * it ends with ":") or first two words.
 */
function keyedLines(lines: string[]): Map<string, string> {
  const out = new Map<string, string>();
  let context = "";
  for (const line of lines.map((l) => l.trimEnd()).filter((l) => l.trim() !== "")) {
    if (line.includes("[MASK]") && !/\d/.test(line)) {
      context = line;
      out.set(line, line);
      continue;
    }
    const w = line.trim().split(/\s+/);
    out.set(`${context} / ${w[0].endsWith(":") ? w[0] : w.slice(0, 2).join(" ")}`, line);
  }
  return out;
}

Deno.test({
  name: "docs figures: README and docs/ quote what the documented commands print",
  sanitizeResources: false,
  async fn() {
    const tmp = await Deno.makeTempDir({ prefix: "mlm-docs-figures-" });
    const wrong: string[] = [];
    const disagree = (where: string, doc: string, printed: string | undefined, by: string) =>
      wrong.push(
        `${where}\n    the doc says:  ${doc.trim()}\n    ${by}: ${printed?.trim() ?? "(no such line)"}`,
      );
    try {
      // deno task demo (README's first command), into a temporary run folder.
      const demoCommand = documentedCommand("README.md", "deno task demo");
      const demo = await runDocumented(demoCommand.words, tmp, ["--output-dir", `${tmp}/demo`]);
      const demoLines = demo.split("\n");
      const by = "`deno task demo` printed";

      // README: the demo's output block, line by line.
      const printed = keyedLines(demoLines);
      const readmeBlock = blockAfter("README.md", /^`deno task demo` adapts/);
      const readmeKeys = keyedLines(readmeBlock.map((l) => l.text));
      for (const [key, docLine] of readmeKeys) {
        if (printed.get(key) !== docLine) {
          const line = readmeBlock.find((l) => l.text.trimEnd() === docLine)!.line;
          disagree(`README.md:${line}`, docLine, printed.get(key), by);
        }
      }

      // The demo's sizes: parameters, reviews, held-out chunks.
      const header =
        /demo: ([\d,]+)-parameter \w+ on \w+; (\d+) movie reviews → \d+ chunks of \d+ tokens \(\d+ train, (\d+) eval\)/
          .exec(demo);
      assert(header, `the demo printed no "demo: N-parameter …" line:\n${demo}`);
      const [, params, reviews, evalChunks] = header;
      const ppl = demoLines.find((l) => l.startsWith("perplexity on "));
      assert(ppl, `the demo printed no perplexity line:\n${demo}`);
      const [, before, after] = /: (\d+\.\d+) before → (\d+\.\d+) after/.exec(ppl) ?? [];
      const sizes: [string, RegExp, string][] = [
        [
          "README.md",
          /tiny DistilBERT \((\d+)k parameters\)/,
          String(Math.round(Number(params.replaceAll(",", "")) / 1e3)),
        ],
        ["README.md", /to (\d+) short movie\s+reviews/, reviews],
        ["docs/training.md", /a ([\d,]+)-parameter DistilBERT/, params],
        ["docs/training.md", /adapted on (\d+) short movie reviews/, reviews],
        ["docs/training.md", /perplexity on (\d+) held-out chunks masked once/, evalChunks],
        ["docs/web.md", /a ([\d,]+)-parameter DistilBERT/, params],
        ["docs/benchmarks.md", /`deno task demo`: [^\n]*?perplexity (\d+\.\d+) →\s+\d+\.\d+/, before],
        ["docs/benchmarks.md", /`deno task demo`: [^\n]*?perplexity \d+\.\d+ →\s+(\d+\.\d+)/, after],
      ];
      for (const [file, pattern, value] of sizes) {
        const { text } = readDoc(file);
        const m = pattern.exec(text);
        if (!m) wrong.push(`${file}: no text matching ${pattern} (the figures test reads it)`);
        else if (m[1] !== value) {
          const where = `${file}:${lineAt(text, m.index + m[0].indexOf(m[1]))}`;
          const should = m[0].replace(m[1], value).replaceAll(/\s+/g, " ");
          disagree(where, m[0].replaceAll(/\s+/g, " "), should, "by what `deno task demo` printed, it should say");
        }
      }
      const training = readDoc("docs/training.md");
      const quoted = /It prints `(perplexity on [^`]*)`/.exec(training.text);
      if (!quoted) wrong.push("docs/training.md: no “It prints `perplexity on …`” (the figures test reads it)");
      else if (quoted[1] !== ppl) {
        disagree(`docs/training.md:${lineAt(training.text, quoted.index)}`, quoted[1], ppl, by);
      }

      // fill-mask on the demo's model, as training.md shows it.
      const fillCommand = documentedCommand(
        "docs/training.md",
        'deno task fill-mask --model runs/demo "The [MASK] was',
      );
      const fill = (await runDocumented(fillCommand.words, tmp)).trimEnd().split("\n");
      const fillBlock = blockAfter("docs/training.md", /^The first prints:/);
      fillBlock.forEach(({ line, text }, i) => {
        if (fill[i]?.trimEnd() !== text.trimEnd()) {
          disagree(`docs/training.md:${line}`, text, fill[i], `${fillCommand.where}'s fill-mask printed`);
        }
      });
      if (fill.length !== fillBlock.length) {
        wrong.push(`docs/training.md:${fillBlock[0].line}: ${fillBlock.length} lines shown, ${fill.length} printed`);
      }

      // The offline finetune of training.md and its table.
      const finetuneCommand = documentedCommand("docs/training.md", "deno task finetune --model fixtures/demo/model");
      const finetune = await runDocumented(finetuneCommand.words, tmp);
      const rows = finetune.split("\n").filter((l) => /^\|\s+\d+ \|/.test(l));
      const tableBlock = blockAfter("docs/training.md", /the offline command above prints:$/)
        .filter((l) => /^\|\s+\d+ \|/.test(l.text));
      assert(tableBlock.length > 0, "docs/training.md: the finetune table has rows");
      tableBlock.forEach(({ line, text }, i) => {
        if (rows[i] !== text) {
          disagree(`docs/training.md:${line}`, text, rows[i], `${finetuneCommand.where}'s finetune printed`);
        }
      });

      // The page's 3 steps on the demo (its defaults: chunks of 32, batch 16, lr 1e-3, seed 42, random-token masking).
      await selectBackend("wasm", { log: () => {} });
      const files = new Map<string, Uint8Array>();
      for (const f of ["config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json"]) {
        files.set(f, await Deno.readFile(`${ROOT}/fixtures/demo/model/${f}`));
      }
      const tokenizer = tokenizerFromFiles(files), model = maskedLMFromFiles(files, { tokenizer });
      const texts = corpusTexts(
        "movie_reviews.jsonl",
        await Deno.readFile(`${ROOT}/fixtures/demo/corpus/movie_reviews.jsonl`),
      );
      const page = await adaptInMemory(model, tokenizer, texts, {
        chunkSize: 32,
        batchSize: 16,
        learningRate: 1e-3,
        seed: 42,
        masking: "random-token",
        maxSteps: 3,
      });
      model.dispose();
      const web = readDoc("docs/web.md");
      const pageFigure = /3 steps on the demo corpus[^]*?gives perplexity\s+(\d+\.\d+) → (\d+\.\d+)/.exec(web.text);
      const pagePrinted = `${page.before.perplexity.toFixed(2)} → ${page.after.perplexity.toFixed(2)}`;
      if (!pageFigure) wrong.push("docs/web.md: no “3 steps on the demo corpus … gives perplexity A → B”");
      else if (`${pageFigure[1]} → ${pageFigure[2]}` !== pagePrinted) {
        const where = `docs/web.md:${lineAt(web.text, pageFigure.index + pageFigure[0].indexOf(pageFigure[1]))}`;
        disagree(where, `${pageFigure[1]} → ${pageFigure[2]}`, pagePrinted, "the page's adaptInMemory (3 steps) gives");
      }
    } finally {
      await Deno.remove(tmp, { recursive: true });
    }
    assertEquals(
      wrong,
      [],
      `${wrong.length} doc figure(s) disagree with what the commands print now:\n${wrong.join("\n")}\n`,
    );
  },
});
