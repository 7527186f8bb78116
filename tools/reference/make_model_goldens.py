"""PyTorch reference checkpoints and outputs for this project's model tests (needs torch, transformers, tokenizers,
safetensors: the GPU machine has them; the dev machines do not — there `full` and `compare` fall back to
hf_port.py, HF's modules in plain PyTorch, which Debian's python3-torch runs).

From the project root:
  python3 tools/reference/make_model_goldens.py tiny fixtures/reference
      Writes tiny-distilbert/ and tiny-bert/: random DistilBertForMaskedLM / BertForMaskedLM (torch seed 0, vocab =
      a WordPiece tokenizer trained with HF `tokenizers` on CORPUS), each with config.json, model.safetensors, the
      tokenizer files, goldens.safetensors (input_ids, attention_mask, labels, logits, loss, grad.<param>; eval mode,
      float32, CPU) and fill_mask.json (HF pipeline("fill-mask") output for FILL_TEXTS, top_k 5).
      tests/model/parity_test.ts checks every goldens.safetensors it finds there.
  python3 tools/reference/make_model_goldens.py full DIR
      DIR/torch/: a distilbert-base-uncased-shaped DistilBertForMaskedLM, random weights (seed 0), saved with
      save_pretrained + goldens.safetensors (input_ids, attention_mask, logits of a padded 2x128 batch).
  python3 tools/reference/make_model_goldens.py compare DIR
      Loads DIR/ours/ (saved by tools/reference/check_full_model.ts) in PyTorch; prints the max abs difference of
      its logits from DIR/ours_logits.safetensors (ours) and from DIR/torch's; exits 1 above 1e-3.

The full-size check on the GPU machine is part of tools/gpu/run_checks.sh (after tools/gpu/bundle.sh on the CPU
machine), which runs:
  python3 tools/reference/make_model_goldens.py full /tmp/full && \
    bash .gpu/on-gpu.sh deno run -A .gpu/js/tools/reference/check_full_model.js /tmp/full --backend webgpu && \
    python3 tools/reference/make_model_goldens.py compare /tmp/full
"""
import json, os, sys
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hf_port  # noqa: E402

try:
    from safetensors.torch import load_file, save_file
    from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers
    from transformers import (BertConfig, BertForMaskedLM, DistilBertConfig, DistilBertForMaskedLM,
                              PreTrainedTokenizerFast, pipeline)
    HAVE_HF = True
except ImportError:  # `full` and `compare` fall back to hf_port.py (plain PyTorch); `tiny` needs transformers
    load_file, save_file, HAVE_HF = hf_port.load_file, hf_port.save_file, False
# distilbert-base-uncased's config.json (transformers' DistilBertConfig() defaults)
DISTILBERT_BASE = {"architectures": ["DistilBertForMaskedLM"], "model_type": "distilbert", "vocab_size": 30522,
                   "dim": 768, "n_layers": 6, "n_heads": 12, "hidden_dim": 3072, "max_position_embeddings": 512,
                   "activation": "gelu", "dropout": 0.1, "attention_dropout": 0.1, "qa_dropout": 0.1,
                   "seq_classif_dropout": 0.2, "initializer_range": 0.02, "pad_token_id": 0,
                   "sinusoidal_pos_embds": False, "tie_word_embeddings": True}

CORPUS = ["This movie was a great film with a wonderful cast.", "The plot is slow but the acting is good.",
          "I did not like the ending of this movie at all.", "What a terrible waste of time and money!",
          "The cat sat on the mat and watched the film.", "Great music, great story, great fun."] * 20
FILL_TEXTS = ["This is a great [MASK].", "The [MASK] sat on the [MASK]."]
SPECIALS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]


def wordpiece_tokenizer():
    tok = Tokenizer(models.WordPiece(unk_token="[UNK]"))
    tok.normalizer = normalizers.BertNormalizer(lowercase=True)
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tok.train_from_iterator(CORPUS, trainers.WordPieceTrainer(vocab_size=200, special_tokens=SPECIALS))
    tok.post_processor = processors.BertProcessing(("[SEP]", tok.token_to_id("[SEP]")), ("[CLS]", tok.token_to_id("[CLS]")))
    tok.decoder = decoders.WordPiece(prefix="##")
    return PreTrainedTokenizerFast(tokenizer_object=tok, unk_token="[UNK]", pad_token="[PAD]", cls_token="[CLS]",
                                   sep_token="[SEP]", mask_token="[MASK]", model_max_length=64)


def tiny(out):
    fast = wordpiece_tokenizer()
    vocab = len(fast)
    configs = {
        "tiny-distilbert": (DistilBertForMaskedLM,
                            DistilBertConfig(vocab_size=vocab, dim=32, n_layers=2, n_heads=4, hidden_dim=64,
                                             max_position_embeddings=64)),
        "tiny-bert": (BertForMaskedLM,
                      BertConfig(vocab_size=vocab, hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
                                 intermediate_size=64, max_position_embeddings=64)),
    }
    for name, (cls, cfg) in configs.items():
        d = os.path.join(out, name)
        torch.manual_seed(0)
        model = cls(cfg).eval()
        model.save_pretrained(d, safe_serialization=True)
        fast.save_pretrained(d)
        enc = fast(CORPUS[:3], padding=True, return_tensors="pt")
        gen = torch.Generator().manual_seed(1)
        labels = torch.full(enc["input_ids"].shape, -100)
        pick = (torch.rand(labels.shape, generator=gen) < 0.3) & (enc["attention_mask"] == 1)
        labels[pick] = torch.randint(5, vocab, (int(pick.sum()),), generator=gen)
        res = model(input_ids=enc["input_ids"], attention_mask=enc["attention_mask"], labels=labels)
        res.loss.backward()
        g = {"input_ids": enc["input_ids"].int(), "attention_mask": enc["attention_mask"].int(), "labels": labels.int(),
             "logits": res.logits.detach().contiguous(), "loss": res.loss.detach().reshape(1)}
        for n, p in model.named_parameters():
            g["grad." + n] = p.grad.detach().clone().contiguous()
        save_file(g, os.path.join(d, "goldens.safetensors"), metadata={"note": "eval mode, float32, CPU"})
        fm = pipeline("fill-mask", model=model, tokenizer=fast, device=-1)
        with open(os.path.join(d, "fill_mask.json"), "w") as f:
            json.dump({"texts": FILL_TEXTS, "top_k": 5, "outputs": [fm(t, top_k=5) for t in FILL_TEXTS]}, f, indent=1)
        print(name, "vocab", vocab, "params", model.num_parameters(), "loss", res.loss.item())


def batch(vocab, lengths, seq=128):
    gen = torch.Generator().manual_seed(2)
    ids = torch.randint(5, vocab, (len(lengths), seq), generator=gen)
    mask = torch.zeros(len(lengths), seq, dtype=torch.long)
    for r, n in enumerate(lengths):
        ids[r, 0], ids[r, n - 1] = 101, 102
        mask[r, :n] = 1
        ids[r, n:] = 0
    return ids, mask


def full(out):
    torch.manual_seed(0)
    d = os.path.join(out, "torch")
    if HAVE_HF:
        model = DistilBertForMaskedLM(DistilBertConfig()).eval()
        model.save_pretrained(d, safe_serialization=True)
    else:
        model = hf_port.init_weights(hf_port.DistilBertForMaskedLM(DISTILBERT_BASE), 0.02).eval()
        os.makedirs(d, exist_ok=True)
        json.dump(DISTILBERT_BASE, open(os.path.join(d, "config.json"), "w"), indent=2)
        hf_port.save_file({n: p for n, p in model.named_parameters()}, os.path.join(d, "model.safetensors"),
                          metadata={"format": "pt"})
    ids, mask = batch(DISTILBERT_BASE["vocab_size"], [128, 77])
    with torch.no_grad():
        logits = model(input_ids=ids, attention_mask=mask).logits
    save_file({"input_ids": ids.int(), "attention_mask": mask.int(), "logits": logits.contiguous()},
              os.path.join(d, "goldens.safetensors"))
    print("full: params", sum(p.numel() for p in model.parameters()), "saved to", d,
          "" if HAVE_HF else "(hf_port.py: transformers not installed)")


def compare(out):
    g = load_file(os.path.join(out, "torch", "goldens.safetensors"))
    ours = load_file(os.path.join(out, "ours_logits.safetensors"))["logits"]
    load = (lambda d: DistilBertForMaskedLM.from_pretrained(d)) if HAVE_HF else hf_port.load_model
    model = load(os.path.join(out, "ours")).eval()
    with torch.no_grad():
        logits = model(input_ids=g["input_ids"].long(), attention_mask=g["attention_mask"].long()).logits
    d_ours = (logits - ours).abs().max().item()
    d_torch = (logits - g["logits"]).abs().max().item()
    print(f"PyTorch on our checkpoint vs our logits: max abs {d_ours:.3e}; vs PyTorch on its own: {d_torch:.3e}")
    sys.exit(0 if max(d_ours, d_torch) <= 1e-3 else 1)


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] not in ("tiny", "full", "compare"):
        sys.exit(__doc__)
    torch.use_deterministic_algorithms(True)
    {"tiny": tiny, "full": full, "compare": compare}[sys.argv[1]](sys.argv[2])
