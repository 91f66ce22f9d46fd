from django.urls import path

from review import views

app_name = "review"

urlpatterns = [
    path("", views.queue, name="queue"),
    path("cases/<int:case_id>/", views.case_detail, name="case"),
    path("cases/<int:case_id>/claim/", views.case_claim, name="claim"),
    path("cases/<int:case_id>/resolve/", views.case_resolve, name="resolve"),
    path("cases/<int:case_id>/approve/", views.case_approve, name="approve"),
]
