from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import Count, OuterRef, QuerySet, Subquery
from django.http import HttpRequest

from .models import Category, HarvestRun, Paper, PaperVersion
from .tasks import harvest_category

CATEGORY_FROM_ARXIV = [
    "code",
    "archive",
    "archive_name",
    "group",
    "group_name",
    "in_taxonomy",
    "alias_of",
    "harvested_through",
    "gap_from",
    "gap_until",
]


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = [
        "code",
        "name",
        "group_name",
        "is_active",
        "display_order",
        "paper_count",
        "last_harvest",
        "last_harvest_status",
    ]
    list_editable = ["is_active", "display_order"]
    list_filter = ["is_active", "group_name", "archive", "in_taxonomy"]
    search_fields = ["code", "name", "description"]
    actions = ["offer", "withdraw", "harvest_now"]
    # Admins curate what is offered and how it reads; the rest comes from arXiv and the harvester.
    fields = ["code", "name", "description", "is_active", "display_order", *CATEGORY_FROM_ARXIV[1:]]
    readonly_fields = CATEGORY_FROM_ARXIV

    def get_queryset(self, request: HttpRequest) -> QuerySet[Category]:
        latest = HarvestRun.objects.filter(category=OuterRef("pk"), source=HarvestRun.Source.API).order_by(
            "-started_at"
        )
        return (
            super()
            .get_queryset(request)
            .annotate(
                n_papers=Count("papers", distinct=True),
                last_started=Subquery(latest.values("started_at")[:1]),
                last_status=Subquery(latest.values("status")[:1]),
            )
        )

    @admin.display(description="papers", ordering="n_papers")
    def paper_count(self, obj: Category) -> int:
        return obj.n_papers  # type: ignore[attr-defined]  # annotated by get_queryset

    @admin.display(description="last harvest", ordering="last_started")
    def last_harvest(self, obj: Category) -> object:
        return obj.last_started or "never"  # type: ignore[attr-defined]

    @admin.display(description="status")
    def last_harvest_status(self, obj: Category) -> str:
        return dict(HarvestRun.Status.choices).get(obj.last_status, "—")  # type: ignore[attr-defined]

    @admin.action(description="Offer to users")
    def offer(self, request: HttpRequest, queryset: QuerySet[Category]) -> None:
        n = queryset.filter(alias_of__isnull=True).update(is_active=True)
        self.message_user(request, f"{n} categories are now offered to users and harvested.", messages.SUCCESS)

    @admin.action(description="Withdraw")
    def withdraw(self, request: HttpRequest, queryset: QuerySet[Category]) -> None:
        n = queryset.update(is_active=False)
        self.message_user(request, f"{n} categories withdrawn: no longer offered or harvested.", messages.SUCCESS)

    @admin.action(description="Harvest now")
    def harvest_now(self, request: HttpRequest, queryset: QuerySet[Category]) -> None:
        codes = []
        for category in queryset:
            harvest_category.delay_on_commit(category.pk)
            codes.append(category.code)
        self.message_user(request, f"Harvest queued for {', '.join(codes)}. See Harvest runs for progress.")


class PaperVersionInline(admin.TabularInline):
    model = PaperVersion
    fields = ["number", "submitted", "size"]
    readonly_fields = ["number", "submitted", "size"]
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(Paper)
class PaperAdmin(admin.ModelAdmin):
    list_display = ["arxiv_id", "version", "title", "primary_category", "published", "announced_on"]
    list_select_related = ["primary_category"]
    list_filter = ["announce_type", "primary_category__group_name"]
    search_fields = ["=arxiv_id", "title", "authors"]
    date_hierarchy = "published"
    raw_id_fields = ["primary_category"]
    filter_horizontal = ["categories"]
    inlines = [PaperVersionInline]
    show_full_result_count = False


@admin.register(HarvestRun)
class HarvestRunAdmin(admin.ModelAdmin):
    list_display = [
        "started_at",
        "source",
        "category",
        "status",
        "window_start",
        "window_end",
        "requests",
        "entries",
        "created",
        "updated",
        "unchanged",
        "network_seconds",
        "finished_at",
    ]
    list_filter = ["status", "source", ("category", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["category"]
    search_fields = ["category__code", "error"]
    date_hierarchy = "started_at"

    def get_readonly_fields(self, request: HttpRequest, obj: object = None) -> list[str]:
        return [f.name for f in HarvestRun._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
