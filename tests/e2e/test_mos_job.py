"""The mos job on a local Ray cluster: a simulated study in, every output + MLflow run out."""

import json
import subprocess
import sys
from pathlib import Path

import mlflow
import pandas as pd
import pytest

from vqa.cli import main
from vqa.data import read_samples

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    from vqa.subjective.simulate import StudySpec, simulate_study

    root = tmp_path_factory.mktemp("study")
    ratings, truth, info = simulate_study(StudySpec(subjects=12, videos=60, bad_subjects=1,
                                                    seed=2))
    ratings.to_csv(root / "ratings.csv", index=False)
    overall = truth[truth["dimension"] == "overall"]
    pd.DataFrame({"video": overall["video"], "mos": (overall["truth"] - 1) * 25}).to_csv(
        root / "objective.csv", index=False)
    return root, info


def test_mos_job_writes_everything_and_logs_plots(study, tmp_path, ray_local, mlflow_uri):
    root, info = study
    out = tmp_path / "out"
    assert main(["mos", "--ratings", str(root / "ratings.csv"), "--out", str(out),
                 "--objective", str(root / "objective.csv"), "--json"]) == 0
    summary = json.loads((out / "summary.json").read_text())
    assert list(summary["rejected"]) == list(info["bad_subjects"]) == ["s11"]
    assert summary["videos"] == 60 and summary["samples"] == 8 * 60
    assert summary["splits"] == {"test": 10, "train": 40, "val": 10}
    mos = pd.read_parquet(out / "mos.parquet")
    assert len(mos) == 360 and mos["mos"].between(0, 100).all()
    assert pd.read_csv(out / "mos.csv")["mos"].tolist() == pytest.approx(mos["mos"].tolist())
    screened = pd.read_parquet(out / "ratings_screened.parquet")
    assert int(screened["outlier"].sum()) == summary["outliers_removed"] > 0
    rerate = pd.read_csv(out / "rerate.csv")
    assert len(rerate) == summary["rerate_flagged"] and (rerate["level_gap"] >= 2).all()
    videos = {}
    for split in ("train", "val", "test"):
        videos[split] = set(read_samples(out / f"samples_{split}.jsonl").column("video")
                            .to_pylist())
    assert not (videos["train"] & videos["val"] or videos["train"] & videos["test"]
                or videos["val"] & videos["test"])
    report = json.loads((out / "report.json").read_text())
    assert set(report["dimension_correlation"]) == {"color", "noise", "artifact", "blur",
                                                    "temporal", "overall"}

    client = mlflow.MlflowClient(mlflow_uri)
    exp = client.get_experiment_by_name("vqa-mos")
    run = client.search_runs([exp.experiment_id], order_by=["start_time DESC"])[0]
    assert run.data.metrics["subjects_rejected"] == 1
    assert run.data.params["screening.max_outlier_fraction"] == "0.05"
    logged = {a.path for a in client.list_artifacts(run.info.run_id, "report")}
    assert {"report/mos_histograms.png", "report/dimension_correlation.png",
            "report/report.json"} <= logged


def test_overall_only_study_gives_omnivqa_rating_qa(study, tmp_path, ray_local, mlflow_uri):
    root, _ = study
    out = tmp_path / "omni"
    assert main(["mos", "--ratings", str(root / "ratings.csv"), "--out", str(out),
                 "--dimensions", "overall", "--reference-levels", "0.2,0.2,0.2,0.2,0.2"]) == 0
    summary = json.loads((out / "summary.json").read_text())
    assert summary["splits"] == {"test": 12, "train": 48} and summary["samples"] == 60
    samples = read_samples(out / "samples.jsonl").to_pylist()
    mos = pd.read_parquet(out / "mos.parquet").set_index("video")
    for s in samples:
        assert s["conversations"][1]["value"] == \
            f"The quality of this video is {mos.loc[s['video'], 'level_name']}."
    assert "overall_levels_tv_to_reference" in summary


def test_bad_input_and_config_errors_are_named(tmp_path, capsys):
    bad = tmp_path / "bad.csv"
    bad.write_text("subject,video,dimension,score\na,v,overall,3\nb,v,overall,9\n")
    with pytest.raises(SystemExit) as err:
        main(["mos", "--ratings", str(bad), "--out", str(tmp_path / "o")])
    assert err.value.code == 2
    assert "outside the scale [1, 5]" in capsys.readouterr().err
    cfg = tmp_path / "c.yaml"
    cfg.write_text("ratings: x\nout: y\nscreening:\n  max_outlier_fractoin: 0.1\n")
    with pytest.raises(SystemExit) as err:
        main(["mos", "--config", str(cfg)])
    assert err.value.code == 2
    assert "unknown key 'max_outlier_fractoin'" in capsys.readouterr().err


def test_mos_select_cli(tmp_path):
    pool = tmp_path / "pool.csv"
    pool.write_text("video,mos\n" + "".join(f"p{i},{i % 100}\n" for i in range(500)))
    out = tmp_path / "sel.csv"
    assert main(["mos-select", "--pool", str(pool), "--num", "100", "--out", str(out)]) == 0
    sel = pd.read_csv(out)
    assert sel["level_name"].value_counts().to_dict() == {"good": 52, "fair": 40,
                                                          "excellent": 4, "poor": 4}


def test_job_entrypoint_help():
    res = subprocess.run([sys.executable, str(ROOT / "jobs/mos.py"), "--help"],
                         capture_output=True, text=True, check=True)
    for word in ("--ratings", "--reference-levels", "--dimensions", "--objective"):
        assert word in res.stdout
