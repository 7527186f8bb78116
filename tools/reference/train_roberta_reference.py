"""PyTorch's side of the RoBERTa 50-step run: the random tiny RobertaForMaskedLM of make_roberta_goldens.py (loaded
with transformers from the folder export_roberta_run.ts wrote), the same 50 batches, torch.optim.AdamW (no decay for
biases and LayerNorms, as HF Trainer), HF's linear schedule with warm-up, clip_grad_norm_, eval mode.

    deno run --allow-read --allow-write --allow-env tools/reference/export_roberta_run.ts /tmp/roberta50
    tools/reference/.venv/bin/python tools/reference/train_roberta_reference.py /tmp/roberta50 \
        fixtures/reference/roberta_50_steps.safetensors

Writes `loss` and `lr` per step and the trained weights: `param.<name>` for every tensor under 200,000 elements, and
for the word embeddings (50,265 × 16) the rows at 256 seeded ids plus every id of the batches (`param_rows.<name>`,
ids in `rows`), the column sums and the sum of squares over all rows. Metadata: the batches' digest and the settings.
"""
import json, os, sys

import torch
import transformers
from safetensors.torch import load_file, save_file
from transformers import AutoModelForMaskedLM, get_linear_schedule_with_warmup

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mlm_steps  # noqa: E402

out, fixture = sys.argv[1], sys.argv[2]
args = json.load(open(f"{out}/args.json"))
batches = load_file(f"{out}/batches.safetensors")
torch.manual_seed(0)
torch.use_deterministic_algorithms(True)
model = AutoModelForMaskedLM.from_pretrained(f"{out}/initial", attn_implementation="eager").float().eval()
steps = mlm_steps.load_steps(batches, args["total_steps"])
losses, lrs = mlm_steps.train(model, steps, args, get_linear_schedule_with_warmup)
print(f"losses {losses[0]:.4f} -> {losses[-1]:.4f}", file=sys.stderr)
vocab = model.config.vocab_size
used = torch.cat([b["input_ids"].flatten() for b in steps])
rows = torch.unique(torch.cat([used, torch.randint(0, vocab, (256,), generator=torch.Generator().manual_seed(5))]))
tensors = {"loss": torch.tensor(losses, dtype=torch.float32), "lr": torch.tensor(lrs, dtype=torch.float32),
           "rows": rows.int()}
for n, p in model.named_parameters():
    p = p.detach()
    if p.numel() < 200_000:
        tensors[f"param.{n}"] = p.clone().contiguous()
    else:
        tensors[f"param_rows.{n}"] = p[rows].contiguous()
        tensors[f"param_sum.{n}"] = p.double().sum(0).float()
        tensors[f"param_sq.{n}"] = (p.double() ** 2).sum().float().reshape(1)
save_file(tensors, fixture, metadata={"digest": args["digest"], "args": json.dumps(args, sort_keys=True),
                                      "implementation": f"transformers {transformers.__version__}",
                                      "torch": torch.__version__,
                                      "made_by": "tools/reference/train_roberta_reference.py"})
print(f"wrote {fixture}", file=sys.stderr)
