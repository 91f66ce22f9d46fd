"""Celery tasks: another interface to the services. Arguments are primary keys."""

from __future__ import annotations

from celery import shared_task

from policy.services import simulation_run_execute, simulation_runs_reap_stale


@shared_task(name="policy.tasks.run_simulation", acks_late=True)
def run_simulation(run_id: int) -> str:
    """Execute the simulation run ``run_id``; returns its final status."""
    return simulation_run_execute(run_id=run_id).status


@shared_task(name="policy.tasks.reap_stale_simulation_runs")
def reap_stale_simulation_runs() -> list[int]:
    """Fail the simulation runs whose worker was lost or whose task never arrived."""
    return simulation_runs_reap_stale()
