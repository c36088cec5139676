"""MOS and levels → instruction samples.

OmniVQA-MOS: one rating QA per video ("How would you rate the quality of this video?" →
"The quality of this video is {level}."). FineVD: eight per video — a yes/no question for each
of the five distortion dimensions, "which distortions exist", "which affects quality the most"
and the overall level — each carrying the per-dimension MOS in `scores` for the L1 score loss.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import pandas as pd

from vqa.data import DIMENSIONS
from vqa.subjective.ratings import split_attributes

FIVE = ("color", "noise", "artifact", "blur", "temporal")  # FineVD's distortion dimensions
RATING_QUESTION = "How would you rate the quality of this video?"
QUESTIONS = {"color": "Is there color distortion in this video?",
             "noise": "Is there noise in this video?",
             "artifact": "Are there compression artifacts in this video?",
             "blur": "Is this video blurry?",
             "temporal": "Is there temporal distortion (stutter, jitter, flicker) in this video?"}
STATEMENTS = {"color": "the color of this video is", "noise": "the noise in this video is",
              "artifact": "the artifacts in this video are", "blur": "the blur in this video is",
              "temporal": "the temporal quality of this video is"}


@dataclass
class QAConfig:
    style: Literal["auto", "omnivqa", "finevd"] = "auto"  # auto: finevd when all six dims
    # A distortion "exists" when its level is at most this one (0 = worst): 2 = mild / fair or
    # worse. Not published; the attribute labels (when rated) only name the distortion's type.
    exists_max_level: int = 2


def omnivqa_sample(video: str, mos: float, level_name: str, split: str | None = None) -> dict:
    return {"id": f"{video}-rating", "video": video, "task": "rating", "mos": float(mos),
            "conversations": [{"from": "human", "value": f"<video>\n{RATING_QUESTION}"},
                              {"from": "gpt", "value": f"The quality of this video is "
                                                      f"{level_name}."}],
            "meta": {"source": "mos", "style": "omnivqa", "qa": "rating", "dimension": "overall",
                     "level": level_name, "split": split}}


def distortion_exists(level: int, cfg: QAConfig) -> bool:
    """From the MOS level alone, so that every answer agrees with the level it states."""
    return int(level) <= cfg.exists_max_level


def finevd_samples(video: str, rows: dict[str, dict], cfg: QAConfig,
                   split: str | None = None) -> list[dict]:
    """`rows`: dimension → {mos, level, level_name, labels?} for all six dimensions."""
    missing = [d for d in DIMENSIONS if d not in rows]
    if missing:
        raise ValueError(f"video {video!r}: FineVD QA needs all six dimensions, missing {missing}")
    scores = {d: float(rows[d]["mos"]) for d in DIMENSIONS}
    base = {"video": video, "mos": scores["overall"], "scores": scores}

    def sample(qid, question, answer, task, **meta):
        return {**base, "id": f"{video}-{qid}", "task": task,
                "conversations": [{"from": "human", "value": f"<video>\n{question}"},
                                  {"from": "gpt", "value": answer}],
                "meta": {"source": "mos", "style": "finevd", "qa": qid, "split": split, **meta}}

    exists = {d: distortion_exists(rows[d]["level"], cfg) for d in FIVE}
    out = []
    for d in FIVE:
        labels = [a for a in split_attributes(rows[d].get("labels") or "") if a != "none"]
        detail = f" ({', '.join(labels)})" if labels and exists[d] else ""
        answer = (f"{'Yes' if exists[d] else 'No'}, {STATEMENTS[d]} "
                  f"{rows[d]['level_name']}{detail}.")
        out.append(sample(f"yesno-{d}", QUESTIONS[d], answer,
                          "understanding", dimension=d, exists=exists[d],
                          level=rows[d]["level_name"]))
    present = [d for d in FIVE if exists[d]]
    options = ", ".join(FIVE)
    out.append(sample("which-exist", f"Which distortions exist in this video? Options: {options}.",
                      f"The distortions in this video: {', '.join(present)}." if present else
                      "There is no obvious distortion in this video.", "understanding",
                      exist=present))
    worst = min(present, key=lambda d: (scores[d], FIVE.index(d))) if present else None
    out.append(sample("most-impact", f"Which distortion affects the quality of this video the "
                                     f"most? Options: {options}.",
                      f"The {worst} distortion affects the quality the most." if worst else
                      "No distortion clearly affects the quality of this video.", "understanding",
                      most=worst))
    out.append(sample("overall", "How would you rate the overall quality of this video?",
                      f"The overall quality of this video is {rows['overall']['level_name']}.",
                      "rating", dimension="overall", level=rows["overall"]["level_name"]))
    return out


def build_samples(mos: pd.DataFrame, cfg: QAConfig, splits: dict[str, str] | None = None,
                  attributes: pd.DataFrame | None = None) -> list[dict]:
    """Samples for every video of the long MOS table (with level columns)."""
    dims = set(mos["dimension"])
    style = cfg.style
    if style == "auto":
        style = "finevd" if set(DIMENSIONS) <= dims else "omnivqa"
    table = mos.copy()
    if attributes is not None and len(attributes):
        table = table.merge(attributes[["video", "dimension", "labels"]], how="left",
                            on=["video", "dimension"])
        table["labels"] = table["labels"].fillna("")
    splits = splits or {}
    samples = []
    for video, g in table.groupby("video", sort=True):
        rows = {r["dimension"]: r for r in g.to_dict("records")}
        if style == "omnivqa":
            if "overall" not in rows:
                raise ValueError("OmniVQA rating QA needs the 'overall' dimension")
            samples.append(omnivqa_sample(video, rows["overall"]["mos"],
                                          rows["overall"]["level_name"], splits.get(video)))
        else:
            samples.extend(finevd_samples(video, rows, cfg, splits.get(video)))
    return samples
