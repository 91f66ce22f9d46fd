from django.urls import path

from review.api import views

app_name = "review_api"

urlpatterns = [
    path("decisions/<uuid:request_id>", views.DecisionStatusView.as_view(), name="decision"),
    path(
        "decisions/<uuid:request_id>/objections",
        views.ObjectionView.as_view(),
        name="objections",
    ),
    path("decisions/<uuid:request_id>/letter", views.LetterView.as_view(), name="letter"),
    path("reviews/<int:case_id>/resolve", views.ResolveView.as_view(), name="resolve"),
    path("reviews/<int:case_id>/approve", views.ApproveView.as_view(), name="approve"),
]
