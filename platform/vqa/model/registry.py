"""Models in MLflow: a `save_pretrained` folder logged as a pyfunc model (the folder kept whole as
its artifact) and registered; `models:/NAME/VERSION`, `models:/NAME@alias` and `runs:/…` URIs
resolve back to a local folder that `VQAModel.from_pretrained` loads."""

from __future__ import annotations

import warnings
from pathlib import Path

import mlflow.pyfunc

from vqa.errors import ConfigError

ARTIFACT = "model"  # the folder's key under the pyfunc model's artifacts/
URI_SCHEMES = ("models:/", "runs:/", "mlflow-artifacts:/")


# MLflow 3 asks every PythonModel subclass for type hints on `predict` (a UserWarning on stderr
# at import, in every command that loads this module, which filters cannot stop: MLflow's
# decorator resets them); our input is a list of paths or a DataFrame with a video column.
with warnings.catch_warnings():
    warnings.showwarning = lambda *args, **kwargs: None

    class VQAPyfunc(mlflow.pyfunc.PythonModel):
        """`mlflow.pyfunc.load_model(uri).predict([video paths])` → one rating dict per video."""

        def load_context(self, context):
            from vqa.model.vqa_model import VQAModel

            self.model = VQAModel.from_pretrained(context.artifacts[ARTIFACT])

        def predict(self, context, model_input, params=None):
            videos = model_input["video"].tolist() if hasattr(model_input, "columns") \
                else list(model_input)
            return [{"video": v, **self.model.rate(v)} for v in videos]


class _OwnPickle:
    """MLflow cautions that a pickled `python_model` runs code when loaded; ours is this
    module's own class (the weights travel as an artifact), so the caution reads as a fault
    where there is none."""

    def filter(self, record) -> bool:
        return "Passing a Python object as `python_model`" not in str(record.msg)


def log_model(folder: str | Path, registered_name: str | None = None) -> str:
    """Log the folder in the active run (and register it) → the model's URI."""
    import logging

    import mlflow

    log = logging.getLogger("mlflow.pyfunc")
    if not any(isinstance(f, _OwnPickle) for f in log.filters):
        log.addFilter(_OwnPickle())
    info = mlflow.pyfunc.log_model(
        name=ARTIFACT, python_model=VQAPyfunc(), artifacts={ARTIFACT: str(folder)},
        registered_model_name=registered_name,
        pip_requirements=["vqa", "torch", "transformers", "peft", "safetensors"])
    if registered_name and info.registered_model_version is not None:
        return f"models:/{registered_name}/{info.registered_model_version}"
    return info.model_uri


def resolve_model_path(ref: str | Path) -> Path:
    """A local folder as is; an MLflow model URI downloaded (cached by MLflow) to its folder."""
    ref = str(ref)
    if not ref.startswith(URI_SCHEMES):
        path = Path(ref)
        if not path.exists():
            raise ConfigError(f"model folder not found: {path}")
        return path
    import mlflow

    from vqa.tracking import existing_store, tracking_uri

    mlflow.set_tracking_uri(existing_store(ref))
    try:
        local = Path(mlflow.artifacts.download_artifacts(artifact_uri=ref))
    except mlflow.exceptions.MlflowException as exc:
        raise ConfigError(f"{ref}: not found in the MLflow registry at {tracking_uri()} "
                          f"({exc.message.splitlines()[0]})") from exc
    folder = local / "artifacts" / ARTIFACT
    if not folder.exists():
        raise ConfigError(f"{ref}: not a vqa model (no artifacts/{ARTIFACT} folder)")
    return folder
