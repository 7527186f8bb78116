"""PyTorch reference for `deno task bench:train`: the same training step timed the same way, on the GPU machine.

    python3 tools/reference/bench_train_torch.py --model-size distilbert-base --batch-size 64 --seq-len 128 \
        --steps 30 --warmup 5 --precision fp32,tf32,fp16 [--split-phases] [--json] [--out FILE]

`AutoModelForMaskedLM` (transformers: DistilBERT, BERT, RoBERTa, ModernBERT) with the shape table of
`lib/bench/train_bench.ts` (`config.json` fields; keep the two in sync; `--vocab-size N` overrides the vocabulary as
`bench:train --vocab-size` does),
freshly initialised, `model.train()` (dropout on), random full-length rows `[CLS] ids [SEP]` masked as HF's
`DataCollatorForLanguageModeling` does (15 % of non-special tokens; 80 % [MASK], 10 % random, 10 % kept), 4 distinct
batches cycled, already on the device. One step: forward with labels → backward → `clip_grad_norm_(1.0)` → AdamW
(lr 5e-5, weight decay 0.01 except bias/LayerNorm, torch's default implementation) → `zero_grad(set_to_none=True)`,
then `loss.item()`: one sync per step, as the Deno benchmark reads its loss after the update. The headline is the
wall time of the timed steps / steps; `--split-phases` runs the steps again with `torch.cuda.synchronize()` after
forward, backward and the optimizer. Precisions: `fp32` (TF32 off), `tf32` (TF32 matmuls and convolutions),
`fp16` (`torch.autocast(float16)` + `GradScaler`, fp32 master weights). Tokens per step are batch × seq.
Prints one JSON line per precision (stdout, `--json`) and a readable line on stderr; `--out` appends the lines.
Without CUDA it runs on the CPU (for a dry run; fp16 is then skipped).
"""
import argparse, datetime, json, statistics, sys, time

import torch
import transformers
from transformers import AutoConfig, AutoModelForMaskedLM

_ROBERTA = dict(model_type="roberta", max_position_embeddings=514, type_vocab_size=1, layer_norm_eps=1e-5,
                pad_token_id=1)
_MODERNBERT = dict(model_type="modernbert", local_attention=128, global_attn_every_n_layers=3,
                   global_rope_theta=160000, local_rope_theta=10000, max_position_embeddings=8192)
MODEL_SIZES = {  # lib/bench/train_bench.ts MODEL_SIZES
    "distilbert-base": dict(model_type="distilbert", vocab_size=30522, dim=768, n_layers=6, n_heads=12,
                            hidden_dim=3072),
    "small": dict(model_type="distilbert", vocab_size=30522, dim=256, n_layers=4, n_heads=4, hidden_dim=1024),
    "tiny": dict(model_type="distilbert", vocab_size=1000, dim=64, n_layers=2, n_heads=4, hidden_dim=256),
    "bert-base": dict(model_type="bert", vocab_size=30522, hidden_size=768, num_hidden_layers=12,
                      num_attention_heads=12, intermediate_size=3072, max_position_embeddings=512, type_vocab_size=2,
                      pad_token_id=0),
    "roberta-base": dict(_ROBERTA, vocab_size=50265, hidden_size=768, num_hidden_layers=12, num_attention_heads=12,
                         intermediate_size=3072),
    "modernbert-base": dict(_MODERNBERT, vocab_size=50368, hidden_size=768, num_hidden_layers=22,
                            num_attention_heads=12, intermediate_size=1152, pad_token_id=50283),
    "roberta-tiny": dict(_ROBERTA, vocab_size=1000, hidden_size=64, num_hidden_layers=2, num_attention_heads=4,
                         intermediate_size=256),
    "modernbert-tiny": dict(_MODERNBERT, vocab_size=1000, hidden_size=64, num_hidden_layers=3, num_attention_heads=4,
                            intermediate_size=96, local_attention=8, pad_token_id=0),
}


def model_shape(args):
    """The table's fields, with `--vocab-size` (a pad id that no longer fits becomes 0, as in train_bench.ts)."""
    shape = dict(MODEL_SIZES[args.model_size])
    if args.vocab_size is not None:
        shape["vocab_size"] = args.vocab_size
        if shape.get("pad_token_id", 0) >= args.vocab_size:
            shape["pad_token_id"] = 0
    return shape
PAD, UNK, CLS, SEP, MASK = 0, 100, 101, 102, 103


def random_batches(count, batch, seq, vocab, device, gen):
    out = []
    for _ in range(count):
        ids = torch.randint(MASK + 1, vocab, (batch, seq), generator=gen)
        ids[:, 0], ids[:, -1] = CLS, SEP
        special = (ids == CLS) | (ids == SEP)
        selected = (torch.rand(batch, seq, generator=gen) < 0.15) & ~special
        labels = torch.where(selected, ids, torch.full_like(ids, -100))
        to_mask = selected & (torch.rand(batch, seq, generator=gen) < 0.8)
        to_random = selected & ~to_mask & (torch.rand(batch, seq, generator=gen) < 0.5)
        inputs = ids.clone()
        inputs[to_mask] = MASK
        inputs[to_random] = torch.randint(0, vocab, (int(to_random.sum()),), generator=gen)
        out.append(dict(input_ids=inputs.to(device), attention_mask=torch.ones_like(ids).to(device),
                        labels=labels.to(device)))
    return out


def bench(precision, args, device):
    torch.backends.cuda.matmul.allow_tf32 = precision == "tf32"
    torch.backends.cudnn.allow_tf32 = precision == "tf32"
    torch.manual_seed(args.seed)
    shape = model_shape(args)
    fields = {k: v for k, v in shape.items() if k != "model_type"}
    defaults = AutoConfig.for_model(shape["model_type"]).to_dict()
    for k in ("bos_token_id", "eos_token_id", "cls_token_id", "sep_token_id", "mask_token_id"):  # unused here
        if isinstance(defaults.get(k), int) and defaults[k] >= shape["vocab_size"]:
            fields[k] = None
    config = AutoConfig.for_model(shape["model_type"], **fields)
    model = AutoModelForMaskedLM.from_config(config).to(device).train()
    # HF Trainer's rule: no weight decay for biases and LayerNorm parameters
    norms = {f"{m}.{n}" if m else n for m, mod in model.named_modules() if isinstance(mod, torch.nn.LayerNorm)
             for n, _ in mod.named_parameters(recurse=False)}
    no_decay = lambda n: n.endswith("bias") or n in norms
    named = [(n, p) for n, p in model.named_parameters() if p.requires_grad]
    opt = torch.optim.AdamW([{"params": [p for n, p in named if not no_decay(n)], "weight_decay": 0.01},
                             {"params": [p for n, p in named if no_decay(n)], "weight_decay": 0.0}], lr=5e-5)
    params = [p for _, p in named]
    fp16 = precision == "fp16"
    scaler = torch.amp.GradScaler("cuda", enabled=fp16)
    gen = torch.Generator().manual_seed(args.seed)
    batches = random_batches(4, args.batch_size, args.seq_len, shape["vocab_size"], device, gen)
    cuda = device.type == "cuda"
    sync = torch.cuda.synchronize if cuda else (lambda: None)

    def forward(b):
        with torch.autocast(device.type, dtype=torch.float16, enabled=fp16):
            return model(**b).loss

    def update():
        scaler.unscale_(opt)
        torch.nn.utils.clip_grad_norm_(params, args.max_grad_norm)
        scaler.step(opt)
        scaler.update()
        opt.zero_grad(set_to_none=True)

    def step(i):
        loss = forward(batches[i % len(batches)])
        scaler.scale(loss).backward()
        update()
        return loss.item()

    t0 = time.perf_counter()
    for i in range(args.warmup):
        step(i)
    sync()
    warmup_s = time.perf_counter() - t0
    times, losses = [], []
    start = time.perf_counter()
    for i in range(args.steps):
        s = time.perf_counter()
        losses.append(step(args.warmup + i))
        times.append((time.perf_counter() - s) * 1000)
    sync()
    ms = (time.perf_counter() - start) * 1000 / args.steps
    phases = None
    if args.split_phases:
        f, bw, o = [], [], []
        for i in range(args.steps):
            b = batches[(args.warmup + args.steps + i) % len(batches)]
            sync(); a = time.perf_counter()
            loss = forward(b); sync(); c = time.perf_counter()
            scaler.scale(loss).backward(); sync(); d = time.perf_counter()
            update(); sync(); e = time.perf_counter()
            f.append(c - a); bw.append(d - c); o.append(e - d)
        mean_ms = lambda xs: round(1000 * sum(xs) / len(xs), 2)
        phases = dict(forward_ms=mean_ms(f), backward_ms=mean_ms(bw), optimizer_ms=mean_ms(o))
    result = dict(
        bench="train", impl="pytorch", model_size=args.model_size, shape=shape,
        params=model.num_parameters(), batch_size=args.batch_size, seq_len=args.seq_len,
        backend=device.type, adapter=torch.cuda.get_device_name() if cuda else "cpu", precision=precision,
        steps=args.steps, warmup=args.warmup, ms_per_step=round(ms, 2),
        ms_per_step_median=round(statistics.median(times), 2),
        tokens_per_s=round(args.batch_size * args.seq_len / (ms / 1000)),
        loss_first=round(losses[0], 4), loss_last=round(losses[-1], 4), warmup_s=round(warmup_s, 2),
        max_grad_norm=args.max_grad_norm, torch=torch.__version__, transformers=transformers.__version__,
        peak_mem_gib=round(torch.cuda.max_memory_allocated() / 2**30, 2) if cuda else None,
        date=datetime.datetime.now(datetime.timezone.utc).isoformat(),
    )
    if phases:
        result["phases"] = phases
    del model, opt, batches
    if cuda:
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats()
    return result


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--model-size", default="distilbert-base", choices=sorted(MODEL_SIZES))
    p.add_argument("--vocab-size", type=int, default=None, help="vocabulary size instead of the shape's")
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--seq-len", type=int, default=128)
    p.add_argument("--steps", type=int, default=30)
    p.add_argument("--warmup", type=int, default=5)
    p.add_argument("--precision", default="fp32,tf32,fp16", help="comma-separated: fp32, tf32, fp16")
    p.add_argument("--max-grad-norm", type=float, default=1.0)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--split-phases", action="store_true")
    p.add_argument("--json", action="store_true")
    p.add_argument("--out")
    args = p.parse_args()
    precisions = [x.strip() for x in args.precision.split(",") if x.strip()]
    for x in precisions:
        if x not in ("fp32", "tf32", "fp16"):
            p.error(f"--precision: unknown {x!r}; expected fp32, tf32, fp16")
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device.type == "cpu":
        print("no CUDA: running on the CPU (dry run), fp16 skipped", file=sys.stderr)
        precisions = [x for x in precisions if x != "fp16"]
    for precision in precisions:
        try:
            r = bench(precision, args, device)
        except torch.cuda.OutOfMemoryError as e:  # report and go on with the next precision
            print(f"{precision}: out of memory ({e})", file=sys.stderr)
            torch.cuda.empty_cache()
            continue
        line = json.dumps(r)
        if args.json:
            print(line, flush=True)
        ph = r.get("phases")
        print(f"pytorch {precision} {args.model_size} B={args.batch_size} seq={args.seq_len}: "
              f"{r['tokens_per_s']:,} tokens/s, {r['ms_per_step']} ms/step"
              + (f" (fwd {ph['forward_ms']} / bwd {ph['backward_ms']} / opt {ph['optimizer_ms']} ms)" if ph else ""),
              file=sys.stderr, flush=True)
        if args.out:
            with open(args.out, "a") as f:
                f.write(line + "\n")


if __name__ == "__main__":
    main()
