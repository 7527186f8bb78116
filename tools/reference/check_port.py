"""Hold `hf_port.py` (HF DistilBERT/BERT in plain PyTorch) to the goldens real transformers made.

    python3 tools/reference/check_port.py [../shared/goldens]

For tiny-distilbert and tiny-bert: logits, loss, every gradient and the three AdamW + linear-schedule + clipping steps
of `../shared/goldens/make_goldens.py`; for the two classifiers: logits and loss. Prints the worst differences and
exits 1 when logits/loss differ by more than 1e-5 relative, a gradient by more than 1e-4 of its largest magnitude (or of 1e-6, for all-but-zero ones), or
a parameter after the AdamW steps by more than 1e-5.
"""
import os, sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from hf_port import get_linear_schedule_with_warmup, load_file, load_model  # noqa: E402

root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "../../../shared/goldens")
torch.use_deterministic_algorithms(True)
failed = []


def rel(a, b, floor=1e-30):
    """Largest difference relative to the reference's largest magnitude (at least `floor`)."""
    return ((a - b).abs().max() / b.abs().max().clamp_min(floor)).item()


def check(label, value, limit):
    ok = value <= limit
    print(f"  {label:<28} {value:.2e}  (limit {limit:.0e}){'' if ok else '  FAIL'}")
    if not ok:
        failed.append(label)


def no_decay(name):
    return name.endswith(".bias") or "LayerNorm" in name or "layer_norm" in name


def batch(g):
    return g["input_ids"].long(), g["attention_mask"].long(), g["labels"].long()


for name in ("tiny-distilbert", "tiny-bert", "tiny-distilbert-cls", "tiny-bert-cls"):
    folder = os.path.join(root, name)
    g = load_file(os.path.join(folder, "goldens.safetensors"))
    model = load_model(folder).eval()
    ids, mask, labels = batch(g)
    print(name)
    res = model(input_ids=ids, attention_mask=mask, labels=labels)
    check("logits (rel. to max)", rel(res.logits.detach(), g["logits"]), 1e-5)
    check("loss (rel)", rel(res.loss.detach().reshape(1), g["loss"]), 1e-5)
    if name.endswith("-cls"):
        continue
    res.loss.backward()
    worst = max(rel(p.grad, g["grad." + n], 1e-6) for n, p in model.named_parameters())
    check("every gradient (rel. to max)", worst, 1e-4)
    missing = [n for n, _ in model.named_parameters() if "grad." + n not in g]
    extra = [k for k in g if k.startswith("grad.") and k[5:] not in dict(model.named_parameters())]
    if missing or extra:
        failed.append(f"{name}: parameter names differ: missing {missing} extra {extra}")
    model.zero_grad(set_to_none=True)
    params = list(model.named_parameters())
    opt = torch.optim.AdamW([{"params": [p for n, p in params if not no_decay(n)], "weight_decay": 0.01},
                             {"params": [p for n, p in params if no_decay(n)], "weight_decay": 0.0}],
                            lr=1e-3, betas=(0.9, 0.999), eps=1e-8)
    sched = get_linear_schedule_with_warmup(opt, 1, 5)
    losses, lrs = [], []
    for _ in range(3):
        loss = model(input_ids=ids, attention_mask=mask, labels=labels).loss
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        lrs.append(opt.param_groups[0]["lr"])
        opt.step(); sched.step(); opt.zero_grad(set_to_none=True)
        losses.append(loss.item())
    check("AdamW step losses (rel)", rel(torch.tensor(losses), g["adamw.loss"]), 1e-5)
    check("AdamW step lrs (rel)", rel(torch.tensor(lrs), g["adamw.lr"].double()), 1e-7)
    worst = max((p.detach() - g["adamw.param." + n]).abs().max().item() for n, p in model.named_parameters())
    check("params after 3 steps (abs)", worst, 1e-5)

print("torch", torch.__version__, "—", "FAILED: " + ", ".join(failed) if failed else "all within limits")
sys.exit(1 if failed else 0)
