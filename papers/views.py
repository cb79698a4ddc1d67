from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from .ids import InvalidArxivId, parse_arxiv_id
from .models import Category, Paper

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
    return render(request, "papers/paper_detail.html", {"paper": paper})


def _not_found(request: HttpRequest, arxiv_id: str) -> HttpResponse:
    return render(request, "papers/paper_not_found.html", {"arxiv_id": arxiv_id}, status=404)
