"""IMDb token and chunk counts with the roberta-base and xlm-roberta-base tokenizers, as the course's Python makes
them: `datasets` Dataset.map(tokenize, batched=True) keeping word_ids, then map(group_texts, batched=True) (batches of
1,000 reviews, chunks of 128, the remainder of each batch dropped), on the shared IMDb test split in file order.

From the project root:
  tools/reference/.venv/bin/python tools/reference/make_roberta_imdb_counts.py ../shared \
      fixtures/reference/imdb_counts_roberta.json

Digests are sha256 over int32 little-endian values (word_ids null = -1), as fixtures/reference/imdb_counts.json's.
"""
import gzip, hashlib, json, os, sys

import datasets
import numpy as np
import transformers
from transformers import AutoTokenizer, PreTrainedTokenizerFast

shared, out = sys.argv[1], sys.argv[2]
CHUNK, BATCH = 128, 1000
texts = [json.loads(line)["text"] for line in gzip.open(os.path.join(shared, "data", "imdb", "test.jsonl.gz"), "rt")]
ds = datasets.Dataset.from_dict({"text": texts})
result = {"description": __doc__.split("\n\n")[0].replace("\n", " "), "split": "test", "chunk_size": CHUNK,
          "group_batch": BATCH, "transformers": transformers.__version__, "datasets": datasets.__version__,
          "tokenizers": {}}


def digest(rows):
    h = hashlib.sha256()
    for r in rows:
        h.update(np.array([-1 if x is None else x for x in r], dtype="<i4").tobytes())
    return h.hexdigest()


for name in ["roberta-base", "xlm-roberta-base"]:
    tok = PreTrainedTokenizerFast(tokenizer_file=os.path.join(shared, "data", name, "tokenizer.json"))

    def tokenize(batch):
        enc = tok(batch["text"])
        enc["word_ids"] = [enc.word_ids(i) for i in range(len(enc["input_ids"]))]
        return enc

    def group_texts(examples):
        concatenated = {k: sum(examples[k], []) for k in examples.keys()}
        total = (len(concatenated["input_ids"]) // CHUNK) * CHUNK
        result = {k: [t[i:i + CHUNK] for i in range(0, total, CHUNK)] for k, t in concatenated.items()}
        result["labels"] = result["input_ids"].copy()
        return result

    tokenized = ds.map(tokenize, batched=True, remove_columns=["text"])
    chunks = tokenized.map(group_texts, batched=True, batch_size=BATCH)
    ids = tokenized["input_ids"]
    result["tokenizers"][name] = {
        "reviews": len(ids), "tokens": sum(len(r) for r in ids), "chunks_per_1000_reviews": len(chunks),
        "input_ids_sha256": digest(ids), "word_ids_sha256": digest(tokenized["word_ids"]),
        "chunk_input_ids_sha256": digest(chunks["input_ids"])}
    print(name, result["tokenizers"][name], file=sys.stderr)
with open(out, "w") as f:
    json.dump(result, f, indent=1)
    f.write("\n")
