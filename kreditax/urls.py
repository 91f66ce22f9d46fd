from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from kreditax.views import landing
from scoring.api.errors import json_error_view

urlpatterns = [
    path("", landing, name="landing"),
    path("admin/", admin.site.urls),
    path("api/v1/", include("audit.api.urls")),
    path("api/v1/", include(("scoring.api.urls", "api"), namespace="api")),
    path("api/v1/", include(("training.api.urls", "training-api"), namespace="training-api")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="docs"),
]

handler404 = json_error_view(404, "not_found", "Not found.")
handler500 = "scoring.api.errors.server_error"
