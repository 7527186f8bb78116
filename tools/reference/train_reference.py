"""Train the same tiny model in PyTorch with the same initial weights, batches and masks, and compare with ours.

Inputs come from `deno run ... tools/reference/export_train_reference.ts OUT_DIR` (see its docstring for the files).
    python3 tools/reference/train_reference.py OUT_DIR
Eval mode (no dropout), AdamW (no decay for bias/LayerNorm, as HF Trainer), linear schedule with warm-up,
clip_grad_norm_; prints per-step losses and the worst relative loss / absolute weight difference; exits 1 when the
losses differ by more than 1e-3 relative or a weight by more than 1e-3.
"""
import json, sys
import torch
from safetensors.torch import load_file
from transformers import AutoModelForMaskedLM, get_linear_schedule_with_warmup

out = sys.argv[1]
args = json.load(open(f"{out}/args.json"))
batches = load_file(f"{out}/batches.safetensors")
ours = load_file(f"{out}/ours.safetensors")
torch.manual_seed(0)
model = AutoModelForMaskedLM.from_pretrained(f"{out}/initial").float().eval()
no_decay = lambda n: "bias" in n or "LayerNorm" in n or "layer_norm" in n
params = list(model.named_parameters())
opt = torch.optim.AdamW([{"params": [p for n, p in params if not no_decay(n)], "weight_decay": args["weight_decay"]},
                         {"params": [p for n, p in params if no_decay(n)], "weight_decay": 0.0}],
                        lr=args["lr"], betas=tuple(args["betas"]), eps=args["eps"])
sched = get_linear_schedule_with_warmup(opt, args["warmup_steps"], args["total_steps"])
worst_loss = 0.0
for step in range(args["total_steps"]):
    b = {f: batches[f"step.{step}.{f}"].long() for f in ("input_ids", "attention_mask", "labels")}
    loss = model(**b).loss
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), args["max_grad_norm"])
    opt.step(); sched.step(); opt.zero_grad(set_to_none=True)
    rel = abs(loss.item() - ours["loss"][step].item()) / abs(loss.item())
    worst_loss = max(worst_loss, rel)
    print(f"step {step + 1:2d}: torch {loss.item():.6f}  ours {ours['loss'][step].item():.6f}  rel {rel:.2e}")
worst_w, worst_name = 0.0, ""
for n, p in model.named_parameters():
    d = (p.detach() - ours[f"param.{n}"]).abs().max().item()
    if d > worst_w:
        worst_w, worst_name = d, n
print(f"worst loss rel diff {worst_loss:.2e}; worst weight abs diff {worst_w:.2e} ({worst_name})")
sys.exit(0 if worst_loss <= 1e-3 and worst_w <= 1e-3 else 1)
