"""Mounted by kreditax/urls.py under ``api/v1/`` with the namespace ``monitoring-api``."""

from django.urls import path

from monitoring.api import views

urlpatterns = [
    path("monitoring/report", views.MonitoringReportView.as_view(), name="monitoring-report"),
]
