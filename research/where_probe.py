"""Can a preset learn to say *where* a local defect is? A plain-torch probe on the "where"
questions of an in-context set, with two controls that say which step fails.

    python benchmarks/learning.py --out /tmp/l11 --incontext-seeds 30 ...   # builds the data
    python research/where_probe.py --samples /tmp/l11/incontext/samples.jsonl \
        --fg /tmp/l11/fg/benchmark.jsonl --steps 3000                 # real defects
    ... --marker            # control: the defect's cells marked in the features (+4 on every
                            #   cell statistic, in the keyframes that show it)
    ... --hint              # control: the answer's place written into the question
    ... --free              # free grounding embeddings instead of `grounding.words`
    ... --no-salience       # `grounding.salience` off (tiny's learned read-out of unusual cells)
    ... --held-out /tmp/l11/ic_test*/samples.jsonl   # in-context sets of held-out photographs

Clips are decoded once (`--cache`); each step runs `prepare_sample` / `loss_on` as `vqa train`
does (AdamW with the model's parameter groups, warm-up 3 % then cosine, clip 1.0). Reported
every `--eval-every` steps, as JSON lines:
- `nll_own` / `nll_other`: the mean negative log-likelihood of the place words ("bottom-left")
  in 150 of the training open / cloze answers, teacher-forced, on the sample's own clip and on
  another clip. Equal: the place is not read from the video;
- `choice` / `choice_other`: 120 training multiple-choice "where" questions, answered by the
  likeliest option letter (`mcq_accuracy`), on their own clips and on other clips (chance 0.25);
- `fg` / `fg_other`: the same for the FG benchmark's held-out "where" questions;
- `choice_ans…`, `fg_ans…`: the same questions answered by the likeliest whole option answer
  ("D. center-right", `mcq_accuracy(…, "answer")`) instead of the likeliest letter;
- `top_in_box` (salience on): the share of training clips whose most salient cell lies in
  the defect's box, in a keyframe of its seconds (the fixed rule at step 0);
- `held_nll_own` / `held_nll_other`, `held_pick` / `held_pick_other` (with `--held-out`): the
  place NLL on held-out photographs' open / cloze "where" answers, and the share of them whose
  true place is the likeliest of the nine in the same answer (chance 1/9; asked of other clips,
  what the answer priors alone give). No option letters: this is the place read from the video
  (the letter is a further hop, "Proof of learning").
"""

from __future__ import annotations

import argparse
import json
import math
import pickle
import random
import time
from pathlib import Path

import torch
from tqdm import tqdm

from vqa.distort.regions import LOCATIONS
from vqa.evaluate.choice import choose_answer, mcq_accuracy, other_clips
from vqa.model.batch import loss_on, prepare_sample
from vqa.model.inference import sample_video
from vqa.model.presets import build_model, tiny
from vqa.model.quality import CELL_DIM


def marked(s: dict, specs: list[dict]) -> dict:
    """The clip's frames with every quality statistic of the defect's cells set to +4 in the
    keyframes that show it: a place no reader of the features can miss."""
    q = s["quality"]
    grid = math.isqrt(q.frames.shape[1])
    ch, cw = q.info.height / grid, q.info.width / grid
    fr, secs = q.frames.copy(), (q.indices / q.info.fps).astype(int)
    for sp in specs:
        x0, y0, x1, y1 = sp["box"]
        for k, sec in enumerate(secs):
            if sp["start"] <= sec < sp["start"] + sp["duration"]:
                for r in range(grid):
                    for c in range(grid):
                        if x0 <= (c + 0.5) * cw < x1 and y0 <= (r + 0.5) * ch < y1:
                            fr[k, r * grid + c, :CELL_DIM] = 4.0
    return {**s, "quality": type(q)(fr, q.indices, q.info)}


def choice_items(samples: list[dict]) -> list[dict]:
    out = []
    for d in samples:
        meta = json.loads(d["meta"])
        if meta["form"] == "choice":
            out.append({"video": d["video"], "options": meta["options"], "answer": meta["answer"],
                        "question": d["conversations"][0]["value"].replace("<video>\n", ""),
                        "category": "where"})
    return out


@torch.no_grad()
def place_nll(model, samples: list[dict], frames: dict, shift: int = 0) -> float:
    """Mean NLL of the place words in the answers; `shift` > 0: each read with another clip."""
    model.eval()
    tok, out = model.tokenizer, []
    for i, d in enumerate(samples):
        video = samples[(i + shift) % len(samples)]["video"]
        if shift and video == d["video"]:
            continue
        p = prepare_sample(model, d, frames[video])
        lp = torch.log_softmax(model.llm(inputs_embeds=p["embeds"][None]).logits[0].float(), -1)
        want = tok(json.loads(d["meta"])["value"], add_special_tokens=False)["input_ids"]
        ids = p["labels"].tolist()
        at = next((j for j in range(1, len(ids)) if ids[j:j + len(want)] == want), None)
        if at is not None:
            out.append(-sum(float(lp[at - 1 + j, t]) for j, t in enumerate(want)))
    return sum(out) / max(1, len(out))


def in_box(cell: int, k: int, q, specs: list[dict]) -> bool:
    grid = math.isqrt(q.frames.shape[1])
    r, c = divmod(cell, grid)
    x, y = (c + 0.5) * q.info.width / grid, (r + 0.5) * q.info.height / grid
    sec = int(q.indices[k] / q.info.fps)
    return any(sp["box"][0] <= x < sp["box"][2] and sp["box"][1] <= y < sp["box"][3]
               and sp["start"] <= sec < sp["start"] + sp["duration"] for sp in specs)


@torch.no_grad()
def top_in_box(model, samples: list[dict], frames: dict) -> float:
    """Share of the samples' clips whose most salient keyframe cell lies in the defect."""
    hits, seen = [], set()
    for d in samples:
        if d["video"] in seen:
            continue
        seen.add(d["video"])
        q = frames[d["video"]]["quality"]
        w = model.places.salience.weights(torch.as_tensor(q.frames))
        k, cell = divmod(int(w.flatten().argmax()), w.shape[1])
        hits.append(in_box(cell, k, q, json.loads(d["meta"])["specs"]))
    return sum(hits) / max(1, len(hits))


def place_pick(model, samples: list[dict], frames: dict, shift: int = 0) -> float:
    """Share of answers whose true place is the likeliest of the nine in the same answer."""
    hits = []
    for i, d in enumerate(samples):
        video = samples[(i + shift) % len(samples)]["video"]
        if shift and video == d["video"]:
            continue
        value = json.loads(d["meta"])["value"]
        question, answer = (t["value"] for t in d["conversations"][:2])
        k = choose_answer(model, frames[video], question,
                          [answer.replace(value, place) for place in LOCATIONS])
        hits.append(list(LOCATIONS)[k] == value)
    return sum(hits) / max(1, len(hits))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--samples", required=True, help="in-context samples (.jsonl)")
    ap.add_argument("--fg", required=True, help="the held-out FG benchmark (.jsonl)")
    ap.add_argument("--steps", type=int, default=3000)
    ap.add_argument("--eval-every", type=int, default=1000)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--weight-decay", type=float, default=0.3)
    ap.add_argument("--marker", action="store_true")
    ap.add_argument("--hint", action="store_true")
    ap.add_argument("--free", action="store_true", help="free grounding embeddings")
    ap.add_argument("--no-salience", action="store_true", help="grounding.salience off")
    ap.add_argument("--save", default=None, help="save the trained model to this folder")
    ap.add_argument("--held-out", nargs="*", default=[],
                    help="in-context samples (.jsonl) of photographs never trained on")
    ap.add_argument("--cache", default=None, help="pickle of the decoded clips (made if absent)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args(argv)
    torch.manual_seed(a.seed)
    torch.set_num_threads(a.threads)
    grounding = {**({"words": None} if a.free else {}),
                 **({"salience": False} if a.no_salience else {})}
    model = build_model(tiny(**({"grounding": grounding} if grounding else {})))
    samples = [d for d in map(json.loads, open(a.samples))
               if json.loads(d["meta"]).get("aspect") == "where"]
    if not samples:
        ap.error(f"{a.samples}: no 'where' samples")
    cache = Path(a.cache) if a.cache else None
    if cache is not None and cache.exists():
        frames = pickle.loads(cache.read_bytes())
    else:
        videos = dict.fromkeys(d["video"] for d in samples)
        frames = {v: sample_video(model, v) for v in tqdm(videos, desc="decoding")}
        if cache is not None:
            cache.write_bytes(pickle.dumps(frames))
    if a.marker:
        specs = {d["video"]: json.loads(d["meta"])["specs"] for d in samples}
        frames = {v: marked(f, specs[v]) if v in specs else f for v, f in frames.items()}
    for d in samples if a.hint else []:
        turn, place = d["conversations"][0], json.loads(d["meta"])["value"]
        turn["value"] = turn["value"].replace("<video>\n", f"<video>\n{place} . ")
    rng = random.Random(a.seed)
    answers = [d for d in samples if json.loads(d["meta"])["form"] in ("open", "cloze")]
    answers = rng.sample(answers, min(150, len(answers)))
    train_choice = choice_items(samples)
    train_choice = rng.sample(train_choice, min(120, len(train_choice)))
    fg = [it for it in map(json.loads, filter(str.strip, open(a.fg))) if it["concern"] == "where"]
    held = [d for f in a.held_out for d in map(json.loads, filter(str.strip, open(f)))
            if json.loads(d["meta"]).get("aspect") == "where"
            and json.loads(d["meta"])["form"] in ("open", "cloze")]
    for v in dict.fromkeys(d["video"] for d in held):
        frames.setdefault(v, sample_video(model, v))
    picks = rng.sample(answers, min(60, len(answers)))

    def decoded(items: list[dict]) -> list[dict]:  # training clips as held (and marked)
        return [{**it, "video": frames[it["video"]]} for it in items]

    def report(step: int, t0: float) -> None:
        r = {"step": step, "seconds": round(time.time() - t0),
             "nll_own": place_nll(model, answers, frames),
             "nll_other": place_nll(model, answers, frames, shift=7),
             "choice": mcq_accuracy(model, decoded(train_choice))["accuracy"],
             "choice_other": mcq_accuracy(model, decoded(other_clips(train_choice)))["accuracy"],
             "fg": mcq_accuracy(model, fg)["accuracy"],
             "fg_other": mcq_accuracy(model, other_clips(fg))["accuracy"], "fg_n": len(fg),
             "choice_ans": mcq_accuracy(model, decoded(train_choice), "answer")["accuracy"],
             "choice_ans_other": mcq_accuracy(model, decoded(other_clips(train_choice)),
                                              "answer")["accuracy"],
             "fg_ans": mcq_accuracy(model, fg, "answer")["accuracy"],
             "fg_ans_other": mcq_accuracy(model, other_clips(fg), "answer")["accuracy"],
             "pick": place_pick(model, picks, frames),
             "pick_other": place_pick(model, picks, frames, shift=7)}
        if model.places.salience is not None:
            r["top_in_box"] = top_in_box(model, samples, frames)
            r["gain"], r["prior"] = (model.places.salience.gain.item(),
                                     model.places.salience.prior.item())
        if held:
            r.update({"held_nll_own": place_nll(model, held, frames),
                      "held_nll_other": place_nll(model, held, frames, shift=7),
                      "held_pick": place_pick(model, held, frames),
                      "held_pick_other": place_pick(model, held, frames, shift=7),
                      "held_n": len(held)})
        print(json.dumps({k: round(v, 3) if isinstance(v, float) else v for k, v in r.items()}),
              flush=True)

    groups = model.param_groups(a.lr, None, a.weight_decay)
    opt = torch.optim.AdamW(groups, lr=a.lr)
    warm = max(1, int(0.03 * a.steps))
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min(1.0, (s + 1) / warm) * 0.5 * (1 + math.cos(math.pi * s / a.steps)))
    t0 = time.time()
    report(0, t0)
    for step in range(1, a.steps + 1):
        model.train()
        batch = rng.sample(samples, a.batch)
        loss = loss_on(model, [prepare_sample(model, d, frames[d["video"]]) for d in batch])["loss"]
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        sched.step()
        if step % 100 == 0:
            print(f"step {step} loss {loss.item():.3f} {time.time() - t0:.0f}s", flush=True)
        if step % a.eval_every == 0 or step == a.steps:
            report(step, t0)
    if a.save:
        model.save_pretrained(a.save)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
