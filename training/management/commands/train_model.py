"""Train a model version and register it (or queue the training as a Celery task).

Both ways create a ``TrainingRun``: without ``--async`` this process executes it at once,
as a worker would (``training.runs.training_run_execute``).
"""

from __future__ import annotations

from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from registry.models import ModelVersion
from training.runs import TrainingQueueUnavailable, training_run_start
from training.services import TrainingFailed, TrainingRefused, model_version_train

#: Command-line option to ``TrainConfig`` field; options left out keep the core's defaults.
CONFIG_OPTIONS = ("folds", "seed", "n_estimators", "max_depth", "learning_rate", "test_size")


class Command(BaseCommand):
    help = "Train a model version on a labelled dataset and print its label and AUC."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--data",
            type=Path,
            required=True,
            help="a .csv or .parquet file (--engine dask: also a folder of .parquet parts)",
        )
        parser.add_argument("--algorithm", choices=ModelVersion.Algorithm.values, default="xgboost")
        parser.add_argument("--folds", type=int, help="cross-validation folds (0 = none)")
        parser.add_argument("--seed", type=int)
        parser.add_argument("--n-estimators", type=int, dest="n_estimators")
        parser.add_argument("--max-depth", type=int, dest="max_depth")
        parser.add_argument("--learning-rate", type=float, dest="learning_rate")
        parser.add_argument("--test-size", type=float, dest="test_size")
        parser.add_argument(
            "--spec", type=Path, help="a dataset spec (.yaml/.json) for a lender's own data"
        )
        cut_offs = parser.add_argument_group(
            "decision thresholds (default: the spec's, else PD 0.08 and 0.20)"
        )
        cut_offs.add_argument(
            "--approve-below", type=float, help="approve when the PD is below this (0..1)"
        )
        cut_offs.add_argument("--reject-from", type=float, help="reject from this PD (0..1)")
        cut_offs.add_argument(
            "--approve-rate",
            type=float,
            help="instead of cut-offs: the share to approve (0..1), on the holdout",
        )
        cut_offs.add_argument(
            "--review-rate",
            type=float,
            help="with --approve-rate: the share to send to review (0..1)",
        )
        parser.add_argument(
            "--engine",
            choices=("local", "dask"),
            default="local",
            help="dask: train with xgboost.dask on the cluster of KREDITAX_DASK_SCHEDULER "
            "(Parquet is read by the workers)",
        )
        parser.add_argument(
            "--async",
            action="store_true",
            dest="run_async",
            help="queue a training run for a Celery worker; prints the run id and task id",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        data: Path = options["data"].resolve()
        algorithm: str = options["algorithm"]
        spec: Path | None = options["spec"].resolve() if options["spec"] else None
        params = {name: options[name] for name in CONFIG_OPTIONS if options[name] is not None}
        params.update(_thresholds(options))
        try:
            engine = options["engine"]
            if options["run_async"]:
                self._queue(data=data, algorithm=algorithm, params=params, spec=spec, engine=engine)
            else:
                self._train(data=data, algorithm=algorithm, params=params, spec=spec, engine=engine)
        except (TrainingRefused, TrainingFailed, TrainingQueueUnavailable) as exc:
            raise CommandError(str(exc)) from exc

    def _train(
        self,
        *,
        data: Path,
        algorithm: str,
        params: dict[str, Any],
        spec: Path | None,
        engine: str,
    ) -> None:
        version = model_version_train(
            data_path=data, algorithm=algorithm, params=params, spec_path=spec, engine=engine
        )
        self.stdout.write(version.label)
        self.stdout.write(f"  test AUC    {_fmt(version.metrics.get('auc'))}")
        self.stdout.write(
            f"  CV AUC      {_fmt(version.metrics.get('cv_auc_mean'))}"
            f" ± {_fmt(version.metrics.get('cv_auc_std'))}"
        )
        if version.is_champion:
            self.stdout.write("  champion    yes (first ready version)")

    def _queue(
        self,
        *,
        data: Path,
        algorithm: str,
        params: dict[str, Any],
        spec: Path | None,
        engine: str,
    ) -> None:
        run = training_run_start(
            data_path=data,
            algorithm=algorithm,
            params=params,
            spec_path=spec,
            requested_by=None,
            engine=engine,
        )
        self.stdout.write(f"Queued training run {run.pk} (task {run.celery_task_id})")


def _thresholds(options: dict[str, Any]) -> dict[str, Any]:
    """``thresholds`` or ``target_rates`` parameters from the options (both sides needed)."""
    pairs = {
        "thresholds": ("approve_below", "reject_from"),
        "target_rates": ("approve_rate", "review_rate"),
    }
    params: dict[str, Any] = {}
    for param, (first, second) in pairs.items():
        given = [options[first], options[second]]
        if given == [None, None]:
            continue
        if None in given:
            flags = f"--{first.replace('_', '-')} and --{second.replace('_', '-')}"
            raise CommandError(f"Give both {flags}.")
        params[param] = {first: given[0], second: given[1]}
    return params


def _fmt(value: object) -> str:
    return f"{value:.4f}" if isinstance(value, int | float) else "-"
