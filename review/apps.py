from django.apps import AppConfig


class ReviewConfig(AppConfig):
    name = "review"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Every REVIEW decision (and each sampled one) opens a case in its record's
        # transaction: the audit layer calls this hook, knowing nothing of review.
        from review.services import hooks_register

        hooks_register()
