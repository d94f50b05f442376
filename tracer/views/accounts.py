"""Home, workspace (members, switching) and API tokens."""

from __future__ import annotations

from uuid import UUID

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from tracer.forms import AddMemberForm, TokenForm
from tracer.models import ApiToken, Membership, Snapshot, Trace, Workspace

from .common import SESSION_WORKSPACE, AuthedRequest, base_context, current_workspace


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
    return render(
        request,
        "tracer/workspace.html",
        base_context(
            request,
            form=form,
            is_owner=is_owner,
            memberships=workspace.memberships.select_related("user"),
            workspaces=Workspace.for_user(request.user),
        ),
        status=400 if form.errors else 200,
    )


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
