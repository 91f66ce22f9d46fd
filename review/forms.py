"""The forms of the review pages (the API has its serializers)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from review.models import ReviewCase
from review.services import FINAL_DECISIONS, NOTE_MAX_CHARS


def reason_choices(lang: str) -> list[tuple[str, str]]:
    index = 1 if lang == "id" else 0
    return [
        (code, f"{code}: {texts[index]}")
        for code, texts in settings.KREDITAX_REVIEW_REASON_CODES.items()
    ]


class ResolveForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Final decision"), choices=[(d, d) for d in FINAL_DECISIONS]
    )
    reason_code = forms.ChoiceField(label=_("Reason code"), choices=[])
    note = forms.CharField(
        label=_("Note (encrypted; officers and compliance only)"),
        required=False,
        max_length=NOTE_MAX_CHARS,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args: Any, lang: str = "en", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        reason = self.fields["reason_code"]
        assert isinstance(reason, forms.ChoiceField)
        reason.choices = reason_choices(lang)


class ApproveForm(forms.Form):
    approve = forms.ChoiceField(
        label=_("Second officer"),
        choices=[("yes", _("Approve the override")), ("no", _("Refuse it"))],
    )
    note = forms.CharField(
        label=_("Note"),
        required=False,
        max_length=NOTE_MAX_CHARS,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class QueueFilterForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Kind"), required=False, choices=[("", _("all")), *ReviewCase.Kind.choices]
    )
    client = forms.CharField(label=_("Client"), required=False, max_length=80)
    grade = forms.ChoiceField(
        label=_("Grade"), required=False, choices=[("", _("all"))] + [(g, g) for g in "ABCDE"]
    )
    assignee = forms.CharField(label=_("Assignee"), required=False, max_length=150)
