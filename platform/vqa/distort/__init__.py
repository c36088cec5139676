"""Synthetic local distortions (OmniVQA §3.3, App. C): regions, spatial and temporal
distortions as pure functions, specs, and the questions generated from them."""

from vqa.distort.describe import describe, span_text
from vqa.distort.regions import LOCATIONS, highlight, location_box, neighbours
from vqa.distort.spatial import LEVEL_NAMES, SPATIAL_TYPES, SpatialParams, distort_region
from vqa.distort.spec import (
    STUTTER,
    Distortion,
    PlanParams,
    apply_distortions,
    frame_span,
    plan_clip,
    whole_seconds,
)

__all__ = [
    "LEVEL_NAMES", "LOCATIONS", "SPATIAL_TYPES", "STUTTER", "Distortion", "PlanParams", "highlight",
    "SpatialParams", "apply_distortions", "describe", "distort_region", "frame_span",
    "location_box", "neighbours", "plan_clip", "span_text", "whole_seconds",
]
