from django.contrib import admin

from .models import Group, Invitation, Membership


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    raw_id_fields = ["user"]
    readonly_fields = ["joined_at"]


class InvitationInline(admin.TabularInline):
    model = Invitation
    extra = 0
    raw_id_fields = ["invited_by"]
    readonly_fields = ["created_at", "uses"]
    fields = ["email", "invited_by", "max_uses", "uses", "created_at", "expires_at", "revoked_at"]


@admin.register(Group)
class GroupAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "created_at"]
    search_fields = ["name", "slug"]
    inlines = [MembershipInline, InvitationInline]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "group", "role", "shares_keeps", "club_email", "joined_at"]
    list_filter = ["role", "shares_keeps", "club_email"]
    search_fields = ["user__email", "group__name"]
    raw_id_fields = ["user", "group"]


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = ["group", "email", "invited_by", "uses", "max_uses", "expires_at", "revoked_at"]
    search_fields = ["group__name", "email"]
    raw_id_fields = ["group", "invited_by"]
    readonly_fields = ["created_at"]
