from django.urls import path

from audit.api import views

app_name = "audit_api"

urlpatterns = [
    path("audit-log", views.AuditLogView.as_view(), name="list"),
    path("audit-log/export", views.AuditExportView.as_view(), name="export"),
    path(
        "audit-log/export/<int:export_id>/manifest",
        views.AuditExportManifestView.as_view(),
        name="export-manifest",
    ),
    path("audit-log/<uuid:request_id>", views.AuditRecordView.as_view(), name="detail"),
]
