"""Celery tasks: another interface to the services. Arguments are JSON: ids."""

from __future__ import annotations

from celery import shared_task

from portfolio.services import portfolio_run_execute, portfolio_runs_reap_stale


@shared_task(name="portfolio.tasks.run_portfolio", acks_late=True)
def run_portfolio(run_id: int) -> str:
    """Execute the portfolio run ``run_id``; returns its final status."""
    return portfolio_run_execute(run_id=run_id).status


@shared_task(name="portfolio.tasks.reap_stale_portfolio_runs")
def reap_stale_portfolio_runs() -> list[int]:
    """Fail lost and never-started portfolio runs (celery beat, every minute)."""
    return portfolio_runs_reap_stale()
