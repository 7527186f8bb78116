#!/usr/bin/env bash
# On the GPU machine (after tools/gpu/bundle.sh on the CPU machine; device tool: carry [".gpu"]), from the repo root:
#   bash tools/gpu/run_imdb.sh
# Issue 4's and 7's H100 runs on WebGPU, on the IMDb subset in .gpu/data (see bundle.sh): a small random DistilBERT
# (the README's, 2.1 M parameters) trained as a masked LM on `unsupervised` (perplexity per epoch, tokens/s), then
# compare-adaptation of classifiers from the random and the MLM-trained encoder on train/test. Logs under $OUT.
# Knobs (environment): MLM_TRAIN (10000 chunks), MLM_TEST (1000), MLM_EPOCHS (3), MLM_BATCH (64), CLS_TRAIN (2000),
# CLS_TEST (1000), CLS_EPOCHS (2), CLS_MAXLEN (256), STEP_TIMEOUT (540 s each), RUN (prefix of the command: the
# on-gpu wrapper; RUN="" runs with the deno on PATH, for a dry run on the CPU machine).
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
out=${OUT:-out/gpu-imdb}
mkdir -p "$out"
RUN=${RUN-bash .gpu/on-gpu.sh}
MLM_TRAIN=${MLM_TRAIN:-10000} MLM_TEST=${MLM_TEST:-1000} MLM_EPOCHS=${MLM_EPOCHS:-3} MLM_BATCH=${MLM_BATCH:-64}
CLS_TRAIN=${CLS_TRAIN:-2000} CLS_TEST=${CLS_TEST:-1000} CLS_EPOCHS=${CLS_EPOCHS:-2} CLS_MAXLEN=${CLS_MAXLEN:-256}
STEP_TIMEOUT=${STEP_TIMEOUT:-540}
runs=/tmp/gpu-imdb-runs
data=.gpu/data/imdb
step() { # name, command...
  local name=$1
  shift
  echo "== $name: $*" | tee -a "$out/commands.txt"
  timeout "$STEP_TIMEOUT" $RUN "$@" >"$out/$name.log" 2>&1
  local rc=$?
  tail -n 12 "$out/$name.log"
  echo "($name exit $rc)"
  return $rc
}
(nvidia-smi --query-gpu=name,driver_version --format=csv,noheader || true) >"$out/gpu.txt" 2>&1
step random deno run -A .gpu/js/tools/gpu/make_random_model.js "$runs/random-small" .gpu/data/bert-base-uncased || exit 1
step mlm deno run -A .gpu/js/tasks/finetune.js --model "$runs/random-small" --dataset "$data" \
  --dataset-split unsupervised --train-size "$MLM_TRAIN" --test-size "$MLM_TEST" --num-train-epochs "$MLM_EPOCHS" \
  --learning-rate 1e-3 --per-device-train-batch-size "$MLM_BATCH" --backend webgpu --output-dir "$runs/mlm" \
  --overwrite-output-dir --cache-dir /tmp/gpu-imdb-cache || exit 1
cp "$runs/mlm/metrics.jsonl" "$out/mlm_metrics.jsonl"
cp "$runs/mlm/report.html" "$out/mlm_report.html" 2>/dev/null
step compare deno run -A .gpu/js/tasks/compare_adaptation.js --base "$runs/random-small" --adapted "$runs/mlm" \
  --dataset "$data" --train-size "$CLS_TRAIN" --test-size "$CLS_TEST" --max-length "$CLS_MAXLEN" \
  --num-train-epochs "$CLS_EPOCHS" --learning-rate 1e-3 --backend webgpu --output-dir "$runs/compare" \
  --overwrite-output-dir
cp "$runs/compare/compare.json" "$out/" 2>/dev/null
echo "logs in $out"
