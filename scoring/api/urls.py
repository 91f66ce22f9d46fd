from django.urls import path

from scoring.api import views

urlpatterns = [
    path("predict", views.PredictView.as_view(), name="predict"),
    path("predict/batch", views.BatchView.as_view(), name="predict-batch"),
    path("explain", views.ExplainView.as_view(), name="explain"),
    path(
        "explain/<uuid:request_id>/waterfall.svg", views.WaterfallView.as_view(), name="waterfall"
    ),
    path("health", views.HealthView.as_view(), name="health"),
    path("ready", views.ReadyView.as_view(), name="ready"),
    path("models", views.ModelListView.as_view(), name="models"),
    path("models/<str:label>", views.ModelDetailView.as_view(), name="model-detail"),
]
