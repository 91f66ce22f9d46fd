"""Mounted by kreditax/urls.py under ``api/v1/`` with the namespace ``training-api``."""

from django.urls import path

from training.api import views

urlpatterns = [
    path("training-runs", views.TrainingRunListView.as_view(), name="training-runs"),
    path(
        "training-runs/<int:run_id>",
        views.TrainingRunDetailView.as_view(),
        name="training-run-detail",
    ),
    path(
        "models/<str:label>/challenger",
        views.ChallengerView.as_view(),
        name="model-challenger",
    ),
]
