from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from kreditax.metrics import metrics_view
from kreditax.token_views import (
    PersonTokenLogoutView,
    PersonTokenObtainView,
    PersonTokenRefreshView,
)
from kreditax.views import landing
from scoring.api.errors import json_error_view
from scoring.api.security import docs_view

urlpatterns = [
    path("", landing, name="landing"),
    path("admin/", admin.site.urls),
    path("review/", include("review.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/auth/token", PersonTokenObtainView.as_view(), name="token"),
    path("api/v1/auth/token/refresh", PersonTokenRefreshView.as_view(), name="token-refresh"),
    path("api/v1/auth/token/logout", PersonTokenLogoutView.as_view(), name="token-logout"),
    path("metrics", metrics_view, name="metrics"),
    path("api/v1/", include("audit.api.urls")),
    path("api/v1/", include("review.api.urls")),
    path("api/v1/", include(("scoring.api.urls", "api"), namespace="api")),
    path("api/v1/", include(("training.api.urls", "training-api"), namespace="training-api")),
    path("api/v1/", include(("policy.api.urls", "policy-api"), namespace="policy-api")),
    path("api/v1/", include(("portfolio.api.urls", "portfolio-api"), namespace="portfolio-api")),
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
