"""HF fast tokenizer + course-style chunking over the shared IMDb, for the same-machine ratio with `deno task bench:data`.

Run where `tokenizers`/`transformers` are installed (the GPU machine), from the project root, with the same core count
for both sides, e.g. 4 cores:
    RAYON_NUM_THREADS=4 taskset -c 0-3 python3 tools/reference/bench_tokenizer_hf.py --data ../shared/data/imdb --cores 4
    taskset -c 0-3 deno task bench:data --workers 4
Prints one JSON line per split and one for all: reviews, tokens, chunks (per 1000 reviews, 128 tokens), seconds,
tokens/s. Counts must equal bench:data's exactly; the ratio of tokens/s is the figure for the README.
"""
import argparse, gzip, json, os, time

ap = argparse.ArgumentParser()
ap.add_argument("--data", default="../shared/data/imdb")
ap.add_argument("--tokenizer", default="../shared/data/bert-base-uncased")
ap.add_argument("--cores", type=int, default=os.cpu_count())
ap.add_argument("--chunk-size", type=int, default=128)
args = ap.parse_args()
os.environ.setdefault("RAYON_NUM_THREADS", str(args.cores))
os.environ["TOKENIZERS_PARALLELISM"] = "true"
from transformers import BertTokenizerFast  # noqa: E402  (after the env is set)

tok = BertTokenizerFast(tokenizer_file=os.path.join(args.tokenizer, "tokenizer.json"), do_lower_case=True)
total = {"split": "all", "reviews": 0, "tokens": 0, "chunks": 0, "seconds": 0.0}
for split in ["train", "test", "unsupervised"]:
    texts = [json.loads(l)["text"] for l in gzip.open(os.path.join(args.data, f"{split}.jsonl.gz"), "rt", encoding="utf-8")]
    t0 = time.perf_counter()
    lens = []
    for i in range(0, len(texts), 1000):  # datasets.map(batched=True) batches of 1000, word_ids kept as the course does
        enc = tok(texts[i:i + 1000])
        _ = [enc.word_ids(j) for j in range(len(enc["input_ids"]))]
        lens.append(sum(len(x) for x in enc["input_ids"]))
    dt = time.perf_counter() - t0
    row = {"split": split, "reviews": len(texts), "tokens": sum(lens), "chunks": sum(n // args.chunk_size for n in lens),
           "seconds": round(dt, 3), "tokens_per_second": round(sum(lens) / dt), "cores": args.cores}
    print(json.dumps(row), flush=True)
    for k in ("reviews", "tokens", "chunks", "seconds"):
        total[k] += row[k]
total["tokens_per_second"] = round(total["tokens"] / total["seconds"])
total["cores"] = args.cores
print(json.dumps(total))
