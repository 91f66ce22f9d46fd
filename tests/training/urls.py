"""The project's URLs plus the training API, as the lead mounts it in kreditax/urls.py."""

from django.urls import include, path

from kreditax.urls import urlpatterns as project_urlpatterns

urlpatterns = [
    *project_urlpatterns,
    path("api/v1/", include(("training.api.urls", "training-api"), namespace="training-api")),
]
