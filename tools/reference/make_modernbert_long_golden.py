"""A tiny random ModernBERT at its full context (8,192 tokens), with PyTorch's outputs, for
tests/model/modernbert_long_test.ts.

Run from the project root with the pinned reference stack (tools/reference/requirements.txt):
    tools/reference/.venv/bin/python tools/reference/make_modernbert_long_golden.py [fixtures/reference [SEQ]]

SEQ (default 2048) is the batch length; the model's context is 8,192 positions whatever SEQ is. The committed fixture
uses 2048: the Deno cpu backend builds the full [seq, seq] attention scores and takes minutes at 4096 and more.

Writes DIR/tiny-modernbert-long/ with:
  config.json, model.safetensors   ModernBertForMaskedLM (torch.manual_seed(0)) as save_pretrained writes it: hidden 16,
                   2 heads, intermediate 24, 3 layers (global_attn_every_n_layers 3: layer 0 global, layers 1-2
                   sliding-window), local_attention 128 (keys at most 64 positions away), vocab 100,
                   max_position_embeddings 8192, dropout 0, initializer_range 0.3 (weights large enough that attention
                   is sharp, so a wrong window or rotary position shows in the logits)
  goldens.safetensors   one [1, SEQ] batch: input_ids (random, `[CLS]` first, `[SEP]` last real), attention_mask
                   (the last PAD positions padding), labels (15 % of the real tokens, their own ids, else -100);
                   positions [256] (evenly spread over the real tokens, from the first to the last real one), logits
                   [256, vocab] at those positions, loss, grad.<param> for the token embeddings and the Wqkv of
                   layer 0 (global) and layer 1 (sliding window) (eval mode, float32, CPU)

Attention: "sdpa", which runs transformers 5.25's padded path with the same 4-D mask as "eager" (padding, and
|query - key| <= local_attention // 2 on sliding layers) in far less memory at 8k; the script prints how far "eager" is
from it at the sampled positions.
"""
import os, sys
import torch
import transformers
from safetensors.torch import save_file
from transformers import ModernBertConfig, ModernBertForMaskedLM

SEQ, PAD, VOCAB, SAMPLES = 2048, 100, 100, 256
SPECIAL = dict(pad_token_id=0, cls_token_id=1, bos_token_id=1, sep_token_id=2, eos_token_id=2)
FIRST_WORD = 5  # ids below this are special tokens
GRADS = ["model.embeddings.tok_embeddings.weight", "model.layers.0.attn.Wqkv.weight", "model.layers.1.attn.Wqkv.weight"]
CONFIG = dict(vocab_size=VOCAB, hidden_size=16, intermediate_size=24, num_hidden_layers=3, num_attention_heads=2,
              global_attn_every_n_layers=3, local_attention=128, max_position_embeddings=8192, initializer_range=0.3,
              **SPECIAL)


def batch(seq):
    gen = torch.Generator().manual_seed(1)
    real = seq - PAD
    ids = torch.randint(FIRST_WORD, VOCAB, (1, seq), generator=gen)
    ids[0, 0], ids[0, real - 1], ids[0, real:] = SPECIAL["cls_token_id"], SPECIAL["sep_token_id"], SPECIAL["pad_token_id"]
    mask = torch.zeros(1, seq, dtype=torch.long)
    mask[0, :real] = 1
    labels = torch.full((1, seq), -100)
    pick = (torch.rand((1, seq), generator=gen) < 0.15) & (ids >= FIRST_WORD)
    labels[pick] = ids[pick]
    positions = torch.linspace(0, real - 1, SAMPLES).round().long()
    return ids, mask, labels, positions


def make(out, seq):
    d = os.path.join(out, "tiny-modernbert-long")
    ids, mask, labels, positions = batch(seq)
    torch.manual_seed(0)
    model = ModernBertForMaskedLM(ModernBertConfig(**CONFIG, attn_implementation="sdpa")).eval()
    model.save_pretrained(d)
    res = model(input_ids=ids, attention_mask=mask, labels=labels)
    res.loss.backward()
    params = dict(model.named_parameters())
    logits = res.logits[0, positions].detach().contiguous()
    g = {"input_ids": ids.int(), "attention_mask": mask.int(), "labels": labels.int(), "positions": positions.int(),
         "logits": logits, "loss": res.loss.detach().reshape(1),
         **{"grad." + n: params[n].grad.detach().clone().contiguous() for n in GRADS}}
    save_file(g, os.path.join(d, "goldens.safetensors"),
              metadata={"note": "eval mode, float32, CPU, attn_implementation sdpa; logits at `positions` only",
                        "transformers": transformers.__version__, "torch": torch.__version__})
    eager = ModernBertForMaskedLM.from_pretrained(d, attn_implementation="eager").eval()
    with torch.no_grad():
        diff = (eager(input_ids=ids, attention_mask=mask).logits[0, positions] - logits).abs().max().item()
    print(f"tiny-modernbert-long: params {model.num_parameters()}, layer types {model.config.layer_types}, "
          f"{int(mask.sum())} real of {seq}, {int((labels != -100).sum())} labels, loss {res.loss.item():.6f}, "
          f"eager vs sdpa at the sampled positions {diff:.2e}")


if __name__ == "__main__":
    torch.use_deterministic_algorithms(True)
    make(sys.argv[1] if len(sys.argv) > 1 else "fixtures/reference", int(sys.argv[2]) if len(sys.argv) > 2 else SEQ)
