#!/usr/bin/env bash
# The training-speed comparison on the GPU machine: `deno task bench:train` (tfjs WebGPU, bundled) and
# tools/reference/bench_train_torch.py (PyTorch fp32 / tf32 / fp16) in the same command, same shapes, then the table.
#
# Steps (see ../shared/gpu/README.md):
#   1. On this (CPU) machine, from the repo root:  bash tools/gpu/bundle.sh
#      (fills the git-ignored .gpu/: deno.xz, the Vulkan loader .debs, on-gpu.sh, the bundled entry points in .gpu/js)
#   2. On the GPU machine, from the repo root, with .gpu carried along (device tool: carry [".gpu"]):
#        bash tools/gpu/run_bench.sh
#      Logs and JSON lines go to $OUT (the device tool's output folder), else out/gpu-bench/.
#
# Knobs (environment): MODELS ("distilbert-base roberta-base modernbert-base": each at every batch size, fp32 and
# --fp16, full vocabulary; MODEL=x is the same as MODELS=x), BATCHES ("32 64"), SEQ (128), DENO_STEPS (10), DENO_WARMUP (2),
# TORCH_STEPS (30), TORCH_WARMUP (5), SPLIT (1: also time forward/backward/optimizer with syncs), MAPPED (0; 1 also
# times tfjs's own mapped-buffer upload at the first batch size: ~10 s/step on the H100), TILED (1: also times the
# optional tiled matmul, --matmul tiled, at the last batch size), ADAMW_TFJS (1: also times the tf-op AdamW,
# --adamw tfjs, at the last batch size, against the default fused kernel) — these three for the first model only;
# VOCAB (unset: each shape's own vocabulary; N: --vocab-size N for Deno and PyTorch, e.g. for a dry run on a
# software adapter, whose 128 MiB bindings refuse a 50k × 768 table), FP16 (1: also times --fp16 at every batch
# size, where the adapter has shader-f16), DENO_TIMEOUT (240 s a run), RUN (the
# on-gpu wrapper; RUN="" runs the deno on PATH, for a dry run on the CPU machine), PY (python3).
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
out=${OUT:-out/gpu-bench}
mkdir -p "$out"
MODELS=${MODELS:-${MODEL:-"distilbert-base roberta-base modernbert-base"}} BATCHES=${BATCHES:-"32 64"} SEQ=${SEQ:-128}
DENO_STEPS=${DENO_STEPS:-10} DENO_WARMUP=${DENO_WARMUP:-2} TORCH_STEPS=${TORCH_STEPS:-30} TORCH_WARMUP=${TORCH_WARMUP:-5}
RUN=${RUN-bash .gpu/on-gpu.sh} PY=${PY:-python3}
SPLIT=${SPLIT:-1} MAPPED=${MAPPED:-0} TILED=${TILED:-1} ADAMW_TFJS=${ADAMW_TFJS:-1} FP16=${FP16:-1}
DENO_TIMEOUT=${DENO_TIMEOUT:-240}
need=(.gpu/js/tasks/bench_train.js)
[[ -n $RUN ]] && need+=(.gpu/on-gpu.sh .gpu/deno.xz) # a dry run (RUN="") needs the bundle only
for f in "${need[@]}"; do
  [[ -f $f ]] || { echo "missing $f: run tools/gpu/bundle.sh on the CPU machine first" >&2; exit 2; }
done
split=() vocab=()
[[ $SPLIT == 1 ]] && split=(--split-phases)
[[ -n ${VOCAB:-} ]] && vocab=(--vocab-size "$VOCAB")
(nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader || true) >"$out/gpu.txt" 2>&1
cat "$out/gpu.txt"

deno_run() { # model, batch, extra flags...
  local m=$1 b=$2
  shift 2
  echo "== deno webgpu $m B=$b ${vocab[*]} $*" >&2
  timeout "$DENO_TIMEOUT" $RUN deno run -A .gpu/js/tasks/bench_train.js --model-size "$m" "${vocab[@]}" \
    --batch-size "$b" --seq-len "$SEQ" --backend webgpu --steps "$DENO_STEPS" --warmup "$DENO_WARMUP" --json \
    --out "$out/deno.jsonl" "$@" >/dev/null 2>>"$out/deno_${m}_b$b.log" ||
    echo "deno $m B=$b $* failed or timed out (exit $?): see $out/deno_${m}_b$b.log" >&2
  tail -n 3 "$out/deno_${m}_b$b.log" >&2
}

for MODEL in $MODELS; do
  for b in $BATCHES; do
    deno_run "$MODEL" "$b" "${split[@]}"
    [[ $FP16 == 1 ]] && deno_run "$MODEL" "$b" --fp16
    echo "== pytorch $MODEL B=$b" >&2
    "$PY" tools/reference/bench_train_torch.py --model-size "$MODEL" "${vocab[@]}" --batch-size "$b" --seq-len "$SEQ" \
      --steps "$TORCH_STEPS" --warmup "$TORCH_WARMUP" --precision fp32,tf32,fp16 "${split[@]}" \
      --out "$out/torch.jsonl" 2>>"$out/torch_${MODEL}_b$b.log" ||
      echo "pytorch $MODEL B=$b failed: see $out/torch_${MODEL}_b$b.log" >&2
    tail -n 3 "$out/torch_${MODEL}_b$b.log" >&2
  done
done
MODEL=${MODELS%% *}
if [[ $TILED == 1 && -n $BATCHES ]]; then
  last=${BATCHES##* }
  deno_run "$MODEL" "$last" --matmul tiled "${split[@]}"
fi
if [[ $ADAMW_TFJS == 1 && -n $BATCHES ]]; then
  last=${BATCHES##* }
  deno_run "$MODEL" "$last" --adamw tfjs "${split[@]}"
fi
if [[ $MAPPED == 1 && -n $BATCHES ]]; then
  first=${BATCHES%% *}
  DENO_STEPS=2 DENO_WARMUP=1 deno_run "$MODEL" "$first" --upload mapped
fi

"$PY" - "$out" <<'EOF' | tee "$out/table.md"
import json, sys
out = sys.argv[1]
def rows(name):
    try:
        return [json.loads(l) for l in open(f"{out}/{name}") if l.strip()]
    except FileNotFoundError:
        return []
deno, torch = rows("deno.jsonl"), rows("torch.jsonl")
vocab = lambda r: r["shape"]["vocab_size"]
ref = {(r["model_size"], vocab(r), r["batch_size"], r["seq_len"], r["precision"]): r for r in torch}
print("| model | run | B | tokens/s | ms/step | fwd / bwd / opt ms | dispatches/step (fwd / bwd / opt) | read-backs "
      "| activations MiB | × PyTorch fp32 | × tf32 | × fp16 |")
print("|---|---|---|---|---|---|---|---|---|---|---|---|")
def phases(r):
    p = r.get("phases")
    return f"{p['forward_ms']} / {p['backward_ms']} / {p['optimizer_ms']}" if p else "-"
for r in torch + deno:
    key = (r["model_size"], vocab(r), r["batch_size"], r["seq_len"])
    name = (f"Deno tfjs webgpu {r['precision']} (upload {r.get('upload', '-')}, matmul {r.get('matmul', '-')}, "
            f"adamw {r.get('adamw', '-')})" if r["impl"] == "deno-tfjs" else f"PyTorch {r['precision']}")
    memory = r.get("memory")
    activations = f"{memory['activation_bytes'] / 2**20:.1f}" if memory else "-"
    d = r.get("dispatches")
    dispatches = f"{d['total']} ({d['forward']} / {d['backward']} / {d['optimizer']})" if d else "-"
    ratios = []
    for p in ("fp32", "tf32", "fp16"):
        t = ref.get(key + (p,))
        ratios.append(f"{r['tokens_per_s'] / t['tokens_per_s']:.4f}" if t else "-")
    print(f"| {r['model_size']} (vocab {vocab(r):,}) | {name} | {r['batch_size']} | {r['tokens_per_s']:,} | "
          f"{r['ms_per_step']} | {phases(r)} | {dispatches} | {r.get('readbacks_per_step', '-')} | {activations} | "
          + " | ".join(ratios) + " |")
adapters = sorted({r.get("adapter", "?") for r in deno + torch})
models = ", ".join(dict.fromkeys(r["model_size"] for r in deno + torch)) or "?"
print(f"\n{len(deno)} Deno and {len(torch)} PyTorch runs; models {models}, "
      f"seq {deno[0]['seq_len'] if deno else '?'}; devices: {'; '.join(adapters)}")
EOF
