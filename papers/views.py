from __future__ import annotations

from datetime import date

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from .ids import InvalidArxivId, parse_arxiv_id
from .models import Category, Paper
from .search import MAX_WORDS, bounded_query, search

PAGE_SIZE = 25


def paper_list(request: HttpRequest) -> HttpResponse:
    papers = Paper.objects.select_related("primary_category").defer("abstract", "comment").latest_first()
    code = request.GET.get("category", "").strip()
    category = Category.objects.filter(code=code).select_related("alias_of").first() if code else None
    if category:
        papers = papers.in_category(category.alias_of or category)
    page = Paginator(papers, PAGE_SIZE).get_page(request.GET.get("page"))
    offered = Category.objects.filter(is_active=True, alias_of__isnull=True)
    context = {"page": page, "category": category, "unknown_category": bool(code and not category), "offered": offered}
    return render(request, "papers/paper_list.html", context)


def paper_detail(request: HttpRequest, arxiv_id: str) -> HttpResponse:
    try:
        bare_id, _version = parse_arxiv_id(arxiv_id)
    except InvalidArxivId:
        return _not_found(request, arxiv_id)
    if bare_id != arxiv_id:
        # One URL per paper: 2511.19863v2 and arXiv:2511.19863 land on /papers/2511.19863/.
        return redirect("papers:detail", arxiv_id=bare_id, permanent=True)
    paper = Paper.objects.for_listing().prefetch_related("versions").filter(arxiv_id=bare_id).first()
    if paper is None:
        return _not_found(request, bare_id)
    if request.user.is_authenticated:
        from accounts.services import mark_seen

        mark_seen(user=request.user, paper=paper)
    return render(request, "papers/paper_detail.html", {"paper": paper})


def _not_found(request: HttpRequest, arxiv_id: str) -> HttpResponse:
    return render(request, "papers/paper_not_found.html", {"arxiv_id": arxiv_id}, status=404)


def search_papers(request: HttpRequest) -> HttpResponse:
    """Full-text search of the catalog, by category and date; `in=lists` searches the user's own lists."""
    q, shortened = bounded_query(request.GET.get("q", ""))
    papers = Paper.objects.select_related("primary_category").defer("comment")
    code = request.GET.get("category", "").strip()
    if code:
        papers = papers.filter(categories__code=code)
    date_from, date_to = _date(request.GET.get("from")), _date(request.GET.get("to"))
    if date_from:
        papers = papers.filter(published__date__gte=date_from)
    if date_to:
        papers = papers.filter(published__date__lte=date_to)
    in_lists = request.GET.get("in") == "lists" and request.user.is_authenticated
    if in_lists:
        papers = papers.filter(list_entries__reading_list__user=request.user).distinct()
    results = search(papers, q) if q else papers.none()
    page = Paginator(results, PAGE_SIZE).get_page(request.GET.get("page"))
    decided = {}
    if request.user.is_authenticated and page.object_list:
        ids = [p.pk for p in page.object_list]
        decided = dict(request.user.swipes.filter(paper_id__in=ids).values_list("paper_id", "decision"))
    context = {"page": page, "q": q, "category_code": code, "from": request.GET.get("from", ""),
               "to": request.GET.get("to", ""), "in_lists": in_lists, "decided": decided,
               "offered": Category.objects.offered(), "shortened": shortened, "max_words": MAX_WORDS}  # fmt: skip
    return render(request, "papers/search.html", context)


def _date(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None
