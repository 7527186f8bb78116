"""Tiny random ModernBERT checkpoints saved by transformers, with PyTorch's outputs, for tests/model/modernbert_test.ts.

Run from the project root with the pinned reference stack (tools/reference/requirements.txt):
    tools/reference/.venv/bin/python tools/reference/make_modernbert_goldens.py [fixtures/reference]

Writes, for each variant below, DIR/<variant>/ with:
  config.json, model.safetensors   ModernBertForMaskedLM (torch.manual_seed(0)) as save_pretrained writes them
  tokenizer.json, tokenizer_config.json   a byte-level BPE in ModernBERT's shape (`[CLS] $A [SEP]` template, `[UNK]`
                   `[CLS]` `[SEP]` `[PAD]` `[MASK]` after the BPE vocabulary, `[MASK]` with lstrip), trained with HF
                   `tokenizers` on CORPUS: the real ModernBERT tokenizer.json is not available offline
  goldens.safetensors   input_ids, attention_mask, labels ([2, 40]: right padding, 40 and 27 real tokens), logits
                   [2, 40, vocab], loss, grad.<param> for every trained parameter (eval mode, float32, CPU)
  fill_mask.json   pipeline("fill-mask") top 5 for FILL_TEXTS
  classifier/      ModernBertForSequenceClassification (3 labels, torch.manual_seed(1)) + classifier.safetensors
                   (input_ids, attention_mask, labels [2], logits, loss, grad.<param>) on the same batch

Variants (3 layers, hidden 32, 4 heads, local_attention 16, so keys more than 8 positions away are masked in the
sliding-window layers and the 40-token batch crosses the window):
  tiny-modernbert          transformers' defaults otherwise: no biases but the decoder's, erf GELU, layer 0 global
                           and layers 1-2 local (global_attn_every_n_layers 3), classifier pooling "cls"
  tiny-modernbert-options  every option the other way: norm/attention/mlp/classifier biases on, decoder bias off,
                           gelu_pytorch_tanh, global_attn_every_n_layers 2 (layers 0 and 2 global), rope thetas
                           1000 / 500, norm_eps 1e-6, classifier pooling "mean"

Attention: transformers 5.25's ModernBERT runs the padded path with every attention implementation but
flash_attention_2 (no unpadding in the module any more): "eager" and "sdpa" build the same 4-D masks (padding, and
|query - key| <= local_attention // 2 on sliding layers). The goldens use "eager"; the script prints how far "sdpa"
is from it at the real tokens.
"""
import json, os, sys
import torch
import transformers
from safetensors.torch import save_file
from tokenizers import AddedToken, Tokenizer, decoders, models, pre_tokenizers, processors, trainers
from transformers import (ModernBertConfig, ModernBertForMaskedLM, ModernBertForSequenceClassification,
                          PreTrainedTokenizerFast, pipeline)

CORPUS = ["This movie was a great film with a wonderful cast.", "The plot is slow but the acting is good.",
          "I did not like the ending of this movie at all.", "What a terrible waste of time and money!",
          "The cat sat on the mat and watched the film.", "Great music, great story, great fun."] * 20
TEXTS = [" ".join(CORPUS[:6]), "The plot is slow but the acting is good. What a terrible waste of time!"]
FILL_TEXTS = ["This is a great [MASK].", "The [MASK] sat on the [MASK]."]
SPECIALS = ["[UNK]", "[CLS]", "[SEP]", "[PAD]", "[MASK]"]
SEQ = 40

VARIANTS = {
    "tiny-modernbert": dict(classifier_pooling="cls"),
    "tiny-modernbert-options": dict(norm_bias=True, attention_bias=True, mlp_bias=True, classifier_bias=True,
                                    decoder_bias=False, hidden_activation="gelu_pytorch_tanh",
                                    classifier_activation="gelu_pytorch_tanh", global_attn_every_n_layers=2,
                                    global_rope_theta=1000.0, local_rope_theta=500.0, norm_eps=1e-6,
                                    classifier_pooling="mean"),
}


def tokenizer():
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    tok.train_from_iterator(CORPUS, trainers.BpeTrainer(vocab_size=320, initial_alphabet=pre_tokenizers.ByteLevel.alphabet()))
    tok.add_special_tokens([AddedToken(s, lstrip=(s == "[MASK]")) for s in SPECIALS])
    cls, sep = tok.token_to_id("[CLS]"), tok.token_to_id("[SEP]")
    tok.post_processor = processors.TemplateProcessing(single="[CLS]:0 $A:0 [SEP]:0",
                                                       pair="[CLS]:0 $A:0 [SEP]:0 $B:1 [SEP]:1",
                                                       special_tokens=[("[CLS]", cls), ("[SEP]", sep)])
    return PreTrainedTokenizerFast(tokenizer_object=tok, unk_token="[UNK]", cls_token="[CLS]", sep_token="[SEP]",
                                   pad_token="[PAD]", mask_token="[MASK]", model_max_length=128)


def batch(fast):
    enc = fast(TEXTS, padding="max_length", truncation=True, max_length=SEQ, return_tensors="pt")
    gen = torch.Generator().manual_seed(1)
    labels = torch.full(enc["input_ids"].shape, -100)
    pick = (torch.rand(labels.shape, generator=gen) < 0.3) & (enc["attention_mask"] == 1)
    labels[pick] = torch.randint(0, len(fast) - len(SPECIALS), (int(pick.sum()),), generator=gen)
    return enc["input_ids"], enc["attention_mask"], labels


def grads(model):
    return {"grad." + n: p.grad.detach().clone().contiguous() for n, p in model.named_parameters()}


def make(out, name, options, fast):
    d = os.path.join(out, name)
    special = {t: fast.convert_tokens_to_ids(t) for t in SPECIALS}
    cfg = dict(vocab_size=len(fast), hidden_size=32, intermediate_size=48, num_hidden_layers=3, num_attention_heads=4,
               local_attention=16, max_position_embeddings=128, pad_token_id=special["[PAD]"],
               cls_token_id=special["[CLS]"], bos_token_id=special["[CLS]"], sep_token_id=special["[SEP]"],
               eos_token_id=special["[SEP]"], **options)
    ids, mask, labels = batch(fast)
    real = mask.bool()
    torch.manual_seed(0)
    model = ModernBertForMaskedLM(ModernBertConfig(**cfg, attn_implementation="eager")).eval()
    model.save_pretrained(d)
    fast.save_pretrained(d)
    res = model(input_ids=ids, attention_mask=mask, labels=labels)
    res.loss.backward()
    g = {"input_ids": ids.int(), "attention_mask": mask.int(), "labels": labels.int(),
         "logits": res.logits.detach().contiguous(), "loss": res.loss.detach().reshape(1), **grads(model)}
    save_file(g, os.path.join(d, "goldens.safetensors"),
              metadata={"note": "eval mode, float32, CPU, attn_implementation eager",
                        "transformers": transformers.__version__, "torch": torch.__version__})
    sdpa = ModernBertForMaskedLM.from_pretrained(d, attn_implementation="sdpa").eval()
    with torch.no_grad():
        diff = (sdpa(input_ids=ids, attention_mask=mask).logits - res.logits)[real].abs().max().item()
    fm = pipeline("fill-mask", model=model, tokenizer=fast, device=-1)
    with open(os.path.join(d, "fill_mask.json"), "w") as f:
        json.dump({"texts": FILL_TEXTS, "top_k": 5, "outputs": [fm(t, top_k=5) for t in FILL_TEXTS]}, f, indent=1)

    torch.manual_seed(1)
    clf = ModernBertForSequenceClassification(ModernBertConfig(**cfg, num_labels=3, attn_implementation="eager")).eval()
    clf.save_pretrained(os.path.join(d, "classifier"))
    y = torch.tensor([2, 0])
    cres = clf(input_ids=ids, attention_mask=mask, labels=y)
    cres.loss.backward()
    save_file({"input_ids": ids.int(), "attention_mask": mask.int(), "labels": y.int(),
               "logits": cres.logits.detach().contiguous(), "loss": cres.loss.detach().reshape(1), **grads(clf)},
              os.path.join(d, "classifier", "classifier.safetensors"),
              metadata={"note": "eval mode, float32, CPU, attn_implementation eager"})
    print(f"{name}: vocab {len(fast)}, params {model.num_parameters()}, layer types {model.config.layer_types}, "
          f"loss {res.loss.item():.6f}, classifier loss {cres.loss.item():.6f}, sdpa vs eager at real tokens {diff:.2e}")


if __name__ == "__main__":
    out = sys.argv[1] if len(sys.argv) > 1 else "fixtures/reference"
    torch.use_deterministic_algorithms(True)
    fast = tokenizer()
    for name, options in VARIANTS.items():
        make(out, name, options, fast)
