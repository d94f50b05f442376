"""Workspace invitations: owners invite by e-mail address or by an open link; the invitee accepts at
/invite/<token>/ (after logging in, or after creating an account at /signup/ when sign-up is on).

An e-mail invitation is accepted only by an account with that address (compared case-insensitively); a link
invitation by whoever opens it first. Either is accepted once; the owner may revoke it while it is open.
"""

from __future__ import annotations

import logging
import smtplib
from typing import Any
from urllib.parse import urlencode, urlsplit

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model, login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import UserCreationForm
from django.core.exceptions import PermissionDenied
from django.core.mail import mailers, send_mail
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import Resolver404, resolve, reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from tracer.models import Invite, Membership

from .common import SESSION_WORKSPACE, AuthedRequest, base_context, current_workspace

logger = logging.getLogger(__name__)


class InviteForm(forms.Form):
    email = forms.EmailField(
        label="E-mail address",
        required=False,
        widget=forms.EmailInput(attrs={"placeholder": "Empty: an open link", "data-testid": "invite-email"}),
        help_text="Leave it empty for a link that the first person to open it can accept.",
    )
    role = forms.ChoiceField(
        choices=Membership.Role.choices,
        initial=Membership.Role.MEMBER,
        widget=forms.Select(attrs={"data-testid": "invite-role"}),
    )


class SignupForm(UserCreationForm):
    """An account made to accept one invitation; an e-mail invitation fixes the address."""

    email = forms.EmailField(label="E-mail address", widget=forms.EmailInput(attrs={"data-testid": "signup-email"}))

    class Meta(UserCreationForm.Meta):
        model = get_user_model()
        fields = ("username", "email")

    def __init__(self, *args: Any, invite: Invite, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.invite = invite
        if invite.email:
            self.fields["email"].initial = invite.email
        for name in ("username", "password1", "password2"):
            self.fields[name].widget.attrs["data-testid"] = f"signup-{name}"

    def clean_email(self) -> str:
        email: str = self.cleaned_data["email"].strip()
        if self.invite.email and email.lower() != self.invite.email.lower():
            raise forms.ValidationError("The invitation was sent to another address; use that one.")
        if get_user_model().objects.filter(email__iexact=email).exists():
            raise forms.ValidationError("An account with this address exists already: log in with it instead.")
        return email


def accept_url(request: HttpRequest, invite: Invite) -> str:
    return request.build_absolute_uri(reverse("tracer-invite", args=[invite.token]))


def signup_url(invite: Invite) -> str | None:
    if not settings.TRACER_SIGNUP:
        return None
    return f"{reverse('tracer-signup')}?{urlencode({'invite': invite.token})}"


def open_invite(token: str) -> Invite | None:
    return (
        Invite.objects.select_related("workspace", "created_by")
        .filter(token=token, accepted_at__isnull=True, revoked_at__isnull=True)
        .first()
        if token
        else None
    )


def email_matches(invite: Invite, user: Any) -> bool:
    return not invite.email or invite.email.strip().lower() == (user.email or "").strip().lower()


def accept(request: HttpRequest, invite: Invite, user: Any) -> bool:
    """Make ``user`` a member with the invitation's role; False when someone accepted or revoked it first."""
    with transaction.atomic():
        # The conditional UPDATE is what makes an invitation single-use under concurrent accepts.
        taken = Invite.objects.filter(pk=invite.pk, accepted_at__isnull=True, revoked_at__isnull=True).update(
            accepted_at=timezone.now(), accepted_by=user
        )
        if not taken:
            return False
        Membership.objects.create(workspace=invite.workspace, user=user, role=invite.role)
    request.session[SESSION_WORKSPACE] = str(invite.workspace.pk)
    return True


def email_enabled() -> bool:
    """Whether Django has a mailer to send with (settings.MAILERS["default"])."""
    return "default" in mailers


def _send(request: HttpRequest, invite: Invite) -> bool:
    """E-mail the accept link when a mailer is configured; True when sent."""
    if not invite.email or not email_enabled():
        return False
    inviter = request.user.get_username()
    lines = [
        f"{inviter} invites you to the tracer workspace “{invite.workspace.name}” as {invite.get_role_display().lower()}.",
        "",
        f"Accept the invitation: {accept_url(request, invite)}",
    ]
    if settings.TRACER_SIGNUP:
        lines.append("Without an account yet, log-in offers to create one for this address.")
    try:
        send_mail(f"Join {invite.workspace.name} on tracer", "\n".join(lines), None, [invite.email], using="default")
    except (OSError, smtplib.SMTPException) as exc:
        logger.warning("could not send the invitation to %s: %s", invite.email, exc)
        return False
    return True


@login_required
@require_POST
def invite_create(request: AuthedRequest) -> HttpResponse:
    workspace = current_workspace(request)
    if not workspace.is_owner(request.user):
        raise PermissionDenied("Only an owner of the workspace invites people.")
    form = InviteForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, f"The invitation was not made: {error}")
        return redirect("tracer-workspace")
    invite = Invite.objects.create(
        workspace=workspace, email=form.cleaned_data["email"], role=form.cleaned_data["role"], created_by=request.user
    )
    role = invite.get_role_display().lower()
    if not invite.email:
        messages.success(request, f"Invitation link made ({role}): copy it below and send it; it works once.")
    elif _send(request, invite):
        messages.success(request, f"Invitation e-mailed to {invite.email} ({role}).")
    elif email_enabled():
        messages.warning(request, f"The e-mail to {invite.email} could not be sent: copy the link below and send it.")
    else:
        messages.success(request, f"Invitation for {invite.email} made ({role}): copy the link below and send it.")
    return redirect(f"{reverse('tracer-workspace')}#invites")


@login_required
@require_POST
def invite_revoke(request: AuthedRequest, token: str) -> HttpResponse:
    workspace = current_workspace(request)
    if not workspace.is_owner(request.user):
        raise PermissionDenied("Only an owner of the workspace revokes invitations.")
    revoked = Invite.objects.filter(
        workspace=workspace, token=token, accepted_at__isnull=True, revoked_at__isnull=True
    ).update(revoked_at=timezone.now())
    if not revoked:
        raise Http404("no such open invitation")
    messages.success(request, "Invitation revoked; its link no longer works.")
    return redirect(f"{reverse('tracer-workspace')}#invites")


@login_required
@require_http_methods(["GET", "POST"])
def invite_accept(request: AuthedRequest, token: str) -> HttpResponse:
    invite = open_invite(token)
    if invite is None:
        raise Http404("no such open invitation")
    ctx = base_context(request, invite=invite, mismatch=False)
    if invite.workspace.is_member(request.user):
        request.session[SESSION_WORKSPACE] = str(invite.workspace.pk)
        messages.info(request, f"You are a member of {invite.workspace.name} already.")
        return redirect("tracer-workspace")
    if not email_matches(invite, request.user):
        # Say which account is logged in, never the address the invitation went to.
        ctx["mismatch"] = True
        return render(request, "tracer/invite.html", ctx, status=403)
    if request.method == "POST":
        if not accept(request, invite, request.user):
            raise Http404("no such open invitation")
        messages.success(
            request, f"You joined {invite.workspace.name} as {invite.get_role_display().lower()}; it is your current workspace."
        )
        return redirect("tracer-workspace")
    return render(request, "tracer/invite.html", ctx)


@require_http_methods(["GET", "POST"])
def signup(request: HttpRequest) -> HttpResponse:
    """Create an account to accept an invitation; there is no sign-up without an open one."""
    token = request.POST.get("invite") or request.GET.get("invite") or ""
    invite = open_invite(token) if settings.TRACER_SIGNUP else None
    if invite is None:
        raise Http404("sign-up needs an open invitation")
    if request.user.is_authenticated:
        return redirect("tracer-invite", token=invite.token)
    form = SignupForm(request.POST or None, invite=invite)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            user = form.save()
            if not accept(request, invite, user):  # taken meanwhile: the 404 rolls the new account back too
                raise Http404("no such open invitation")
        login(request, user)
        # login() starts a new session; the accepted workspace becomes the current one in it.
        request.session[SESSION_WORKSPACE] = str(invite.workspace.pk)
        messages.success(request, f"Welcome, {user.get_username()}: you joined {invite.workspace.name}.")
        return redirect("tracer-workspace")
    return render(
        request, "registration/signup.html", {"form": form, "invite": invite}, status=400 if form.errors else 200
    )


class LoginView(auth_views.LoginView):
    """The log-in page; when it leads to an invitation and sign-up is on, it offers to create an account."""

    template_name = "registration/login.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        ctx = super().get_context_data(**kwargs)
        ctx["signup_url"] = self._signup_url()
        return ctx

    def _signup_url(self) -> str | None:
        target = self.get_redirect_url()
        if not target:
            return None
        try:
            match = resolve(urlsplit(target).path)
        except Resolver404:
            return None
        if match.url_name != "tracer-invite":
            return None
        invite = open_invite(str(match.kwargs.get("token", "")))
        return signup_url(invite) if invite is not None else None
