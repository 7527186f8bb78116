"""numpy goldens for lib/data/numpy_random.ts and lib/data/split.ts → fixtures/numpy/random.json.

    python3 tools/reference/make_numpy_goldens.py [--out fixtures/numpy/random.json]

Needs only numpy (Debian's `python3-numpy` or any numpy >= 1.17, where `default_rng` appeared). What Hugging Face
`datasets` does with a seed, written out here so `datasets` itself need not be installed:
- `Dataset.shuffle(seed=s)`: `np.random.default_rng(s).permutation(len(ds))` (arrow_dataset.py `shuffle`).
- `Dataset.train_test_split(test_size, train_size, seed=s)`: n_test = ceil(test_size * n) for a fraction, else the
  count; n_train = floor(train_size * n) for a fraction, else the count; a missing size is the rest (test 0.25 when
  both are missing); `permutation = np.random.default_rng(s).permutation(n)`, test = permutation[:n_test],
  train = permutation[n_test:n_test + n_train] (arrow_dataset.py `train_test_split`).
Lists longer than FULL_UP_TO are stored as their first and last EDGE members, their length and the sha256 of the
indices as little-endian int32 bytes. Seeds that do not fit in a JSON double are stored as decimal strings.
"""
import argparse, hashlib, json, math

import numpy as np

FULL_UP_TO = 1000
EDGE = 20
SEEDS = [0, 1, 42, 1234, 2**32 + 5, 2**130 + 3]  # one word, two words, five words (more than the pool of four)
SIZES = [0, 1, 2, 3, 10, 100, 1000, 65537, 61291]
SPLITS = [  # (n, train_size, test_size, seed): the course's downsampling first
    (61291, 10000, 1000, 42),
    (100, None, 0.1, 42),
    (1000, 0.8, 0.2, 0),
    (257, None, 0.05, 42),
    (50, 30, 12, 7),
    (10, None, None, 3),
]


def encode_seed(seed):
    return seed if seed < 2**53 else str(seed)


def summary(indices):
    a = np.asarray(indices, dtype=np.int64)
    out = {"length": int(a.size), "sha256": hashlib.sha256(a.astype("<i4").tobytes()).hexdigest()}
    if a.size <= FULL_UP_TO:
        out["full"] = a.tolist()
    else:
        out["first"] = a[:EDGE].tolist()
        out["last"] = a[-EDGE:].tolist()
    return out


def split_sizes(n, train_size, test_size):
    if train_size is None and test_size is None:
        test_size = 0.25
    n_test = None if test_size is None else (math.ceil(test_size * n) if isinstance(test_size, float) else test_size)
    n_train = None if train_size is None else (math.floor(train_size * n) if isinstance(train_size, float) else train_size)
    if n_train is None:
        n_train = n - n_test
    if n_test is None:
        n_test = n - n_train
    return n_train, n_test


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default="fixtures/numpy/random.json")
    args = ap.parse_args()

    seed_sequences = [
        {"seed": encode_seed(s), "pool": np.random.SeedSequence(s).pool.tolist(),
         "state32": np.random.SeedSequence(s).generate_state(8).tolist()}
        for s in SEEDS
    ]
    pcg64 = []
    for s in SEEDS:
        g = np.random.PCG64(s)
        st = g.state["state"]
        next64 = [str(int(x)) for x in g.random_raw(6)]
        pcg64.append({"seed": encode_seed(s), "state": str(st["state"]), "inc": str(st["inc"]), "next64": next64})
    permutations = [
        {"seed": encode_seed(s), "n": n, "permutation": summary(np.random.default_rng(s).permutation(n))}
        for s in SEEDS for n in SIZES
    ]
    splits = []
    for n, train_size, test_size, seed in SPLITS:
        n_train, n_test = split_sizes(n, train_size, test_size)
        perm = np.random.default_rng(seed).permutation(n)
        splits.append({
            "n": n, "trainSize": train_size, "testSize": test_size, "seed": seed,
            "test": summary(perm[:n_test]), "train": summary(perm[n_test:n_test + n_train]),
        })
    # The 64-bit path of random_interval (masked rejection on 64-bit draws): legacy RandomState.randint over a
    # PCG64 uses the same masked loop (bounded_masked_uint64) for ranges of 2^32 and more.
    interval64 = []
    for s, high in [(42, 2**40 + 5), (7, 2**33), (1, 2**52 + 12345)]:
        values = np.random.RandomState(np.random.PCG64(s)).randint(0, high, size=12, dtype=np.int64)
        interval64.append({"seed": s, "max": high - 1, "values": values.tolist()})

    out = {
        "generator": f"numpy {np.__version__}",
        "made_by": "tools/reference/make_numpy_goldens.py",
        "seedSequence": seed_sequences,
        "pcg64": pcg64,
        "permutations": permutations,
        "trainTestSplits": splits,
        "interval64": interval64,
    }
    with open(args.out, "w") as f:
        json.dump(out, f, indent=None, separators=(",", ":"))
        f.write("\n")
    print(f"wrote {args.out}: {len(permutations)} permutations, {len(splits)} splits (numpy {np.__version__})")


if __name__ == "__main__":
    main()
