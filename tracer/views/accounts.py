"""Home, workspace (members and their roles, invitations, leaving, switching) and API tokens.

A workspace always keeps an owner: the last one can be neither removed nor demoted, and cannot leave.
"""

from __future__ import annotations

from uuid import UUID

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from tracer.forms import AddMemberForm, TokenForm
from tracer.models import ApiToken, Membership, Snapshot, Trace, Workspace

from .common import SESSION_WORKSPACE, AuthedRequest, base_context, current_workspace
from .invites import InviteForm, accept_url, email_enabled


@login_required
@require_GET
def home(request: AuthedRequest) -> HttpResponse:
    workspace = current_workspace(request)
    return render(
        request,
        "tracer/home.html",
        base_context(
            request,
            traces=Trace.objects.filter(workspace=workspace).select_related("scenario", "snapshot")[:10],
            snapshots=Snapshot.objects.filter(workspace=workspace)[:10],
        ),
    )


@login_required
@require_http_methods(["GET", "POST"])
def workspace_page(request: AuthedRequest) -> HttpResponse:
    workspace = current_workspace(request)
    is_owner = workspace.is_owner(request.user)
    form = AddMemberForm()
    if request.method == "POST":
        if not is_owner:
            raise Http404("only the owner adds members")
        form = AddMemberForm(request.POST)
        if form.is_valid():
            user = get_user_model().objects.filter(username=form.cleaned_data["username"]).first()
            if user is None:
                form.add_error("username", "No user with that username.")
            elif workspace.memberships.filter(user=user).exists():
                form.add_error("username", "Already a member.")
            else:
                Membership.objects.create(workspace=workspace, user=user, role=Membership.Role.MEMBER)
                messages.success(request, f"{user.get_username()} joined {workspace.name}.")
                return redirect("tracer-workspace")
    invites = workspace.invites.filter(accepted_at__isnull=True, revoked_at__isnull=True).select_related("created_by")
    return render(
        request,
        "tracer/workspace.html",
        base_context(
            request,
            form=form,
            is_owner=is_owner,
            memberships=workspace.memberships.select_related("user"),
            workspaces=Workspace.for_user(request.user),
            roles=Membership.Role.choices,
            invite_form=InviteForm(),
            invites=[(invite, accept_url(request, invite)) for invite in invites] if is_owner else [],
            email_enabled=email_enabled(),
            signup_enabled=settings.TRACER_SIGNUP,
            last_owner=workspace.role_of(request.user) == Membership.Role.OWNER and _owner_count(workspace) == 1,
        ),
        status=400 if form.errors else 200,
    )


def _owner_count(workspace: Workspace) -> int:
    return workspace.memberships.filter(role=Membership.Role.OWNER).count()


def _member_for_owner(request: AuthedRequest) -> Membership:
    """The membership named in the form, in the current workspace, for one of its owners to change."""
    workspace = current_workspace(request)
    if not workspace.is_owner(request.user):
        raise PermissionDenied("Only an owner of the workspace changes roles and removes members.")
    membership = (
        # Locked until the change commits, with the other owners, so two owners cannot demote each other at once.
        workspace.memberships.select_for_update()
        .select_related("user", "workspace")
        .filter(user__username=request.POST.get("username", ""))
        .first()
    )
    if membership is None:
        raise Http404("no such member")
    return membership


def _keeps_an_owner(membership: Membership) -> bool:
    """False when ``membership`` is the workspace's only owner (so it must stay one)."""
    if membership.role != Membership.Role.OWNER:
        return True
    others = membership.workspace.memberships.select_for_update().filter(role=Membership.Role.OWNER)
    return others.exclude(pk=membership.pk).exists()


@login_required
@require_POST
def member_role(request: AuthedRequest) -> HttpResponse:
    role = request.POST.get("role", "")
    if role not in Membership.Role.values:
        raise Http404("no such role")
    with transaction.atomic():
        membership = _member_for_owner(request)
        name = membership.user.get_username()
        if role != Membership.Role.OWNER and not _keeps_an_owner(membership):
            messages.error(request, f"{name} is the only owner: make someone else an owner first.")
        else:
            Membership.objects.filter(pk=membership.pk).update(role=role)
            messages.success(request, f"{name} is now {Membership.Role(role).label.lower()}.")
    return redirect(f"{reverse('tracer-workspace')}#members")


@login_required
@require_POST
def member_remove(request: AuthedRequest) -> HttpResponse:
    with transaction.atomic():
        membership = _member_for_owner(request)
        name = membership.user.get_username()
        if not _keeps_an_owner(membership):
            messages.error(request, f"{name} is the only owner: make someone else an owner first.")
        else:
            membership.delete()
            messages.success(request, f"{name} was removed from {membership.workspace.name}.")
    return redirect(f"{reverse('tracer-workspace')}#members")


@login_required
@require_POST
def workspace_leave(request: AuthedRequest) -> HttpResponse:
    """Leave the current workspace (not as its only owner); the user's own workspace becomes the current one."""
    with transaction.atomic():
        workspace = current_workspace(request)
        membership = workspace.memberships.select_for_update().filter(user=request.user).first()
        if membership is None:
            raise Http404("not a member")
        if not _keeps_an_owner(membership):
            messages.error(request, f"You are the only owner of {workspace.name}: make someone else an owner first.")
            return redirect("tracer-workspace")
        membership.delete()
    request.session.pop(SESSION_WORKSPACE, None)
    messages.success(request, f"You left {workspace.name}.")
    return redirect("tracer-workspace")


@login_required
@require_POST
def workspace_switch(request: AuthedRequest) -> HttpResponse:
    try:
        wanted = UUID(request.POST.get("workspace", ""))
    except ValueError as exc:
        raise Http404("no such workspace") from exc
    workspace = Workspace.for_user(request.user).filter(pk=wanted).first()
    if workspace is None:
        raise Http404("no such workspace")
    request.session[SESSION_WORKSPACE] = str(workspace.pk)
    messages.info(request, f"Now working in {workspace.name}.")
    return redirect("tracer-home")


@login_required
@require_http_methods(["GET", "POST"])
def tokens(request: AuthedRequest) -> HttpResponse:
    workspace = current_workspace(request)
    new_token = None
    form = TokenForm()
    if request.method == "POST":
        form = TokenForm(request.POST)
        if form.is_valid():
            _, new_token = ApiToken.issue(request.user, form.cleaned_data["name"], workspace)
            form = TokenForm()
    return render(
        request,
        "tracer/tokens.html",
        base_context(
            request,
            form=form,
            new_token=new_token,
            tokens=ApiToken.objects.filter(user=request.user).select_related("workspace"),
            api_base=request.build_absolute_uri("/api/v1/"),
        ),
    )


@login_required
@require_POST
def token_revoke(request: AuthedRequest, token_id: UUID) -> HttpResponse:
    deleted, _ = ApiToken.objects.filter(user=request.user, public_id=token_id).delete()
    if not deleted:
        raise Http404("no such token")
    messages.success(request, "Token revoked.")
    return redirect("tracer-tokens")
