"""Mounted by kreditax/urls.py under ``api/v1/`` with the namespace ``portfolio-api``."""

from django.urls import path

from portfolio.api import views

urlpatterns = [
    path("portfolio-runs", views.PortfolioRunListView.as_view(), name="portfolio-runs"),
    path(
        "portfolio-runs/<int:portfolio_run_id>",
        views.PortfolioRunDetailView.as_view(),
        name="portfolio-run-detail",
    ),
    path(
        "portfolio-runs/<int:portfolio_run_id>/cancel",
        views.PortfolioRunCancelView.as_view(),
        name="portfolio-run-cancel",
    ),
]
