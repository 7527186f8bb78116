"""Continue a masked-LM run in PyTorch: the course's Trainer recipe on the Parquet chunks this project writes.

Reads the chunks (`deno task prepare --format parquet`: columns input_ids, attention_mask, word_ids, labels) with
`datasets.load_dataset("parquet")`, takes the course's `train_test_split(train_size, test_size, seed)` (the members
`trainTestSplit` picks in this project), loads a checkpoint folder this project wrote (`from_pretrained`) and trains
it with `transformers.Trainer`, then evaluates and saves the model and tokenizer (HF's layout, which `loadMaskedLM`
reads back). One process or several: under `torchrun --nproc_per_node N` Trainer runs DDP and shards the batches
across the processes (gloo on CPU, NCCL on GPUs).

Collators (`--collator`):
- `random` (default): `DataCollatorForLanguageModeling(tokenizer, mlm_probability=0.15)`, the course's random-token
  masking (80 % [MASK], 10 % random token, 10 % unchanged); `word_ids` is dropped by `remove_unused_columns`.
- `whole-word`: the course's `whole_word_masking_data_collator`, which reads each chunk's `word_ids` (null for special
  tokens) and masks every token of a word chosen with probability `--wwm-probability`. transformers 5's own
  `DataCollatorForLanguageModeling(whole_word_mask=True)` needs `offset_mapping`, which the chunks do not carry.
  Masking draws from `numpy.random.default_rng(seed + rank)`, one generator per process.

    torchrun --standalone --nproc_per_node 2 tools/interop/train_hf.py --data chunks.parquet --model runs/imdb \
        --output-dir runs/imdb-torch

With `--optimizer-state CHECKPOINT/optimizer.safetensors` Trainer's AdamW starts from this project's moments and step
(`optimizer_state.py`), and `--save-optimizer-state` writes the final state back in that format beside the model.

Prints one JSON line on stdout (rank 0): steps, losses, perplexity, world size, seconds. Progress goes to stderr.
"""

import argparse
import collections
import contextlib
import json
import math
import os
import sys
import time

import numpy as np
import torch
from datasets import load_dataset
from transformers import (
    AutoModelForMaskedLM,
    AutoTokenizer,
    DataCollatorForLanguageModeling,
    Trainer,
    TrainingArguments,
    default_data_collator,
)

from optimizer_state import load_optimizer_state, save_optimizer_state  # beside this script


def whole_word_masking_data_collator(tokenizer, wwm_probability, rng):
    """The course's whole-word collator: mask whole words (by `word_ids`) with probability `wwm_probability`."""

    def collate(features):
        for feature in features:
            word_ids = feature.pop("word_ids")
            mapping = collections.defaultdict(list)  # word index in the chunk -> its token positions
            current_word_index = -1
            current_word = None
            for idx, word_id in enumerate(word_ids):
                if word_id is not None:
                    if word_id != current_word:
                        current_word = word_id
                        current_word_index += 1
                    mapping[current_word_index].append(idx)
            mask = rng.binomial(1, wwm_probability, (len(mapping),))
            input_ids = list(feature["input_ids"])
            labels = feature["labels"]
            new_labels = [-100] * len(labels)
            for word_id in np.where(mask)[0]:
                for idx in mapping[word_id.item()]:
                    new_labels[idx] = labels[idx]
                    input_ids[idx] = tokenizer.mask_token_id
            feature["input_ids"] = input_ids
            feature["labels"] = new_labels
        return default_data_collator(features)

    return collate


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--data", required=True, help="Parquet file of chunks (deno task prepare --format parquet)")
    p.add_argument("--model", required=True, help="checkpoint folder (config.json, model.safetensors, tokenizer)")
    p.add_argument("--output-dir", required=True, help="where Trainer writes; the final model is saved here")
    p.add_argument("--collator", choices=["random", "whole-word"], default="random")
    p.add_argument("--train-size", type=int, default=10_000)
    p.add_argument("--test-size", type=int, default=1_000)
    p.add_argument("--seed", type=int, default=42, help="split, Trainer (shuffling, masking) and whole-word masks")
    p.add_argument("--mlm-probability", type=float, default=0.15)
    p.add_argument("--wwm-probability", type=float, default=0.2)
    p.add_argument("--per-device-train-batch-size", type=int, default=64)
    p.add_argument("--per-device-eval-batch-size", type=int, default=64)
    p.add_argument("--learning-rate", type=float, default=2e-5)
    p.add_argument("--weight-decay", type=float, default=0.01)
    p.add_argument("--num-train-epochs", type=float, default=3.0)
    p.add_argument("--max-steps", type=int, default=-1, help="total optimizer steps when > 0 (overrides epochs)")
    p.add_argument("--logging-steps", type=int, default=50)
    p.add_argument("--cache-dir", default=None, help="datasets' cache (default: HF_DATASETS_CACHE)")
    p.add_argument(
        "--optimizer-state",
        default=None,
        help="start AdamW from this project's optimizer.safetensors (of the --model checkpoint-STEP folder)",
    )
    p.add_argument(
        "--save-optimizer-state",
        action="store_true",
        help="also write the final AdamW state as OUTPUT_DIR/optimizer.safetensors in this project's format",
    )
    args = p.parse_args()

    t0 = time.time()
    chunks = load_dataset("parquet", data_files={"train": args.data}, cache_dir=args.cache_dir)["train"]
    split = chunks.train_test_split(train_size=args.train_size, test_size=args.test_size, seed=args.seed)
    tokenizer = AutoTokenizer.from_pretrained(args.model)
    model = AutoModelForMaskedLM.from_pretrained(args.model)

    rank = int(os.environ.get("RANK", "0"))
    distributed = int(os.environ.get("WORLD_SIZE", "1")) > 1
    if args.collator == "random":
        collator = DataCollatorForLanguageModeling(tokenizer, mlm_probability=args.mlm_probability)
    else:
        collator = whole_word_masking_data_collator(
            tokenizer, args.wwm_probability, np.random.default_rng(args.seed + rank)
        )
    training_args = TrainingArguments(
        args.output_dir,
        per_device_train_batch_size=args.per_device_train_batch_size,
        per_device_eval_batch_size=args.per_device_eval_batch_size,
        learning_rate=args.learning_rate,
        weight_decay=args.weight_decay,
        num_train_epochs=args.num_train_epochs,
        max_steps=args.max_steps,
        eval_strategy="no",
        save_strategy="no",
        logging_steps=args.logging_steps,
        seed=args.seed,
        report_to="none",
        # The whole-word collator needs word_ids; the random-token one lets Trainer drop it.
        remove_unused_columns=args.collator == "random",
        # DistilBERT and BERT take **kwargs in forward but average their loss themselves: with the default (True),
        # transformers 5.25 multiplies that mean by the number of processes under DDP (losses and gradients 2x on
        # two processes). False: each process's batch mean, averaged across processes by DDP.
        average_tokens_across_devices=False,
        prediction_loss_only=True,
        use_cpu=not torch.cuda.is_available(),
        ddp_backend="gloo" if distributed and not torch.cuda.is_available() else None,
        dataloader_num_workers=0,
        disable_tqdm=True,
    )
    trainer = Trainer(
        model=model,
        args=training_args,
        train_dataset=split["train"],
        eval_dataset=split["test"],
        data_collator=collator,
        processing_class=tokenizer,
    )
    resumed_step = None
    if args.optimizer_state:
        # Trainer's own optimizer (its groups: no decay on biases and LayerNorm weights), with our moments and step:
        # train() keeps an optimizer that exists, and the bias corrections continue from the saved step.
        trainer.create_optimizer()
        resumed_step = load_optimizer_state(trainer.model, trainer.optimizer, args.optimizer_state)
    with contextlib.redirect_stdout(sys.stderr):  # Trainer prints its logs; stdout keeps the result line
        result = trainer.train()
        metrics = trainer.evaluate()
        trainer.save_model(args.output_dir)
    if args.save_optimizer_state and trainer.is_world_process_zero():
        # DDP keeps the same optimizer state in every process; the first one writes it.
        save_optimizer_state(trainer.model, trainer.optimizer, os.path.join(args.output_dir, "optimizer.safetensors"))
    if trainer.is_world_process_zero():
        print(
            json.dumps(
                {
                    "global_step": result.global_step,
                    "train_loss": result.training_loss,
                    "eval_loss": metrics["eval_loss"],
                    "perplexity": math.exp(metrics["eval_loss"]),
                    "world_size": training_args.world_size,
                    "train_rows": len(split["train"]),
                    "test_rows": len(split["test"]),
                    "collator": args.collator,
                    "optimizer_state_from_step": resumed_step,
                    "seconds": round(time.time() - t0, 1),
                }
            ),
            flush=True,
        )


if __name__ == "__main__":
    sys.exit(main())
