"""The `tiny` preset's tokenizer: word-level, built from a small built-in text with no download,
so every prompt word and every level word is exactly one token."""

from __future__ import annotations

import re

from vqa.data import DIMENSIONS
from vqa.model.config import DISTORTION_LEVELS, OMNIVQA_LEVELS, PromptConfig

SPECIAL = ["<|endoftext|>", "<|im_start|>", "<|im_end|>", "[UNK]"]

_TEXT = """
system user assistant yes no not very slightly quite a an the this that these those it its is are
was were be been has have with without of in on at to from by for and or but as than video clip
frame frames keyframe second seconds scene camera motion shake shaking stutter stutters stuttering
fluency smooth jitter sharp sharpness blurry blur focus detail details texture edges light
lighting bright dark exposure overexposed underexposed color colors colour saturated
washed noise noisy grain compression artifact artifacts blocking blocky ringing banding quality
overall technical aesthetic content composition subject background foreground left right top
bottom center middle region area start end beginning during throughout which what how where when
would you rate describe evaluate please answer question option options high low best worst
clear visible obvious severe strong mild slight undistorted distorted distortion excellent good
fair poor bad acceptable average temporal spatial level score there some most all any other
more less much many few one two three four five six seven eight nine ten first last time
. , ; : ? ! - ( ) " ' / %
"""


def _template_text() -> str:
    """Every word of the packaged question templates (in-context, FG benchmark, rating), so the
    platform's own instruction data has no unknown word."""
    from importlib.resources import files

    root = files("vqa.distort") / "templates"
    return " ".join(f.read_text() for f in root.iterdir() if f.name.endswith(".yaml"))


def _engine_text() -> str:
    """The words the distortion engine fills into its templates and answers (type, level,
    location and count names, the summary sentence): without them "overexposure",
    "underexposure", "noticeable", "relatively", "down" and "once" / "twice" were all [UNK], so
    a model could not tell the two exposures, the levels or center-down apart."""
    from vqa.distort.describe import COUNT_WORDS, TYPE_NAMES, describe
    from vqa.distort.regions import LOCATIONS
    from vqa.distort.spatial import LEVEL_NAMES
    from vqa.distort.spec import STUTTER, Distortion

    specs = [Distortion("blur", 0, 2, 2, "center-down"), Distortion(STUTTER, 1, 1),
             Distortion(STUTTER, 3, 1)]
    return " ".join([*TYPE_NAMES.values(), *LEVEL_NAMES.values(), *LOCATIONS,
                     *COUNT_WORDS.values(), describe(specs)])


def vocabulary(extra: str = "") -> list[str]:
    """Special tokens, then every word and punctuation mark of the built-in text, the default
    prompts, the packaged question templates and the words the distortion engine fills in,
    level words and dimensions (as written, lower-case, capitalised), option letters A-Z, the
    numbers 0-2000 (durations, frame counts) and the ordinals 1st-200th (seconds named in
    questions)."""
    p = PromptConfig()
    suffix = lambda n: "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(  # noqa: E731
        n % 10, "th")
    ordinals = [f"{n}{suffix(n)}" for n in range(1, 201)]
    text = " ".join([_TEXT, p.system, p.system_motion, p.question, p.answer_prefix,
                     _template_text(), _engine_text(), *OMNIVQA_LEVELS, *DISTORTION_LEVELS,
                     *DIMENSIONS, *"ABCDEFGHIJKLMNOPQRSTUVWXYZ", *ordinals, extra])
    words = re.findall(r"\w+|[^\w\s]", text)
    words += [w.lower() for w in words] + [w.capitalize() for w in words]
    seen = dict.fromkeys(SPECIAL)
    for w in [*words, *map(str, range(2001))]:
        seen.setdefault(w)
    return list(seen)


def build_tiny_tokenizer(extra: str = ""):
    """A `PreTrainedTokenizerFast` over `vocabulary()`; save it with `save_pretrained`."""
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    vocab = {w: i for i, w in enumerate(vocabulary(extra))}
    tok = Tokenizer(models.WordLevel(vocab, unk_token="[UNK]"))
    tok.pre_tokenizer = pre_tokenizers.Whitespace()  # \w+ | [^\w\s]+
    return PreTrainedTokenizerFast(
        tokenizer_object=tok, unk_token="[UNK]", eos_token="<|im_end|>",
        pad_token="<|endoftext|>", additional_special_tokens=["<|im_start|>"])
