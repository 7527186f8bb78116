"""50 AdamW steps of the tiny ModernBERT in PyTorch (transformers 5.25), for tests/model/modernbert_steps_test.ts.

Run from the project root with the pinned reference stack (tools/reference/requirements.txt):
    tools/reference/.venv/bin/python tools/reference/train_modernbert_reference.py [OUT]
(default OUT: fixtures/reference/modernbert_50_steps.safetensors)

Starts from fixtures/reference/tiny-modernbert (made by make_modernbert_goldens.py) and trains on its own batches,
stored in OUT so that the Deno side trains on exactly the same ones:
  batches   the demo movie reviews (fixtures/demo/corpus) tokenized with the fixture's tokenizer, `[CLS] … [SEP]` per
            review, concatenated and cut into 40-token chunks (longer than the 16-token window); 8 rows a step, rows
            4-7 cut short and right-padded (lengths 40 - 5·(row - 3)) so the padded path is trained too; 15 % of the
            real non-special tokens labelled, 80 % of those [MASK], 10 % a random id, 10 % kept (torch generator 1234)
  training  eval mode (no dropout), torch.optim.AdamW lr 1e-3, betas (0.9, 0.999), eps 1e-8, weight decay 0.01 for
            the parameters Trainer.get_decay_parameter_names picks (none for biases and LayerNorms), linear schedule
            with 5 warm-up steps of 50, clip_grad_norm_ 1.0
Writes: step.input_ids / step.attention_mask / step.labels [50, 8, 40] int32, loss [50] (each step's loss before its
update), lr [50], param.<name> (every parameter after the 50 steps), and metadata (settings, versions).
"""
import json, os, sys
import torch
import transformers
from safetensors.torch import save_file
from transformers import ModernBertForMaskedLM, PreTrainedTokenizerFast, Trainer, get_linear_schedule_with_warmup

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MODEL = os.path.join(ROOT, "fixtures", "reference", "tiny-modernbert")
CORPUS = os.path.join(ROOT, "fixtures", "demo", "corpus", "movie_reviews.jsonl")
ARGS = {"lr": 1e-3, "weight_decay": 0.01, "warmup_steps": 5, "total_steps": 50, "max_grad_norm": 1.0,
        "betas": [0.9, 0.999], "eps": 1e-8, "batch_size": 8, "seq": 40, "mlm_probability": 0.15, "seed": 1234}


def batches(tok):
    ids = []
    with open(CORPUS) as f:
        for line in f:
            ids += tok(json.loads(line)["text"])["input_ids"]
    seq, n = ARGS["seq"], ARGS["batch_size"]
    chunks = [ids[i:i + seq] for i in range(0, len(ids) - seq + 1, seq)]
    special = set(tok.all_special_ids)
    gen = torch.Generator().manual_seed(ARGS["seed"])
    out = {"input_ids": [], "attention_mask": [], "labels": []}
    for step in range(ARGS["total_steps"]):
        rows = torch.tensor([chunks[(step * n + r) % len(chunks)] for r in range(n)])
        mask = torch.ones_like(rows)
        for r in range(4, n):
            mask[r, seq - 5 * (r - 3):] = 0
        rows[mask == 0] = tok.pad_token_id
        labels = rows.clone()
        real = (mask == 1) & ~torch.isin(rows, torch.tensor(sorted(special)))
        picked = (torch.rand(rows.shape, generator=gen) < ARGS["mlm_probability"]) & real
        labels[~picked] = -100
        u = torch.rand(rows.shape, generator=gen)
        inputs = rows.clone()
        inputs[picked & (u < 0.8)] = tok.mask_token_id
        rand = picked & (u >= 0.8) & (u < 0.9)
        inputs[rand] = torch.randint(0, len(tok) - len(special), rows.shape, generator=gen)[rand]
        for k, v in (("input_ids", inputs), ("attention_mask", mask), ("labels", labels)):
            out[k].append(v)
    return {k: torch.stack(v) for k, v in out.items()}


def main(out):
    torch.manual_seed(0)
    torch.use_deterministic_algorithms(True)
    tok = PreTrainedTokenizerFast.from_pretrained(MODEL)
    data = batches(tok)
    model = ModernBertForMaskedLM.from_pretrained(MODEL, attn_implementation="eager").float().eval()
    decay = set(Trainer.get_decay_parameter_names(None, model))
    params = list(model.named_parameters())
    opt = torch.optim.AdamW([{"params": [p for n, p in params if n in decay], "weight_decay": ARGS["weight_decay"]},
                             {"params": [p for n, p in params if n not in decay], "weight_decay": 0.0}],
                            lr=ARGS["lr"], betas=tuple(ARGS["betas"]), eps=ARGS["eps"])
    sched = get_linear_schedule_with_warmup(opt, ARGS["warmup_steps"], ARGS["total_steps"])
    losses, lrs = [], []
    for step in range(ARGS["total_steps"]):
        lrs.append(opt.param_groups[0]["lr"])
        loss = model(**{k: v[step].long() for k, v in data.items()}).loss
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), ARGS["max_grad_norm"])
        opt.step(); sched.step(); opt.zero_grad(set_to_none=True)
        losses.append(loss.item())
    tensors = {f"step.{k}": v.int().contiguous() for k, v in data.items()}
    tensors["loss"] = torch.tensor(losses, dtype=torch.float32)
    tensors["lr"] = torch.tensor(lrs, dtype=torch.float32)
    for n, p in model.named_parameters():
        tensors[f"param.{n}"] = p.detach().clone().contiguous()
    save_file(tensors, out, metadata={"args": json.dumps(ARGS, sort_keys=True), "decay": json.dumps(sorted(decay)),
                                      "transformers": transformers.__version__, "torch": torch.__version__,
                                      "made_by": "tools/reference/train_modernbert_reference.py"})
    print(f"losses {losses[0]:.4f} → {losses[-1]:.4f}; no decay: {sorted(n for n, _ in params if n not in decay)}")
    print(f"wrote {out}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "fixtures", "reference", "modernbert_50_steps.safetensors"))
