"""The credit officers' pages: the queue and the case page (server-rendered, id/en).

Thin: parse, call one service or selector, render. The language is Django's language
cookie (set by the switch on every page, ``/i18n/setlang/``), English by default.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import translation
from django.views.decorators.http import require_GET, require_POST

from review import pages, selectors, services
from review.errors import CaseNotFound, ReviewError
from review.forms import ApproveForm, QueueFilterForm, ResolveForm

LOGIN_URL = "/admin/login/"
View = Callable[..., HttpResponse]


def page_lang(request: HttpRequest) -> str:
    lang = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "en")
    return lang if lang in ("id", "en") else "en"


def needs(permission: str) -> Callable[[View], View]:
    """Signed-in staff holding ``permission``; the others go to sign in (or get 403)."""

    def decorate(view: View) -> View:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            user = request.user
            if not user.is_authenticated or not user.is_staff:
                return redirect_to_login(request.get_full_path(), LOGIN_URL)
            if not user.has_perm(permission):
                raise PermissionDenied
            with translation.override(page_lang(request)):
                return view(request, *args, **kwargs)

        return wrapped

    return decorate


@require_GET
@needs("review.view_reviewcase")
def queue(request: HttpRequest) -> HttpResponse:
    form = QueueFilterForm(request.GET or None)
    queue_filter = (
        selectors.QueueFilter(**form.cleaned_data) if form.is_valid() else selectors.QueueFilter()
    )
    rows = pages.queue_rows(queue_filter=queue_filter, lang=page_lang(request))
    return render(
        request, "review/queue.html", {"form": form, "rows": rows, **pages.chrome(request)}
    )


def _case_page(request: HttpRequest, case_id: int, status: int = 200, **forms: Any) -> HttpResponse:
    lang = page_lang(request)
    try:
        context = pages.case_context(case_id=case_id, user=request.user, lang=lang)
    except CaseNotFound:
        raise Http404 from None
    context.setdefault("resolve_form", forms.get("resolve_form") or ResolveForm(lang=lang))
    context.setdefault("approve_form", forms.get("approve_form") or ApproveForm())
    return render(request, "review/case.html", {**context, **pages.chrome(request)}, status=status)


@require_GET
@needs("review.view_reviewcase")
def case_detail(request: HttpRequest, case_id: int) -> HttpResponse:
    return _case_page(request, case_id)


def _back(case_id: int) -> HttpResponseRedirect:
    return HttpResponseRedirect(reverse("review:case", kwargs={"case_id": case_id}))


def _step(request: HttpRequest, case_id: int, step: Callable[[], Any], done: str) -> HttpResponse:
    try:
        step()
    except CaseNotFound:
        raise Http404 from None
    except ReviewError as exc:
        messages.error(request, exc.message)
        return _case_page(request, case_id, status=409)
    messages.success(request, done)
    return _back(case_id)


@require_POST
@needs("review.resolve_reviewcase")
def case_claim(request: HttpRequest, case_id: int) -> HttpResponse:
    return _step(
        request,
        case_id,
        lambda: services.case_claim(case_id=case_id, user=request.user),
        translation.gettext("You hold this case now."),
    )


@require_POST
@needs("review.resolve_reviewcase")
def case_resolve(request: HttpRequest, case_id: int) -> HttpResponse:
    form = ResolveForm(request.POST, lang=page_lang(request))
    if not form.is_valid():
        return _case_page(request, case_id, status=400, resolve_form=form)
    data = form.cleaned_data
    return _step(
        request,
        case_id,
        lambda: services.case_resolve(
            case_id=case_id,
            user=request.user,
            decision=data["decision"],
            reason_code=data["reason_code"],
            note=data["note"],
        ),
        translation.gettext("Resolution recorded."),
    )


@require_POST
@needs("review.approve_reviewcase")
def case_approve(request: HttpRequest, case_id: int) -> HttpResponse:
    form = ApproveForm(request.POST)
    if not form.is_valid():
        return _case_page(request, case_id, status=400, approve_form=form)
    data = form.cleaned_data
    return _step(
        request,
        case_id,
        lambda: services.case_approve(
            case_id=case_id, user=request.user, approve=data["approve"] == "yes", note=data["note"]
        ),
        translation.gettext("Second officer's answer recorded."),
    )
