"""The pipeline table reads each step's summary.json the way the step's own output reads it."""

import json

from vqa.pipeline.results import HEADLINES
from vqa.model.presets import preset_config
from vqa.model.rating import describe


def test_evaluate_headline_labels_raw_and_logistic_correlations():
    line = HEADLINES["evaluate"]({"srcc_raw": 0.41, "plcc_raw": 0.38, "plcc_logistic": 0.52,
                                  "rated": 24})
    assert line == "SRCC (raw) 0.410, PLCC (raw) 0.380, PLCC (logistic) 0.520 on 24 rated clips"


def test_score_headline_shows_the_scores_level_and_the_likeliest_apart(tmp_path):
    probs = {"excellent": 0.40, "good": 0.25, "fair": 0.2, "poor": 0.1, "low": 0.05}
    row = describe(preset_config("tiny"), {"score": 3.53, "level": "excellent", "probs": probs,
                                           "dimensions": {}})
    summary = json.loads(json.dumps({"results": [{"video": "/x/ref.mp4", **row}]}))
    assert HEADLINES["score"](summary) == "ref.mp4: 3.53 (good; likeliest excellent p=0.40)"


def test_accuracy_is_headlined_over_the_questions_answered_with_the_failed_beside():
    line = HEADLINES["evaluate"]({"questions": 70, "answered": 4, "failed_questions": 66,
                                  "accuracy": 0.5, "chance": 0.25})
    assert line == "accuracy 0.500 (chance 0.250) on 4 answered of 70 questions, 66 failed"
    none = HEADLINES["evaluate"]({"questions": 70, "answered": 0, "failed_questions": 70})
    assert none == "no question answered of 70, 70 failed"


def test_services_say_why_they_never_started(tmp_path):
    """`vqa pipeline … --until label`: the steps that call the services never ran, so the
    services were not 'not needed because reused' — they were not started."""
    from vqa.config import load
    from vqa.pipeline.config import PipelineConfig
    from vqa.pipeline.results import results
    from vqa.pipelines.run_pipeline import Run

    cfg = load(PipelineConfig, "configs/local-pipeline.yaml", {"out": str(tmp_path)})
    until_label = Run(status={"corpus": "ran", "ingest": "ran", "label": "ran"})
    rows = {r["step"]: r["result"] for r in results(cfg, until_label)}
    assert rows["serve"] == "not started (the steps that call it did not run: annotate, score)"
    assert "reused" not in rows["endpoints"] and "did not run: annotate" in rows["endpoints"]
    all_reused = Run(status={s.name: "reused" for s in cfg.steps if s.run})
    rows = {r["step"]: r["result"] for r in results(cfg, all_reused)}
    assert rows["serve"] == "not needed (the steps that call it were reused)"
