"""The apps import one way only: catalog → deck → library, with accounts beneath them all."""

import ast

import pytest

from .conftest import ROOT

APPS = {"papers", "accounts", "deck", "library"}
# What each app may import of the others. papers, the catalog, imports none; accounts (identity and
# followed categories) only the catalog; the deck feeds the library, never the other way round.
ALLOWED = {
    "papers": set(),
    "accounts": {"papers"},
    "deck": {"papers", "accounts", "library"},
    "library": {"papers", "accounts"},
}


def imported_apps(app: str) -> dict[str, set[str]]:
    """Every other app that a module of `app` imports (migrations and tests aside), by module path."""
    found: dict[str, set[str]] = {}
    for path in sorted((ROOT / app).rglob("*.py")):
        if "migrations" in path.parts:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                if top in APPS and top != app:
                    found.setdefault(str(path.relative_to(ROOT)), set()).add(top)
    return found


@pytest.mark.parametrize("app", sorted(APPS))
def test_imports_follow_the_allowed_arrows(app):
    forbidden = {path: apps - ALLOWED[app] for path, apps in imported_apps(app).items() if apps - ALLOWED[app]}
    assert forbidden == {}


def test_the_walk_sees_real_imports():
    """The check above would pass on an empty walk: make sure it reads what the apps really import."""
    assert "library" in set().union(*imported_apps("deck").values())
    assert "papers" in set().union(*imported_apps("library").values())
