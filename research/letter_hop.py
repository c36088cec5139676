"""Can the `tiny` preset's language model bind an answer to its option letter at all?

Held-out multiple choice answered by option letter stays at chance however the model is trained,
while the likeliest whole option answer is well above it (docs/research/option-letters.md).
Picking the letter takes a hop the whole answer does not: find the option that matches what the
model believes, then say the letter printed before it ("multiple-choice symbol binding", which
Robinson & Wingate, ICLR 2023, found only in large pretrained models). This probe removes the
video: the prompt itself states the answer ("The distortion is in the 2nd second."), so the only
thing left to learn is the hop. A *copy* control states the letter instead ("…, option B."),
which needs no matching. Text only, plain torch, the preset's tokenizer and language model
(widths and depths overridable), AdamW with one-cycle cosine; accuracy on fresh prompts every
`--eval-every` steps.

    python research/letter_hop.py --steps 6000                       # tiny's LM: 2 layers, 64
    python research/letter_hop.py --steps 6000 --layers 4 --hidden 128
    python research/letter_hop.py --steps 750 --task copy            # the control
"""

from __future__ import annotations

import argparse
import json
import random
import time

import torch

from vqa.distort.describe import ordinal
from vqa.distort.regions import LOCATIONS
from vqa.model.presets import build_model, tiny

LETTERS = "ABCD"
ORDINALS = [ordinal(n) for n in range(1, 10)]  # the seconds the questions name


def prompt(rng: random.Random, values, task: str) -> tuple[str, int]:
    """One four-option question in the FG benchmark's wording, its answer stated in the text."""
    true = rng.choice(values)
    options = rng.sample([v for v in values if v != true], 3) + [true]
    rng.shuffle(options)
    answer = options.index(true)
    told = f"option {LETTERS[answer]}" if task == "copy" else f"the {true}"
    text = (f"<|im_start|>user\nThe distortion is in {told} . Where is the distortion ?\n"
            + "\n".join(f"{L}. {o}" for L, o in zip(LETTERS, options))
            + "\nAnswer with the option's letter from the given choices directly.<|im_end|>\n"
              "<|im_start|>assistant\n")
    return text, answer


def batch(tok, rng: random.Random, values, task: str, n: int):
    texts, answers = zip(*(prompt(rng, values, task) for _ in range(n)))
    ids = [tok(t, add_special_tokens=False)["input_ids"] for t in texts]
    width = max(map(len, ids))  # left-padded: every answer is read at the last position
    pad = [width - len(i) for i in ids]
    input_ids = torch.tensor([[0] * p + i for p, i in zip(pad, ids)])
    mask = (torch.arange(width)[None] >= torch.tensor(pad)[:, None]).long()
    return input_ids, mask, torch.tensor(answers)


def letter_logits(llm, letter_ids, input_ids, mask):
    positions = (mask.cumsum(1) - 1).clamp(min=0)
    logits = llm(input_ids=input_ids, attention_mask=mask, position_ids=positions).logits
    return logits[:, -1], logits[:, -1, letter_ids]


def run(args) -> dict:
    torch.manual_seed(args.seed)
    rng, held = random.Random(args.seed), random.Random(10_000 + args.seed)
    hf = {"num_hidden_layers": args.layers, "hidden_size": args.hidden,
          "intermediate_size": 2 * args.hidden, "num_attention_heads": args.heads}
    model = build_model(tiny(llm={"hf_config": hf}))
    tok, llm = model.tokenizer, model.llm
    values = list(LOCATIONS) if args.options == "places" else ORDINALS
    letter_ids = torch.tensor([tok.convert_tokens_to_ids(L) for L in LETTERS])
    test = batch(tok, held, values, args.task, args.eval_n)
    opt = torch.optim.AdamW(llm.parameters(), lr=args.lr, weight_decay=0.01)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, args.lr, total_steps=args.steps,
                                                pct_start=max(0.05, 2 / args.steps))
    # (a warm-up of at least 2 steps: OneCycleLR divides by its length)
    t0, curve = time.perf_counter(), []
    for step in range(args.steps + 1):
        if step % args.eval_every == 0 or step == args.steps:
            llm.eval()
            with torch.no_grad():
                _, picked = letter_logits(llm, letter_ids, test[0], test[1])
            llm.train()
            point = {"step": step, "seconds": round(time.perf_counter() - t0, 1),
                     "loss": round(float(torch.nn.functional.cross_entropy(picked, test[2])), 3),
                     "accuracy": round(float((picked.argmax(1) == test[2]).float().mean()), 3)}
            curve.append(point)
            print(json.dumps(point), flush=True)
        if step == args.steps:
            break
        input_ids, mask, answers = batch(tok, rng, values, args.task, args.batch)
        logits, _ = letter_logits(llm, letter_ids, input_ids, mask)
        loss = torch.nn.functional.cross_entropy(logits, letter_ids[answers])
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
    return {"task": args.task, "options": args.options, "layers": args.layers,
            "hidden": args.hidden, "heads": args.heads, "steps": args.steps,
            "batch": args.batch, "lr": args.lr,
            "parameters": sum(p.numel() for p in llm.parameters()),
            "chance": 1 / len(LETTERS), "final": curve[-1],
            "best": max(p["accuracy"] for p in curve)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--task", choices=("hop", "copy"), default="hop")
    ap.add_argument("--options", choices=("seconds", "places"), default="seconds",
                    help="one-token ordinals, or the nine places (2-3 tokens each)")
    ap.add_argument("--steps", type=int, default=6000)
    ap.add_argument("--layers", type=int, default=2)
    ap.add_argument("--hidden", type=int, default=64)
    ap.add_argument("--heads", type=int, default=4)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--eval-every", type=int, default=500)
    ap.add_argument("--eval-n", type=int, default=512)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    print(json.dumps(run(args)))


if __name__ == "__main__":
    main()
