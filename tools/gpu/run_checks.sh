#!/usr/bin/env bash
# On the GPU machine (after tools/gpu/bundle.sh on the CPU machine; device tool: carry [".gpu"]), from the repo root:
#   bash tools/gpu/run_checks.sh
# The PyTorch references with `transformers` itself (the CPU machines only have hf_port.py) and the full-size model on
# WebGPU. Everything it writes that belongs in the project lands in $OUT, to be copied into fixtures/reference/:
#   train_50_steps.safetensors     50 PyTorch steps on the batches our WebGPU run used (tests/train/reference_steps_test.ts)
#   classifier_step.safetensors    one classifier step (tests/classify/step_parity_test.ts)
#   reference/tiny-distilbert, reference/tiny-bert   tiny models with HF tokenizer + fill-mask goldens (parity_test.ts)
# and logs: our 50 steps vs PyTorch's, distilbert-base logits on WebGPU vs PyTorch, our checkpoint back in PyTorch, and
# the peak GPU memory of ModernBERT-base's forward + backward on long chunks, float32 and --fp16 (docs/modernbert.md
# extrapolates ≈ 29 / ≈ 19 GB at 4,096 tokens, ≈ 95 / ≈ 58 GB at 8,192; an H100's 80 GB holds only the fp16 one).
# Knobs: RUN (the on-gpu wrapper; RUN="" for a dry run with the deno on PATH), PY (python3), STEP_TIMEOUT (300 s),
# MB_SEQS ("4096 8192"), MB_ARGS ("": ModernBERT-base's 22 layers and 50,368 tokens; e.g. "--layers 1 --vocab 4096").
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
out=${OUT:-out/gpu-checks}
mkdir -p "$out"
RUN=${RUN-bash .gpu/on-gpu.sh}
PY=${PY:-python3}
STEP_TIMEOUT=${STEP_TIMEOUT:-300}
failed=()
step() { # name, command...
  local name=$1
  shift
  echo "== $name: $*" | tee -a "$out/commands.txt"
  timeout "$STEP_TIMEOUT" "$@" >"$out/$name.log" 2>&1
  local rc=$?
  tail -n 6 "$out/$name.log"
  echo "($name exit $rc)"
  ((rc == 0)) || failed+=("$name")
}
"$PY" -c "import torch, transformers; print('torch', torch.__version__, 'transformers', transformers.__version__)" \
  >"$out/versions.txt" 2>&1
cat "$out/versions.txt"
step export $RUN deno run -A .gpu/js/tools/reference/export_train_reference.js /tmp/ref50 webgpu
step train_reference "$PY" tools/reference/train_reference.py /tmp/ref50 "$out/train_50_steps.safetensors"
step classifier_step "$PY" tools/reference/make_classifier_goldens.py "$out/classifier_step.safetensors"
step full_torch "$PY" tools/reference/make_model_goldens.py full /tmp/full
step full_webgpu $RUN deno run -A .gpu/js/tools/reference/check_full_model.js /tmp/full --backend webgpu
step full_compare "$PY" tools/reference/make_model_goldens.py compare /tmp/full
for seq in ${MB_SEQS:-4096 8192}; do
  for precision in fp32 fp16; do
    flag=""
    [[ $precision == fp16 ]] && flag="--fp16"
    # shellcheck disable=SC2086
    step "modernbert_memory_${seq}_$precision" $RUN deno run -A .gpu/js/tools/modernbert_memory.js --seq "$seq" \
      ${MB_ARGS:-} $flag
  done
done
if "$PY" -c "import transformers, tokenizers" 2>/dev/null; then
  step tiny "$PY" tools/reference/make_model_goldens.py tiny "$out/reference"
fi
echo "logs and fixtures in $out; failed: ${failed[*]:-none}"
((${#failed[@]} == 0))
