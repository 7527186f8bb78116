/**
 * Print which tokens whole-word masking masks together in a text, with the tokenizer's word ids (`hf`) and with
 * Intl.Segmenter's (`intl`): one line per choice, each word group decoded with its token count (`映画·2`), groups
 * separated by ` | `.
 *
 *   deno run --allow-read tools/word_groups.ts TOKENIZER_DIR "TEXT"
 *
 * @module
 */
import { loadTokenizer } from "../lib/tokenize/tokenizer.ts";
import { wordGroups } from "../lib/collate/whole_word.ts";

const [dir, text] = Deno.args;
if (!dir || text === undefined) {
  console.error('usage: deno run --allow-read tools/word_groups.ts TOKENIZER_DIR "TEXT"');
  Deno.exit(2);
}
const tok = await loadTokenizer(dir);
for (const wordBoundaries of ["hf", "intl"] as const) {
  const enc = tok.encode(text, { wordBoundaries });
  const groups = wordGroups(enc.word_ids).map((g) =>
    `${tok.decode(g.map((i) => enc.input_ids[i])).trim()}·${g.length}`
  );
  console.log(`${wordBoundaries.padEnd(4)} (${String(groups.length).padStart(2)} words): ${groups.join(" | ")}`);
}
