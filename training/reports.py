"""The model report of a version, read from its verified artifact for the admin."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from credit_ml.artifacts import ArtifactError, read_manifest, read_verified_files
from credit_ml.report import PLOTS
from credit_ml.scoring import ModelManifest
from registry.errors import ModelVersionNotReady
from registry.models import ModelVersion


@dataclass(frozen=True)
class ModelReport:
    """What the report page shows; ``plots`` are PNG data URIs by file name."""

    version: ModelVersion
    manifest: ModelManifest
    plots: dict[str, str]

    @property
    def metrics(self) -> dict[str, Any]:
        return dict(self.manifest.metrics)

    @property
    def fairness_rows(self) -> list[dict[str, Any]]:
        fairness: dict[str, list[dict[str, Any]]] = self.metrics.get("fairness") or {}
        return [{"attribute": name, **row} for name, rows in fairness.items() for row in rows]


def model_version_report(*, version: ModelVersion) -> ModelReport:
    """The report of a READY version; raises ``ModelVersionNotReady`` or ``ArtifactError``."""
    if version.status != ModelVersion.Status.READY:
        raise ModelVersionNotReady(f"Model version {version.label} is {version.status}.")
    files = read_verified_files(
        Path(version.artifact_path), expected_sha256=version.artifact_sha256
    )
    plots = {
        name: "data:image/png;base64," + base64.b64encode(files[f"report/{name}"]).decode("ascii")
        for name in PLOTS
        if f"report/{name}" in files  # versions saved before a plot existed lack it
    }
    return ModelReport(version=version, manifest=read_manifest(files), plots=plots)


__all__ = ["ArtifactError", "ModelReport", "model_version_report"]
