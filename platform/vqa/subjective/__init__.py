"""Subjective studies → rating data: BT.500 screening, z-score MOS, quality levels, hidden-
reference checks, stratified selection, splits and rating QA (FineVQ §3.3 / B.2, OmniVQA §4)."""

from vqa.subjective.attributes import attribute_labels
from vqa.subjective.hidden_reference import flag_rerating
from vqa.subjective.levels import LevelConfig, assign_levels, level_index
from vqa.subjective.mos import MosConfig, compute_mos, zscores
from vqa.subjective.qa import QAConfig, build_samples
from vqa.subjective.ratings import RatingsError, check_ratings, read_ratings
from vqa.subjective.screening import ScreeningConfig, ScreenResult, screen
from vqa.subjective.selection import reference_levels, select_videos
from vqa.subjective.simulate import StudySpec, simulate_study
from vqa.subjective.splits import split_videos

__all__ = [
    "LevelConfig", "MosConfig", "QAConfig", "RatingsError", "ScreenResult", "ScreeningConfig",
    "StudySpec", "assign_levels", "attribute_labels", "build_samples", "check_ratings",
    "compute_mos", "flag_rerating", "level_index", "read_ratings", "reference_levels", "screen",
    "select_videos", "simulate_study", "split_videos", "zscores",
]
