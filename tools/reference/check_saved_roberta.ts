/**
 * Load the folders transformers saved in make_roberta_goldens.py (SAVED_DIR: its re-serialized tokenizer.json, which
 * is too large to commit) with loadMaskedLM / loadTokenizer, and tokenize every golden text with them: ids and word
 * ids must equal the fast tokenizer's, as with the shared tokenizer files the tests use. Exits 1 on any difference.
 *
 *   tools/reference/.venv/bin/python tools/reference/make_roberta_goldens.py ../shared /tmp/ref-roberta /tmp/roberta-saved
 *   deno run --allow-read --allow-env tools/reference/check_saved_roberta.ts /tmp/roberta-saved
 *
 * @module
 */
import { loadMaskedLM } from "../../lib/model/pretrained.ts";
import { loadTokenizer } from "../../lib/tokenize/tokenizer.ts";
import { goldenRows } from "../../tests/tokenize/golden_rows.ts";

const saved = Deno.args[0] ?? "/tmp/roberta-goldens";
let failed = false;
for (
  const [name, golden] of [["tiny-roberta", "tokenizer_roberta_base.jsonl.gz"], [
    "tiny-xlm-roberta",
    "tokenizer_xlm_roberta_base.jsonl.gz",
  ]]
) {
  const dir = `${saved}/${name}`;
  const tok = await loadTokenizer(dir);
  const model = await loadMaskedLM(dir);
  let n = 0, bad = 0;
  for await (const r of goldenRows(golden)) {
    n++;
    const e = tok.encode(r.text);
    if (
      JSON.stringify(e.input_ids) !== JSON.stringify(r.ids) || JSON.stringify(e.word_ids) !== JSON.stringify(r.wordIds)
    ) bad++;
  }
  console.log(`${dir}: ${model.constructor.name}, ${model.numParameters()} parameters; ${n} texts, ${bad} differ`);
  model.dispose();
  failed ||= bad > 0;
}
Deno.exit(failed ? 1 : 0);
