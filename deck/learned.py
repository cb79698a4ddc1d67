"""What the deck has learned, in words: the terms, authors and categories that weigh most toward a keep or a
skip in the reader's model (/settings/learned/).

The model's features are hashed (papers/hashing.py), so it holds no words of its own: the words come from
the papers the reader decided lately, each looked up in the model. A word the reader never met is not in
their model either.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from accounts.models import User
from papers import common_words
from papers.features import hashing
from papers.models import Paper

from . import reasons
from .models import ForgottenFeature, ReaderModel, Swipe
from .ranking import reader_model

RECENT = 500  # the latest decisions whose papers' words are looked up
SHOWN = 10  # per list
WEIGHT_FLOOR = 0.05  # below this a weight says nothing


@dataclass(frozen=True)
class Feature:
    kind: str  # ForgottenFeature.Kind: term, author, category
    label: str  # as shown: "sparse principal", "Jane Doe", "cs.LG"
    token: str  # the feature it is in the model
    weight: float

    @property
    def interest_kind(self) -> str:
        """The Interest kind a follow or a mute of it takes (deck.models.Interest.Kind)."""
        return "keyword" if self.kind == ForgottenFeature.Kind.TERM else self.kind


@dataclass(frozen=True)
class Side:
    keep: list[Feature] = field(default_factory=list)  # weighs toward a keep, the strongest first
    skip: list[Feature] = field(default_factory=list)


@dataclass(frozen=True)
class WhatItLearned:
    decisions: int  # that the model learned from
    terms: Side
    authors: Side
    categories: Side
    forgotten: list[ForgottenFeature]

    @property
    def anything(self) -> bool:
        return any(side.keep or side.skip for side in (self.terms, self.authors, self.categories))

    # (heading, features, css) for the template, one pair per kind
    @property
    def term_sides(self) -> list[tuple[str, list[Feature], str]]:
        return _sides(self.terms)

    @property
    def author_sides(self) -> list[tuple[str, list[Feature], str]]:
        return _sides(self.authors)

    @property
    def category_sides(self) -> list[tuple[str, list[Feature], str]]:
        return _sides(self.categories)


def _sides(side: Side) -> list[tuple[str, list[Feature], str]]:
    return [("Toward a keep", side.keep, "toward-keep"), ("Toward a skip", side.skip, "toward-skip")]


def what_it_learned(*, user: User) -> WhatItLearned:
    forgotten = list(ForgottenFeature.objects.filter(user=user).order_by("-created_at"))
    checkpoint = ReaderModel.objects.filter(user=user).first()
    if checkpoint is None:
        return WhatItLearned(decisions=0, terms=Side(), authors=Side(), categories=Side(), forgotten=forgotten)
    learned = reader_model.learned(user=user, refit=False)
    weights = learned.reader.weights
    if weights is None:
        return WhatItLearned(decisions=0, terms=Side(), authors=Side(), categories=Side(), forgotten=forgotten)
    recent = Swipe.objects.filter(user=user).order_by("-created_at", "-id").values("paper_id")[:RECENT]
    papers = list(
        Paper.objects.filter(pk__in=recent).only("pk", "title", "abstract", "authors").prefetch_related("categories")
    )
    common, very_common = common_words.common(), common_words.common(reasons.VERY_COMMON)
    found: dict[str, Feature] = {}
    for paper in papers:
        names = {hashing.author_key(name): name for name in paper.author_names[: hashing.AUTHORS_COUNTED]}
        for token in reader_model.tokens_of_paper(paper):
            if token in found:
                continue
            weight = float(weights[hashing.index_of(token)])
            if abs(weight) < WEIGHT_FLOOR:
                continue
            if token.startswith("author:"):
                label = names.get(token.removeprefix("author:"), "")
                kind = ForgottenFeature.Kind.AUTHOR
            elif token.startswith("category:"):
                label, kind = token.removeprefix("category:"), ForgottenFeature.Kind.CATEGORY
            else:
                parts = token.split()
                if (len(parts) == 1 and token in common) or set(parts) <= very_common:
                    continue  # "results", "recent work": weighed, but they say nothing of a taste
                label, kind = token, ForgottenFeature.Kind.TERM
            if label:
                found[token] = Feature(kind=kind, label=label, token=token, weight=weight)
    return WhatItLearned(
        decisions=learned.decisions,
        terms=_side(found, ForgottenFeature.Kind.TERM),
        authors=_side(found, ForgottenFeature.Kind.AUTHOR),
        categories=_side(found, ForgottenFeature.Kind.CATEGORY),
        forgotten=forgotten,
    )


def _side(found: dict[str, Feature], kind: str) -> Side:
    of_kind = [feature for feature in found.values() if feature.kind == kind]
    keep = sorted((f for f in of_kind if f.weight > 0), key=lambda f: -f.weight)[:SHOWN]
    skip = sorted((f for f in of_kind if f.weight < 0), key=lambda f: f.weight)[:SHOWN]
    return Side(keep=keep, skip=skip)


def token_of(*, kind: str, value: str) -> str:
    """The feature a term (one or two words, as shown), an author's name or a category code is in the model;
    "" when the value cannot be one."""
    if kind == ForgottenFeature.Kind.AUTHOR:
        key = hashing.author_key(value)
        return f"author:{key}" if key else ""
    if kind == ForgottenFeature.Kind.CATEGORY:
        return f"category:{value}"
    words = hashing.words(value)
    return " ".join(words) if 1 <= len(words) <= 2 else ""
