from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from kreditax.metrics import metrics_view
from kreditax.views import landing
from scoring.api.errors import json_error_view
from scoring.api.security import docs_view

urlpatterns = [
    path("", landing, name="landing"),
    path("admin/", admin.site.urls),
    path("metrics", metrics_view, name="metrics"),
    path("api/v1/", include("audit.api.urls")),
    path("api/v1/", include(("scoring.api.urls", "api"), namespace="api")),
    path("api/v1/", include(("training.api.urls", "training-api"), namespace="training-api")),
    path(
        "api/v1/",
        include(("monitoring.api.urls", "monitoring-api"), namespace="monitoring-api"),
    ),
    path("api/schema/", docs_view(SpectacularAPIView.as_view()), name="schema"),
    # The split view serves its init script as a file: no inline script, for the CSP.
    path(
        "api/docs/",
        docs_view(SpectacularSwaggerSplitView.as_view(url_name="schema")),
        name="docs",
    ),
]

handler404 = json_error_view(404, "not_found", "Not found.")
handler500 = "scoring.api.errors.server_error"
