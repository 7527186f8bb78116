"""Tokenizer goldens for roberta-base (byte-level BPE) and xlm-roberta-base (Unigram + Metaspace): `input_ids` and
`word_ids()` of transformers' fast tokenizer (PreTrainedTokenizerFast on the shared tokenizer.json, special tokens
added), on IMDb reviews and hard cases.

From the project root (the shared folder beside it):
  tools/reference/.venv/bin/python tools/reference/make_tokenizer_goldens.py ../shared fixtures/reference

Writes fixtures/reference/tokenizer_{roberta_base,xlm_roberta_base}.jsonl.gz, one JSON object a line:
  {"src": "test", "line": N}  the N-th review (0-based line) of SHARED/data/imdb/test.jsonl.gz (or "unsupervised"),
  {"text": "..."}            or an inline hard case,
  {"src": "train", "line": N, "from": A, "to": B}  characters [A, B) (code points) of a train review,
  plus "ids" (input_ids), "words" (word_ids, delta-coded to keep the file small: null stays null, a word id is
  written as its difference from the previous non-null word id, the first one from -1) and "split": "dev"/"holdout".
Texts (2,404): every 50th test review (500), every 125th unsupervised review (400), a 200-character excerpt at a
seeded random offset of every 25th train review (1,000), the HARD list (54) and 450 generated whitespace/script mixes.
"holdout" rows (the unsupervised reviews, every other excerpt and every other mix) are for checking on texts the
tokenizer code was not developed against.
"""
import gzip, json, os, random, sys

from transformers import PreTrainedTokenizerFast

shared, out = sys.argv[1], sys.argv[2]
os.makedirs(out, exist_ok=True)

HARD = ["", " ", "   ", "\t\n", "\n\n\n", "  leading spaces", "trailing spaces   ", "a\u00a0non-breaking\u3000ideo",
        "Café déjà vu — naïve résumé", "Cafe\u0301 combining e\u0301", "Ångström Øre Æsir ß straße", "ﬁ ligature ½ ²",
        "東京で映画を見た。とても良かった！", "我喜欢这部电影，演员很好。", "이 영화 정말 좋아요", "ภาพยนตร์เรื่องนี้ดีมาก",
        "ภาษาไทย ไม่มี ช่องว่าง", "Ελληνικά και русский текст", "עברית ועוד", "العربية نص", "हिन्दी पाठ",
        "I ❤️ this 🎬 movie 🍿🍿", "👍🏽👨‍👩‍👧‍👦🇯🇵🏳️‍🌈", "emoji🎉glued🎉words", "😀 😀  😀",
        "a" * 200, "Supercalifragilisticexpialidocious" * 4, "x" * 1000, "unbelievably-long-hyphenated-" * 20,
        "tab\there\u0000nul\u0007bell", "carriage\r\nreturn\rend", "<br /><br />Great.<br />", "<p class=\"x\">Hi</p>",
        "don't won't can't it's I'M WE'LL they've she'd", "U.S.A. vs. e.g. i.e. 3.14 1,000,000 $5 10%",
        "<mask>", "<mask> is a <mask>.", "The <mask>", "The<mask>", "The  <mask>  end", "<s> </s> <pad> <unk>",
        "[MASK] is a [MASK].", "ＦＵＬＬＷＩＤＴＨ text １２３", "mixed CASE WoRdS", "\u200bzero\u200bwidth\u200d",
        "hyphen-ated words--dash", "...!!!???", "email@example.com http://x.org/a?b=c", "#hashtag @user",
        "1234567890 3.14159 -42 +7", "a\tb\t\tc\n d \n\ne", "  \t  \n  ", "ends with newline\n", "▁ metaspace ▁x"]
FRAGMENTS = ["Hello", "world", "東京", "映画", "ไทย", "ดีมาก", "café", "🎬", "❤️", "<br />", "don't", "123", "<mask>",
             "naïve", "ÅNGSTRÖM", "—", "...", "русский", "x" * 60, "\u0301"]
SEPARATORS = ["", " ", "  ", "   ", "\t", "\n", "\n\n", " \t ", "\u00a0", "\u3000", "\r\n"]


def generated(n, seed=0):
    rng = random.Random(seed)
    texts = []
    for _ in range(n):
        parts = [rng.choice(SEPARATORS) if rng.random() < 0.3 else ""]
        for _ in range(rng.randint(1, 8)):
            parts += [rng.choice(FRAGMENTS), rng.choice(SEPARATORS)]
        texts.append("".join(parts))
    return texts


def imdb(split):
    with gzip.open(os.path.join(shared, "data", "imdb", f"{split}.jsonl.gz"), "rt", encoding="utf-8") as f:
        return [json.loads(line)["text"] for line in f]


def delta(word_ids):
    out, last = [], -1
    for w in word_ids:
        if w is None:
            out.append(None)
        else:
            out.append(w - last)
            last = w
    return out


rows = []  # (reference fields, text, split)
for i, text in enumerate(imdb("test")):
    if i % 50 == 0:
        rows.append(({"src": "test", "line": i}, text, "dev"))
for i, text in enumerate(imdb("unsupervised")):
    if i % 125 == 0:
        rows.append(({"src": "unsupervised", "line": i}, text, "holdout"))
cut = random.Random(1)
for i, text in enumerate(imdb("train")):
    if i % 25 == 0:
        a = cut.randrange(max(1, len(text) - 200))
        rows.append(({"src": "train", "line": i, "from": a, "to": a + 200}, text[a:a + 200],
                     "holdout" if i % 50 else "dev"))
for text in HARD:
    rows.append(({"text": text}, text, "dev"))
for i, text in enumerate(generated(450)):
    rows.append(({"text": text}, text, "holdout" if i % 2 else "dev"))

for name in ["roberta-base", "xlm-roberta-base"]:
    tok = PreTrainedTokenizerFast(tokenizer_file=os.path.join(shared, "data", name, "tokenizer.json"))
    enc = tok([t for _, t, _ in rows])
    path = os.path.join(out, f"tokenizer_{name.replace('-', '_')}.jsonl.gz")
    with gzip.GzipFile(path, "wb", mtime=0) as raw:
        for i, (ref, _, split) in enumerate(rows):
            line = {**ref, "split": split, "ids": enc["input_ids"][i], "words": delta(enc.word_ids(i))}
            raw.write((json.dumps(line, ensure_ascii=False, separators=(",", ":")) + "\n").encode("utf-8"))
    print(name, len(rows), "texts ->", path, os.path.getsize(path), "bytes", file=sys.stderr)
