"""Words for specs: type names, time spans (the paper's convention: the first second is
"1st second"), and the full distortion description that answers the summary question."""

from __future__ import annotations

from vqa.distort.spec import STUTTER, Distortion

TYPE_NAMES = {"blur": "blur", "overexposure": "overexposure", "underexposure": "underexposure",
              "noise": "noise", "jpeg": "compression distortion", STUTTER: "stutter"}
COUNT_WORDS = {1: "once", 2: "twice", 3: "three times", 4: "four times"}


def ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def span_text(start: int, duration: int) -> str:
    """[start, start + duration) in 0-based seconds → 1-based words."""
    first, last = start + 1, start + duration
    if first == last:
        return f"the {ordinal(first)} second"
    return f"the {ordinal(first)} to the {ordinal(last)} second"


def seconds_text(starts: list[int]) -> str:
    words = [f"the {ordinal(s + 1)}" for s in sorted(starts)]
    joined = words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]
    return f"{joined} second" + ("s" if len(words) > 1 else "")


def count_text(n: int) -> str:
    return COUNT_WORDS.get(n, f"{n} times")


def describe(specs: list[Distortion]) -> str:
    """The summary answer: every distortion with what, where, when and how severe."""
    parts = []
    spatial = [s for s in specs if s.spatial]
    stutters = [s for s in specs if not s.spatial]
    for s in spatial:
        parts.append(f"{s.level_name.capitalize()} {TYPE_NAMES[s.type]} appears in the "
                     f"{s.location} region of the frame (about a quarter of the frame area) "
                     f"during {span_text(s.start, s.duration)} of the video.")
    if stutters:
        parts.append(f"The video stutters {count_text(len(stutters))}: the picture freezes "
                     f"during {seconds_text([s.start for s in stutters])}.")
    if not parts:
        return "The video has no synthetic local distortion."
    return " ".join(parts)
