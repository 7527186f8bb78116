"""Read a Parquet file of chunks (`deno task prepare --format parquet`) the way a PyTorch run does, and print what
`datasets` sees as one JSON line: row count, columns and their types, `word_ids` nulls, and which members the course's
`train_test_split(train_size, test_size, seed)` and `shuffle(seed)` pick (indices and input_ids, as sha256 of their
little-endian int32 bytes, plus the first few indices). `tests/interop/torch_ddp_test.ts` compares these with the
project's `trainTestSplit` / `shuffle` (`lib/data/split.ts`) over the same chunks.

    python tools/interop/check_parquet.py --data chunks.parquet --cache-dir .cache/hf-datasets
"""

import argparse
import hashlib
import json
import time

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from datasets import load_dataset


def sha256_i32(values) -> str:
    return hashlib.sha256(np.asarray(values, dtype="<i4").tobytes()).hexdigest()


def indices_of(ds) -> np.ndarray:
    """The rows of the source table a `datasets` view selects (its indices mapping)."""
    if ds._indices is None:
        return np.arange(len(ds))
    return ds._indices.column(0).to_numpy()


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--data", required=True, help="Parquet file of chunks")
    p.add_argument("--train-size", type=int, default=10_000)
    p.add_argument("--test-size", type=int, default=1_000)
    p.add_argument("--seed", type=int, default=42, help="seed of train_test_split")
    p.add_argument("--shuffle-seed", type=int, default=42, help="seed of shuffle (of the whole file)")
    p.add_argument("--special-ids", default="101,102", help="token ids whose word id must be null ([CLS], [SEP])")
    p.add_argument("--cache-dir", default=None, help="datasets' cache (default: HF_DATASETS_CACHE)")
    args = p.parse_args()

    t0 = time.time()
    chunks = load_dataset("parquet", data_files={"train": args.data}, cache_dir=args.cache_dir)["train"]
    load_s = time.time() - t0
    table = chunks.data.table
    ids = pc.list_flatten(table.column("input_ids"))
    words = pc.list_flatten(table.column("word_ids"))
    special_ids = pa.array([int(x) for x in args.special_ids.split(",")], type=ids.type)
    special = pc.is_in(ids, value_set=special_ids)
    null = pc.is_null(words)
    lengths = {name: sorted(set(pc.list_value_length(table.column(name)).to_pylist())) for name in chunks.column_names}

    t1 = time.time()
    split = chunks.train_test_split(train_size=args.train_size, test_size=args.test_size, seed=args.seed)
    test_idx, train_idx = indices_of(split["test"]), indices_of(split["train"])
    shuffled = indices_of(chunks.shuffle(seed=args.shuffle_seed))
    split_s = time.time() - t1
    print(json.dumps({
        "rows": chunks.num_rows,
        "columns": chunks.column_names,
        "features": {name: str(feature) for name, feature in chunks.features.items()},
        "list_lengths": lengths,
        "tokens": len(ids),
        "word_ids_nulls": int(pc.sum(null).as_py()),
        "nulls_at_special_tokens": int(pc.sum(pc.and_(null, special)).as_py()),
        "special_tokens": int(pc.sum(special).as_py()),
        "attention_mask_all_ones": bool(pc.all(pc.equal(pc.list_flatten(table.column("attention_mask")), 1)).as_py()),
        "labels_equal_input_ids": bool(pc.all(pc.equal(pc.list_flatten(table.column("labels")), ids)).as_py()),
        "split": {
            "train_size": args.train_size,
            "test_size": args.test_size,
            "seed": args.seed,
            "test_first": test_idx[:5].tolist(),
            "test_indices_sha256": sha256_i32(test_idx),
            "train_indices_sha256": sha256_i32(train_idx),
            "test_input_ids_sha256": sha256_i32(np.asarray(split["test"]["input_ids"], dtype=np.int32)),
        },
        "shuffle": {
            "seed": args.shuffle_seed,
            "first": shuffled[:5].tolist(),
            "indices_sha256": sha256_i32(shuffled),
        },
        "load_seconds": round(load_s, 2),
        "split_seconds": round(split_s, 2),
    }))


if __name__ == "__main__":
    main()
