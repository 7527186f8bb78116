/**
 * The random RoBERTa / XLM-RoBERTa checkpoints of tools/reference/make_roberta_goldens.py, rebuilt: their weights
 * (megabytes, for a 50,265 / 250,002-row vocabulary) are not committed but are a hash of each element's position
 * (`hashedWeights`, the script's HASHED_WEIGHTS). A folder holds what transformers saved — config.json and
 * tokenizer_config.json from fixtures/reference/<name>/, the shared tokenizer files, and model.safetensors with the
 * same float32 values transformers saved.
 *
 * @module
 */
import { readSafetensors, type SafeTensor, writeSafetensors } from "../../lib/model/safetensors.ts";
import { ROOT, SHARED } from "../support/shared.ts";

/** roberta-base's shapes with one layer (46.7 M parameters), made with `--base`. */
export const ROBERTA_BASE1 = { name: "base1-roberta", tokenizer: "roberta-base" } as const;

/** The two tiny fixtures: folder name under fixtures/reference and the shared tokenizer it was saved with. */
export const ROBERTA_FIXTURES = [
  { name: "tiny-roberta", tokenizer: "roberta-base" },
  { name: "tiny-xlm-roberta", tokenizer: "xlm-roberta-base" },
] as const;

/** HASHED_WEIGHTS: uniform in [-1, 1) from lowbias32 of (element position + (index + 1)·0x9E3779B9) mod 2^32. */
export function hashed(index: number, n: number): Float64Array {
  const out = new Float64Array(n);
  hashedInto(index, n, (i, u) => out[i] = u);
  return out;
}

function hashedInto(index: number, n: number, put: (i: number, u: number) => void): void {
  const offset = Math.imul(index + 1, 0x9e3779b9) >>> 0;
  for (let i = 0; i < n; i++) {
    let x = (i + offset) >>> 0;
    x = (x ^ (x >>> 16)) >>> 0;
    x = Math.imul(x, 0x7feb352d) >>> 0;
    x = (x ^ (x >>> 15)) >>> 0;
    x = Math.imul(x, 0x846ca68b) >>> 0;
    x = (x ^ (x >>> 16)) >>> 0;
    put(i, x / 2 ** 31 - 1);
  }
}

/** The weights of `parameters` ([name, shape] in named_parameters() order): LayerNorm weights 1 ± 0.2, else ± 0.05. */
export function hashedWeights(parameters: [string, number[]][]): Map<string, SafeTensor> {
  const tensors = new Map<string, SafeTensor>();
  parameters.forEach(([name, shape], k) => {
    const n = shape.reduce((a, b) => a * b, 1);
    const norm = /(LayerNorm|layer_norm)\.weight$/.test(name);
    const data = new Float32Array(n);
    hashedInto(k, n, norm ? (i, u) => data[i] = 1 + 0.2 * u : (i, u) => data[i] = 0.05 * u);
    tensors.set(name, { shape, data });
  });
  return tensors;
}

/** The checkpoint key of a parameter name (the tied `lm_head.decoder.weight` is the word embeddings). */
export function hfKey(name: string): string {
  return name === "lm_head.decoder.weight" ? "roberta.embeddings.word_embeddings.weight" : name;
}

/** Write the checkpoint folder of fixture `name` into a new temp folder and return its path. */
export async function writeRobertaFixture(name: string, tokenizer: string): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: `${name}-` });
  const src = `${ROOT}/fixtures/reference/${name}`;
  for (const f of ["config.json", "tokenizer_config.json"]) await Deno.copyFile(`${src}/${f}`, `${dir}/${f}`);
  for await (const e of Deno.readDir(`${SHARED}/data/${tokenizer}`)) {
    if (e.name !== "tokenizer_config.json") {
      await Deno.copyFile(`${SHARED}/data/${tokenizer}/${e.name}`, `${dir}/${e.name}`);
    }
  }
  const golden = await readSafetensors(`${src}/goldens.safetensors`);
  const parameters = JSON.parse(golden.metadata.parameters) as [string, number[]][];
  // transformers saves the tied decoder under the embeddings' key, whichever name named_parameters() gave it.
  const saved = new Map([...hashedWeights(parameters)].map(([n, t]) => [hfKey(n), t]));
  await writeSafetensors(`${dir}/model.safetensors`, saved, { metadata: { format: "pt" } });
  return dir;
}
