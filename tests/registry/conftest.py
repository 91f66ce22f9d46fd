"""The registry's tests use the training app's fixtures: versions are made by training."""

from tests.training.conftest import (  # noqa: F401  (fixtures)
    artifact_dir,
    holdout_csv,
    make_version,
    manager,
    ready_version,
    tiny_config,
    training_csv,
    training_frame,
)
