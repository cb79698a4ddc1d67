"""A paper's features for ranking and for "similar papers": a sparse vector computed once, and stored.

Words of the title (counted twice) and the abstract, as unigrams and bigrams, plus one token per
author and per category, hashed into a fixed space. Hashing needs no vocabulary, so a paper's vector
never changes as the catalog grows: it is computed when the paper enters the catalog (a Celery task
after the upsert) and read back as is. Weights are sublinear term counts, L2-normalised, so that the
dot product of two papers is their cosine similarity.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections.abc import Iterable, Sequence

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS
from sklearn.utils import murmurhash3_32

N_FEATURES = 2**20
# Bump when the recipe changes: `manage.py compute_features --stale` recomputes older vectors.
SCHEME = 1
AUTHORS_COUNTED = 20  # the first authors carry the paper; a 300-author list would drown its words

# Words every abstract uses: they say nothing of a paper's topic.
_GENERIC_WORDS = """paper papers show shows shown using use used uses study studied studies result results present
    presents
    presented propose proposed proposes new based approach method methods find finds found obtain obtained derive
    derived consider considered given provide provides provided demonstrate demonstrates allow allows work works
    recent recently known order via different several number case cases general various terms possible large small
    high low make makes made way ways also however well first second able thus including include includes"""
GENERIC = frozenset(_GENERIC_WORDS.split())
_WORD = re.compile(r"[a-z][a-z0-9]+(?:-[a-z0-9]+)*")
_TEX = re.compile(r"\\[a-zA-Z]+|[{}$^_]")


def words(text: str) -> list[str]:
    """Lower-case words without TeX commands and stop words: what a reader would call the topic."""
    text = _TEX.sub(" ", unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower())
    return [w for w in _WORD.findall(text) if len(w) > 2 and w not in ENGLISH_STOP_WORDS and w not in GENERIC]


def terms(text: str) -> list[str]:
    """The words of `words(text)` and the two-word phrases that stand side by side in the text, no stop word,
    comma or full stop between them ("black hole", never "density isotropic" out of "density is isotropic"):
    what a reason may quote. Each is also a feature, so the model has a weight for it."""
    text = _TEX.sub(" ", unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower())
    found = list(_WORD.finditer(text))
    kept = [len(m[0]) > 2 and m[0] not in ENGLISH_STOP_WORDS and m[0] not in GENERIC for m in found]
    out = [m[0] for m, keep in zip(found, kept, strict=True) if keep]
    for i in range(len(found) - 1):
        if kept[i] and kept[i + 1] and not text[found[i].end() : found[i + 1].start()].strip():
            out.append(f"{found[i][0]} {found[i + 1][0]}")
    return out


def tokens(*, title: str, abstract: str, authors: Sequence[str], categories: Sequence[str]) -> list[str]:
    title_words, abstract_words = words(title), words(abstract)
    out: list[str] = []
    for text in (title_words, title_words, abstract_words):
        out += text
        out += [f"{a} {b}" for a, b in itertools.pairwise(text)]
    out += [f"author:{author_key(name)}" for name in authors[:AUTHORS_COUNTED]]
    out += [f"category:{code}" for code in categories]
    return out


def author_key(name: str) -> str:
    """'Jane Q. Doe' and 'J. Doe' meet as 'doe_j': surname and first initial, accents dropped."""
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    parts = re.findall(r"[a-z]+", plain)
    return f"{parts[-1]}_{parts[0][0]}" if len(parts) > 1 else (parts[0] if parts else "")


def index_of(token: str) -> int:
    return murmurhash3_32(token, seed=0, positive=True) % N_FEATURES


def vectorize(token_lists: Iterable[Sequence[str]]) -> sparse.csr_matrix:
    """One L2-normalised row per paper; weight = 1 + log(count)."""
    indptr, indices, values = [0], [], []
    for toks in token_lists:
        counts: dict[int, int] = {}
        for token in toks:
            i = index_of(token)
            counts[i] = counts.get(i, 0) + 1
        cols = np.fromiter(counts.keys(), dtype=np.int32, count=len(counts))
        vals = 1.0 + np.log(np.fromiter(counts.values(), dtype=np.float32, count=len(counts)))
        norm = float(np.sqrt((vals * vals).sum())) or 1.0
        order = np.argsort(cols)
        indices.append(cols[order])
        values.append((vals / norm)[order])
        indptr.append(indptr[-1] + len(counts))
    data = np.concatenate(values) if values else np.zeros(0, np.float32)
    cols = np.concatenate(indices) if indices else np.zeros(0, np.int32)
    return sparse.csr_matrix((data, cols, np.array(indptr)), shape=(len(indptr) - 1, N_FEATURES), dtype=np.float32)


def pack(row: sparse.csr_matrix) -> bytes:
    """A stored vector: its indices (int32) then its weights (float16), about 6 bytes a feature."""
    return row.indices.astype("<i4").tobytes() + row.data.astype("<f2").tobytes()


def unpack_rows(blobs: Sequence[bytes]) -> sparse.csr_matrix:
    """Stored vectors back into one matrix, a row per blob (an empty blob is an empty row)."""
    indptr, indices, values = [0], [], []
    for blob in blobs:
        n = len(blob) // 6
        indices.append(np.frombuffer(blob, dtype="<i4", count=n))
        values.append(np.frombuffer(blob, dtype="<f2", count=n, offset=4 * n).astype(np.float32))
        indptr.append(indptr[-1] + n)
    data = np.concatenate(values) if values else np.zeros(0, np.float32)
    cols = np.concatenate(indices) if indices else np.zeros(0, np.int32)
    return sparse.csr_matrix((data, cols, np.array(indptr)), shape=(len(blobs), N_FEATURES), dtype=np.float32)
