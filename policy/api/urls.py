"""Mounted by kreditax/urls.py under ``api/v1/`` with the namespace ``policy-api``."""

from django.urls import path

from policy.api import views

urlpatterns = [
    path("simulations", views.SimulationListView.as_view(), name="simulations"),
    path(
        "simulations/<int:simulation_id>",
        views.SimulationDetailView.as_view(),
        name="simulation-detail",
    ),
]
