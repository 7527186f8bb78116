#!/usr/bin/env bash
# On the CPU machine, from the repo root: fill the git-ignored .gpu/ with everything the GPU machine needs for
# tools/gpu/run_bench.sh, run_checks.sh and run_imdb.sh (it has no registry and no ../shared):
#   .gpu/deno.xz, .gpu/debs/, .gpu/on-gpu.sh   from ../shared/gpu/prepare.sh
#   .gpu/js/                                   the entry points bundled together (tools/gpu/bundle_entries.ts)
#   .gpu/data/imdb/{train,test,unsupervised}.jsonl.gz   every 10th / 10th / 4th review of ../shared/data/imdb
#                                              (2,500 / 2,500 / 12,500 reviews, both labels), and
#   .gpu/data/bert-base-uncased/               the tokenizer.
# Then, with the device tool: carry [".gpu"], command `bash tools/gpu/run_….sh` (each writes its logs under $OUT).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
shared=${MLM_SHARED_DIR:-../shared}
bash "$shared/gpu/prepare.sh"
rm -rf .gpu/js
deno run --allow-read --allow-run=deno tools/gpu/bundle_entries.ts "$PWD/.gpu/js"

mkdir -p .gpu/data/imdb .gpu/data/bert-base-uncased
cp "$shared"/data/bert-base-uncased/{tokenizer.json,tokenizer_config.json,vocab.txt,config.json} .gpu/data/bert-base-uncased/
for split_every in train:10 test:10 unsupervised:4; do
  split=${split_every%%:*} every=${split_every##*:}
  gzip -dc "$shared/data/imdb/$split.jsonl.gz" | awk -v k="$every" '(NR - 1) % k == 0' | gzip -6 >".gpu/data/imdb/$split.jsonl.gz.tmp"
  mv ".gpu/data/imdb/$split.jsonl.gz.tmp" ".gpu/data/imdb/$split.jsonl.gz"
done
du -sh .gpu .gpu/js .gpu/data
total=$(du -sm .gpu | cut -f1)
if ((total > 63)); then
  echo "warning: .gpu is ${total} MiB; the device tool carries at most 64 MiB" >&2
fi
