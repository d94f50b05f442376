from __future__ import annotations

from django.contrib import admin

from .models import ApiToken, Membership, Scenario, ShareLink, Snapshot, Trace, Workspace


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0


@admin.register(Workspace)
class WorkspaceAdmin(admin.ModelAdmin):
    list_display = ("name", "created_at")
    inlines = [MembershipInline]


@admin.register(Snapshot)
class SnapshotAdmin(admin.ModelAdmin):
    list_display = ("name", "workspace", "source", "object_count", "created_at")
    exclude = ()
    readonly_fields = ("content_hash", "counts_by_kind", "controllers", "warnings", "files")


@admin.register(Trace)
class TraceAdmin(admin.ModelAdmin):
    list_display = ("id", "state", "snapshot", "queued_at", "finished_at", "attempts")
    list_filter = ("state",)
    raw_id_fields = ("scenario", "snapshot")


admin.site.register(Scenario)
admin.site.register(ShareLink)
admin.site.register(ApiToken)
