from __future__ import annotations

from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from .forms import PaperListForm, SearchForm
from .ids import InvalidArxivId, parse_arxiv_id
from .models import Category, Paper
from .search import MAX_WORDS, personal_scopes, search
from .signals import paper_viewed
from .similar import similar_papers

PAGE_SIZE = 25


def paper_list(request: HttpRequest) -> HttpResponse:
    form = PaperListForm(request.GET)
    code = form.cleaned_data["category"].strip() if form.is_valid() else ""
    papers = Paper.objects.select_related("primary_category").defer("abstract", "comment").latest_first()
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
        paper_viewed.send(sender=Paper, user=request.user, paper=paper)
    return render(request, "papers/paper_detail.html", {"paper": paper, "similar": similar_papers(paper)})


def _not_found(request: HttpRequest, arxiv_id: str) -> HttpResponse:
    return render(request, "papers/paper_not_found.html", {"arxiv_id": arxiv_id}, status=404)


def search_papers(request: HttpRequest) -> HttpResponse:
    """Full-text search of the catalog, by category and date, or within a personal scope (`in=lists`)."""
    form = SearchForm(request.GET)
    form.is_valid()  # a bad date is reported on the form and left out; the rest still searches
    query = form.cleaned_data.get("q", "")
    papers: QuerySet[Paper] = Paper.objects.select_related("primary_category").defer("comment")
    if code := form.cleaned_data.get("category"):
        papers = papers.filter(categories__code=code)
    if date_from := form.cleaned_data.get("from"):
        papers = papers.filter(published__date__gte=date_from)
    if date_to := form.cleaned_data.get("to"):
        papers = papers.filter(published__date__lte=date_to)
    scope = personal_scopes.get(form.cleaned_data.get("in", "")) if request.user.is_authenticated else None
    if scope:
        papers = scope(papers, request.user)
    results = search(papers, query) if query else papers.none()
    page = Paginator(results, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "form": form,
        "page": page,
        "q": query,
        "in_lists": scope is not None,
        "shortened": form.shortened,
        "max_words": MAX_WORDS,
        "offered": Category.objects.offered(),
    }
    return render(request, "papers/search.html", context)
