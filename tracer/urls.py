from __future__ import annotations

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path, re_path

from tracer.views import (
    accounts,
    api,
    dataplanes,
    fixes,
    imports,
    invites,
    iterate,
    manage,
    profiles,
    routes,
    rules,
    share,
    snapshots,
    traces,
)

urlpatterns = [
    path("", accounts.home, name="tracer-home"),
    path("login/", invites.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    # /snapshots/
    path("snapshots/", snapshots.snapshot_list, name="tracer-snapshots"),
    path("snapshots/upload/", snapshots.upload, name="tracer-upload"),
    path("snapshots/pull/", include("tracer.kube.urls")),
    path("snapshots/<uuid:snapshot_id>/", snapshots.snapshot_detail, name="tracer-snapshot"),
    path("snapshots/<uuid:snapshot_id>/object/", snapshots.snapshot_object, name="tracer-snapshot-object"),
    path("snapshots/<uuid:snapshot_id>/diff/", snapshots.snapshot_diff, name="tracer-snapshot-diff"),
    path("snapshots/<uuid:snapshot_id>/routes/", routes.snapshot_routes, name="tracer-snapshot-routes"),
    path("snapshots/<uuid:snapshot_id>/diff/compare/", iterate.diff_compare, name="tracer-diff-compare"),
    path("snapshots/<uuid:snapshot_id>/dataplanes/", dataplanes.snapshot_dataplanes, name="tracer-snapshot-dataplanes"),
    path("snapshots/<uuid:snapshot_id>/dataplanes/trace/", dataplanes.dataplanes_trace,
         name="tracer-dataplanes-trace"),
    path("snapshots/<uuid:snapshot_id>/traces/", traces.trace_create, name="tracer-trace-create"),
    path("snapshots/<uuid:snapshot_id>/profiles/", profiles.profile_save, name="tracer-profile-save"),
    path("snapshots/<uuid:snapshot_id>/rename/", manage.snapshot_rename, name="tracer-snapshot-rename"),
    path("snapshots/<uuid:snapshot_id>/delete/", manage.snapshot_delete, name="tracer-snapshot-delete"),
    # /traces/
    path("traces/", traces.trace_list, name="tracer-traces"),
    path("traces/import/", imports.trace_import, name="tracer-trace-import"),
    path("traces/<uuid:trace_id>/", traces.trace_detail, name="tracer-trace"),
    path("traces/<uuid:trace_id>/status/", traces.trace_status, name="tracer-trace-status"),
    path("traces/<uuid:trace_id>/hops/<int:r>/<int:i>/", traces.trace_hop, name="tracer-trace-hop"),
    path("traces/<uuid:trace_id>.json", traces.trace_json, name="tracer-trace-json"),
    path("traces/<uuid:trace_id>.svg", traces.trace_svg, name="tracer-trace-svg"),
    path("traces/<uuid:trace_id>.md", traces.trace_md, name="tracer-trace-md"),
    path("traces/<uuid:trace_id>/rerun/", traces.trace_rerun, name="tracer-trace-rerun"),
    path("traces/<uuid:trace_id>/fix/", fixes.trace_fix, name="tracer-trace-fix"),
    path("traces/<uuid:trace_id>/compare/", fixes.trace_compare, name="tracer-trace-compare"),
    path("traces/<uuid:trace_id>/dataplane/", dataplanes.trace_on_dataplane, name="tracer-trace-dataplane"),
    path("traces/<uuid:trace_id>/edit/", iterate.trace_edit, name="tracer-trace-edit"),
    path("traces/<uuid:trace_id>/follow/", iterate.trace_follow, name="tracer-trace-follow"),
    path("traces/<uuid:trace_id>/share/", traces.share_create, name="tracer-share-create"),
    path("traces/<uuid:trace_id>/delete/", manage.trace_delete, name="tracer-trace-delete"),
    path("traces/<uuid:trace_id>/rename/", manage.trace_rename, name="tracer-trace-rename"),
    path("share/<str:token>/revoke/", traces.share_revoke, name="tracer-share-revoke"),
    # /t/<token> (share links)
    re_path(r"^t/(?P<token>[A-Za-z0-9_-]+)$", share.share_view, name="tracer-share"),
    path("t/<str:token>/hops/<int:r>/<int:i>/", share.share_hop, name="tracer-share-hop"),
    re_path(r"^t/(?P<token>[A-Za-z0-9_-]+)\.(?P<fmt>json|svg|md)$", share.share_download, name="tracer-share-download"),
    # the rule catalog (public documentation)
    path("rules/", rules.rules_index, name="tracer-rules"),
    path("rules/<slug:slug>/", rules.rules_page, name="tracer-rules-page"),
    # workspace and tokens
    path("workspace/", accounts.workspace_page, name="tracer-workspace"),
    path("workspace/switch/", accounts.workspace_switch, name="tracer-workspace-switch"),
    path("workspace/leave/", accounts.workspace_leave, name="tracer-workspace-leave"),
    path("workspace/members/role/", accounts.member_role, name="tracer-member-role"),
    path("workspace/members/remove/", accounts.member_remove, name="tracer-member-remove"),
    path("workspace/invites/", invites.invite_create, name="tracer-invite-create"),
    path("workspace/invites/<str:token>/revoke/", invites.invite_revoke, name="tracer-invite-revoke"),
    path("invite/<str:token>/", invites.invite_accept, name="tracer-invite"),
    path("signup/", invites.signup, name="tracer-signup"),
    path("tokens/", accounts.tokens, name="tracer-tokens"),
    path("tokens/<uuid:token_id>/revoke/", accounts.token_revoke, name="tracer-token-revoke"),
    # /api/v1/
    path("api/v1/snapshots", api.snapshots, name="tracer-api-snapshots"),
    path("api/v1/snapshots/<uuid:snapshot_id>", api.snapshot_detail, name="tracer-api-snapshot"),
    path("api/v1/traces", api.traces, name="tracer-api-traces"),
    path("api/v1/traces/import", imports.api_trace_import, name="tracer-api-trace-import"),
    path("api/v1/traces/<uuid:trace_id>", api.trace_detail, name="tracer-api-trace"),
    path("admin/", admin.site.urls),
]
