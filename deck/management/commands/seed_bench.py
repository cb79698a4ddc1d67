"""`manage.py seed_bench`: fill an empty PostgreSQL database with a synthetic arXiv for `make bench`.

Papers look like arXiv's: ids by month (2401.00001), about 24,000 a month up to now, titles of 6 to
18 words, abstracts of 100 to 260 words with some TeX, 1 to 300 authors (most have a few), the real
category mix with cross-lists, versions and replacements, announcement days and types, search
vectors, and a feature vector for the ranker. The words come from a synthetic vocabulary with a
topic per category, so that the ranker and "similar papers" find real structure.

Users follow 5 categories each; the first is the heaviest reader, with `--swipes` decisions on the
newest papers of their categories (the deck must look past all of them), and the others have fewer.
Everything is written with COPY, in chunks, then indexed and analysed.
"""

from __future__ import annotations

import itertools
import random
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, transaction
from scipy import sparse
from tqdm import tqdm

from papers.features import hashing
from papers.models import Category, Paper
from papers.names import author_keys
from papers.search import CONFIG

CHUNK = 20_000
PER_MONTH = 24_000
FOLLOWED = 5
KEEP_RATE = 0.15

# Shares of new submissions by primary category, roughly as arXiv's monthly statistics have them;
# the rest is spread over every other category.
MIX = {
    "cs.LG": 0.090,
    "cs.CV": 0.065,
    "cs.CL": 0.045,
    "cs.AI": 0.030,
    "stat.ML": 0.012,
    "cs.RO": 0.015,
    "cs.CR": 0.012,
    "quant-ph": 0.040,
    "hep-ph": 0.022,
    "hep-th": 0.018,
    "gr-qc": 0.010,
    "astro-ph.GA": 0.014,
    "astro-ph.CO": 0.010,
    "astro-ph.SR": 0.010,
    "astro-ph.HE": 0.009,
    "cond-mat.mtrl-sci": 0.020,
    "cond-mat.str-el": 0.010,
    "cond-mat.mes-hall": 0.012,
    "cond-mat.stat-mech": 0.009,
    "cond-mat.soft": 0.007,
    "physics.optics": 0.012,
    "physics.flu-dyn": 0.008,
    "math.AP": 0.012,
    "math.PR": 0.010,
    "math.CO": 0.011,
    "math.NA": 0.010,
    "math.OC": 0.012,
    "math.AG": 0.008,
    "math.NT": 0.007,
    "eess.SP": 0.012,
    "eess.SY": 0.010,
    "econ.EM": 0.003,
    "q-bio.NC": 0.004,
    "cs.SE": 0.010,
    "cs.DS": 0.006,
    "cs.IT": 0.008,
    "cs.CY": 0.006,
    "cs.HC": 0.008,
}

SYLLABLES = [c + v for c in "bcdfghklmnprstvz" for v in ("a", "e", "i", "o", "u", "an", "er", "or", "is", "on")]
FIRST = ["Ana", "Wei", "Jan", "Maria", "Li", "John", "Sara", "Ahmed", "Yuki", "Olga", "Pierre", "Chen", "Priya"]
TEX = ["$\\alpha$-stable", "$O(n\\log n)$", "$\\mathbb{R}^d$", "$\\epsilon$-optimal", "Q&A", "<5%", "$L^2$"]
TOPIC_WORDS, COMMON_WORDS, TOPIC_SHARE = 400, 1_500, 0.6
LICENSE = "http://creativecommons.org/licenses/by/4.0/"


@dataclass
class World:
    """The vocabulary, the topics and the people the synthetic papers are made of, as arrays."""

    categories: list[Category]
    weights: np.ndarray
    vocabulary: np.ndarray  # words (objects), so that a paper's words are one fancy index
    word_columns: np.ndarray  # each word's feature column, as papers/hashing.py hashes it
    topics: np.ndarray  # [category, rank] -> a word of that category's field, most frequent first
    common: np.ndarray  # words every field uses
    authors: np.ndarray  # names
    author_columns: np.ndarray
    category_columns: np.ndarray


def build_world(rng: np.random.Generator) -> World:
    offered = list(Category.objects.filter(alias_of__isnull=True).order_by("code"))
    by_code = {c.code: c for c in offered}
    known = [by_code[code] for code in MIX if code in by_code]
    rest = [c for c in offered if c.code not in MIX]
    share_left = max(0.0, 1.0 - sum(MIX[c.code] for c in known))
    weights = np.array([MIX[c.code] for c in known] + [share_left / max(1, len(rest))] * len(rest))
    syllables = np.array(SYLLABLES, dtype=object)
    words = ["".join(syllables[rng.integers(0, len(SYLLABLES), rng.choice((2, 3, 3, 4)))]) for _ in range(60_000)]
    vocabulary = np.array(list(dict.fromkeys(words)), dtype=object)
    common = np.arange(COMMON_WORDS)
    topics = np.stack([rng.choice(np.arange(COMMON_WORDS, len(vocabulary)), TOPIC_WORDS) for _ in known + rest])
    surnames = list(dict.fromkeys(w.capitalize() for w in words[:20_000]))
    names = [f"{first} {last}" for first in FIRST for last in surnames]
    return World(
        categories=known + rest,
        weights=weights / weights.sum(),
        vocabulary=vocabulary,
        word_columns=np.array([hashing.index_of(w) for w in vocabulary], dtype=np.int32),
        topics=topics,
        common=common,
        authors=np.array(names, dtype=object),
        author_columns=np.array([hashing.index_of(f"author:{hashing.author_key(n)}") for n in names], dtype=np.int32),
        category_columns=np.array([hashing.index_of(f"category:{c.code}") for c in known + rest], dtype=np.int32),
    )


def skewed(rng: np.random.Generator, size: int, n: int) -> np.ndarray:
    """Ranks in [0, n), the first ones far more often: how a field uses its words."""
    return np.minimum(n - 1, (n * rng.random(size) ** 3).astype(np.int64))


def offsets(lengths: np.ndarray) -> np.ndarray:
    return np.concatenate(([0], np.cumsum(lengths)))


@dataclass
class Chunk:
    """A chunk of synthetic papers, column by column."""

    primary: np.ndarray  # category positions in World.categories
    crosses: list[list[int]]
    title_words: np.ndarray
    title_at: np.ndarray
    abstract_words: np.ndarray
    abstract_at: np.ndarray
    authors: np.ndarray
    authors_at: np.ndarray
    vectors: list[bytes]


def make_chunk(world: World, rng: np.random.Generator, size: int) -> Chunk:
    ncat = len(world.categories)
    primary = rng.choice(ncat, size, p=world.weights)
    n_cross = rng.choice((0, 0, 0, 1, 1, 2), size)
    crosses = [
        [int(c) for c in dict.fromkeys(rng.choice(ncat, k, p=world.weights).tolist()) if c != p]
        for p, k in zip(primary, n_cross, strict=True)
    ]

    def words(lengths: np.ndarray) -> np.ndarray:
        cats = np.repeat(primary, lengths)
        topical = rng.random(len(cats)) < TOPIC_SHARE
        ranks_topic = skewed(rng, len(cats), TOPIC_WORDS)
        ranks_common = skewed(rng, len(cats), COMMON_WORDS)
        return np.where(topical, world.topics[cats, ranks_topic], world.common[ranks_common])

    title_lengths = rng.integers(6, 19, size)
    abstract_lengths = rng.integers(100, 261, size)
    title_words, abstract_words = words(title_lengths), words(abstract_lengths)
    collaboration = rng.random(size) < 0.01
    author_counts = np.where(
        collaboration, rng.integers(60, 301, size), np.clip(rng.lognormal(1.3, 0.6, size).astype(int), 1, 300)
    )
    authors = rng.integers(0, len(world.authors), int(author_counts.sum()))
    chunk = Chunk(
        primary=primary,
        crosses=crosses,
        title_words=title_words,
        title_at=offsets(title_lengths),
        abstract_words=abstract_words,
        abstract_at=offsets(abstract_lengths),
        authors=authors,
        authors_at=offsets(author_counts),
        vectors=[],
    )
    chunk.vectors = vectors(world, chunk)
    return chunk


def vectors(world: World, chunk: Chunk) -> list[bytes]:
    """The stored vectors of papers/hashing.py (sublinear counts, L2-normalised, packed) for a chunk,
    from the words' unigram columns (the title counted twice), the first authors and the categories."""
    size = len(chunk.primary)
    papers = np.arange(size)
    title_rows = np.repeat(papers, np.diff(chunk.title_at))
    abstract_rows = np.repeat(papers, np.diff(chunk.abstract_at))
    author_rows = np.repeat(papers, np.diff(chunk.authors_at))
    position = np.arange(len(chunk.authors)) - np.repeat(chunk.authors_at[:-1], np.diff(chunk.authors_at))
    first_authors = position < hashing.AUTHORS_COUNTED
    cross_rows = np.array([i for i, cs in enumerate(chunk.crosses) for _ in cs], dtype=np.int64)
    cross_cats = np.array([c for cs in chunk.crosses for c in cs], dtype=np.int64)
    rows = np.concatenate([title_rows, title_rows, abstract_rows, author_rows[first_authors], papers, cross_rows])
    cols = np.concatenate(
        [
            world.word_columns[chunk.title_words],
            world.word_columns[chunk.title_words],
            world.word_columns[chunk.abstract_words],
            world.author_columns[chunk.authors[first_authors]],
            world.category_columns[chunk.primary],
            world.category_columns[cross_cats],
        ]
    )
    counts = sparse.csr_matrix((np.ones(len(rows), np.float32), (rows, cols)), shape=(size, hashing.N_FEATURES))
    counts.sum_duplicates()
    counts.sort_indices()
    counts.data = 1.0 + np.log(counts.data)
    norms = np.sqrt(np.asarray(counts.multiply(counts).sum(axis=1)).ravel())
    counts = sparse.csr_matrix(sparse.diags(1.0 / np.maximum(norms, 1e-12)) @ counts)
    counts.sort_indices()
    indices, data, indptr = counts.indices.astype("<i4"), counts.data.astype("<f2"), counts.indptr
    return [indices[a:b].tobytes() + data[a:b].tobytes() for a, b in itertools.pairwise(indptr)]


PAPER_COLUMNS = (
    "id, arxiv_id, version, title, abstract, authors, authors_text, author_keys, primary_category_id, comment, "
    "announced_on, announce_type, listed_at, journal_ref, doi, license, published, updated, created_at, modified_at"
)


STAGED = {
    "papers_paper": PAPER_COLUMNS,
    "papers_paper_categories": "paper_id, category_id",
    "papers_paperversion": "paper_id, number, submitted, size",
    "papers_paperfeatures": "paper_id, scheme, vector, computed_at",
}


def secondary_indexes(tables: list[str]) -> list[tuple[str, str]]:
    """(name, definition) of the indexes on these tables that no constraint owns: dropped for the load,
    rebuilt after, which is many times faster than keeping a GIN index current row by row."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT i.relname, pg_get_indexdef(i.oid) FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid "
            "WHERE x.indrelid = ANY(%s::regclass[]) "
            "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)",
            [list(tables)],
        )
        return list(cursor.fetchall())


def in_parallel(statements: list[str]) -> None:
    """Each statement in a connection of its own, at once: the machine's cores share the work."""

    def run(sql: str) -> None:
        try:
            with connection.cursor() as cursor:
                # Index builds sort in memory rather than on disk; a bulk load need not wait for the WAL.
                cursor.execute("SET maintenance_work_mem TO '512MB'; SET synchronous_commit TO off")
                cursor.execute(sql)
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=len(statements)) as pool:
        for future in [pool.submit(run, sql) for sql in statements]:
            future.result()


class Command(BaseCommand):
    help = "Fill an empty PostgreSQL database with synthetic arXiv papers, users and decisions for `make bench`."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--papers", type=int, default=100_000)
        parser.add_argument("--users", type=int, default=10)
        parser.add_argument("--swipes", type=int, default=10_000, help="Decisions of the heaviest user.")
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--no-rank", action="store_true", help="Do not build the heaviest user's ranked deck.")

    def handle(self, *args: Any, **options: Any) -> None:
        if connection.vendor != "postgresql":
            raise CommandError("seed_bench writes with PostgreSQL's COPY: point DATABASE_URL at PostgreSQL.")
        if Paper.objects.exists():
            raise CommandError(
                f"seed_bench fills an empty catalog; this database holds {Paper.objects.count():,} papers. "
                "Create a fresh database, migrate it, and run seed_bench there."
            )
        n_papers, n_users, n_swipes = options["papers"], options["users"], options["swipes"]
        if n_papers < 1 or n_users < 1 or n_swipes < 0:
            raise CommandError("--papers and --users must be at least 1, --swipes at least 0.")
        rng = np.random.default_rng(options["seed"])
        started = time.perf_counter()
        world = build_world(rng)
        self.seed_papers(world, rng, n_papers)
        # Reproducible data, not secrets.
        heavy = self.seed_users(world, random.Random(options["seed"]), n_users, n_swipes)  # noqa: S311
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        if not options["no_rank"]:
            from accounts.models import User
            from deck.ranking.queues import refresh_queue

            ranked = refresh_queue(user=User.objects.get(pk=heavy))
            self.stdout.write(f"ranked the heaviest reader's deck: {ranked} cards")
        self.stdout.write(
            f"seeded {n_papers:,} papers, {n_users:,} users, {n_swipes:,} decisions for the heaviest "
            f"in {time.perf_counter() - started:.0f} s"
        )

    # --- papers --------------------------------------------------------------------------------------

    def seed_papers(self, world: World, rng: np.random.Generator, n: int) -> None:
        """COPY into unlogged staging tables, then into the catalog with search vectors, in two
        connections at once, with the catalog's secondary indexes dropped meanwhile and rebuilt after."""
        now = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
        span = timedelta(days=30 * n / PER_MONTH)
        first, step = now - span, span / n
        Category.objects.filter(pk__in=[c.pk for c in world.categories[: len(MIX)]]).update(is_active=True)
        with connection.cursor() as cursor:
            for table, columns in STAGED.items():
                cursor.execute(f"DROP TABLE IF EXISTS seed_{table}")
                cursor.execute(f"CREATE UNLOGGED TABLE seed_{table} AS SELECT {columns} FROM {table} WITH NO DATA")
        month_seq: dict[str, int] = {}
        began_papers = time.perf_counter()
        progress = tqdm(total=n, unit="paper", desc="papers", disable=None)
        with connection.cursor() as cursor:
            for start in range(0, n, CHUNK):
                size = min(CHUNK, n - start)
                chunk = make_chunk(world, rng, size)
                papers, links, versions, vectors = self.rows(world, rng, chunk, start, first, step, month_seq)
                self.copy(cursor, f"seed_papers_paper ({PAPER_COLUMNS})", papers)
                self.copy(cursor, "seed_papers_paper_categories (paper_id, category_id)", links)
                self.copy(cursor, "seed_papers_paperversion (paper_id, number, submitted, size)", versions)
                self.copy(cursor, "seed_papers_paperfeatures (paper_id, scheme, vector, computed_at)", vectors)
                progress.update(size)
        progress.close()
        self.stdout.write(f"generated and staged: {time.perf_counter() - began_papers:.0f} s")
        indexes = secondary_indexes(list(STAGED))
        with connection.cursor() as cursor:
            for name, _ in indexes:
                cursor.execute(f'DROP INDEX "{name}"')
        vector_sql = (
            f"setweight(to_tsvector('{CONFIG}', title), 'A') || setweight(to_tsvector('{CONFIG}', authors_text), 'B')"
            f" || setweight(to_tsvector('{CONFIG}', abstract), 'C')"
        )
        steps = [
            [
                f"INSERT INTO papers_paper ({PAPER_COLUMNS}, search_vector) SELECT {PAPER_COLUMNS}, {vector_sql} "
                f"FROM seed_papers_paper WHERE id % 2 = {part} ORDER BY id"
                for part in (0, 1)
            ],
            [
                "INSERT INTO papers_paper_categories (paper_id, category_id) "
                "SELECT paper_id, category_id FROM seed_papers_paper_categories; "
                "INSERT INTO papers_paperversion (paper_id, number, submitted, size) "
                "SELECT paper_id, number, submitted, size FROM seed_papers_paperversion",
                "INSERT INTO papers_paperfeatures (paper_id, scheme, vector, computed_at) "
                "SELECT paper_id, scheme, vector, computed_at FROM seed_papers_paperfeatures",
            ],
            [definition for _, definition in indexes],
            [f"DROP TABLE seed_{table}" for table in STAGED],
        ]
        labels = ("catalog and search vectors", "categories, versions, features", "indexes", "clean up")
        for label, statements in zip(labels, steps, strict=True):
            began = time.perf_counter()
            in_parallel(statements)
            self.stdout.write(f"{label}: {time.perf_counter() - began:.0f} s")
        with connection.cursor() as cursor:
            cursor.execute("SELECT setval(pg_get_serial_sequence('papers_paper', 'id'), %s)", [n])

    def rows(
        self,
        world: World,
        rng: np.random.Generator,
        chunk: Chunk,
        start: int,
        first: datetime,
        step: timedelta,
        month_seq: dict[str, int],
    ) -> tuple[list[tuple[Any, ...]], ...]:
        papers, links, versions, vectors = [], [], [], []
        size = len(chunk.primary)
        n_versions = np.where(rng.random(size) < 0.7, 1, rng.integers(2, 5, size))
        flags = rng.random((size, 5))
        hours = rng.integers(20, 97, size)
        for i in range(size):
            pk = start + i + 1
            listed = first + step * pk
            month = listed.strftime("%y%m")
            month_seq[month] = month_seq.get(month, 0) + 1
            primary = world.categories[chunk.primary[i]]
            title = " ".join(world.vocabulary[chunk.title_words[chunk.title_at[i] : chunk.title_at[i + 1]]])
            if flags[i, 0] < 0.1:
                title += f" with {TEX[pk % len(TEX)]}"
            words = world.vocabulary[chunk.abstract_words[chunk.abstract_at[i] : chunk.abstract_at[i + 1]]]
            sentences = [" ".join(words[j : j + 18]).capitalize() + "." for j in range(0, len(words), 18)]
            if flags[i, 1] < 0.3:
                sentences.insert(1, f"We show a bound of {TEX[pk % len(TEX)]} for all $n>2$.")
            names = world.authors[chunk.authors[chunk.authors_at[i] : chunk.authors_at[i + 1]]]
            version = int(n_versions[i])
            kind = "replace" if version > 1 and flags[i, 2] < 0.5 else ("cross" if flags[i, 3] < 0.15 else "new")
            published = listed - timedelta(hours=int(hours[i]))
            for number in range(1, version + 1):
                versions.append((pk, number, published + timedelta(days=30 * (number - 1)), f"{90 * number}kb"))
            links.append((pk, primary.pk))
            links.extend((pk, world.categories[c].pk) for c in chunk.crosses[i])
            vectors.append((pk, hashing.SCHEME, chunk.vectors[i], listed))
            papers.append(
                (
                    pk,
                    f"{month}.{month_seq[month]:05d}",
                    version,
                    title.capitalize(),
                    " ".join(sentences),
                    # Names are letters and spaces only: no JSON escaping is needed.
                    "[" + ", ".join(f'{{"name": "{a}", "affiliations": []}}' for a in names) + "]",
                    ", ".join(names),
                    author_keys(names),
                    primary.pk,
                    f"{pk % 40 + 5} pages, {pk % 12 + 1} figures" if flags[i, 4] < 0.6 else "",
                    listed.date(),
                    kind,
                    listed,
                    "",
                    f"10.{1000 + pk % 9000}/bench.{pk}" if flags[i, 4] < 0.2 else "",
                    LICENSE,
                    published,
                    published + timedelta(days=30 * (version - 1)),
                    listed,
                    listed,
                )
            )
        return papers, links, versions, vectors

    def copy(self, cursor: Any, target: str, rows: list[tuple[Any, ...]]) -> None:
        with cursor.copy(f"COPY {target} FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)

    # --- users and decisions ---------------------------------------------------------------------------

    def seed_users(self, world: World, rng: random.Random, n_users: int, n_swipes: int) -> int:
        """Users, their categories, lists and decisions; returns the heaviest user's id."""
        from allauth.account.models import EmailAddress

        from accounts.models import User
        from library.models import ReadingList

        password = make_password("bench passphrase 1")
        users = User.objects.bulk_create(
            [User(email=f"bench{i}@example.org", password=password) for i in range(n_users)]
        )
        EmailAddress.objects.bulk_create(
            [EmailAddress(user=u, email=u.email, verified=True, primary=True) for u in users]
        )
        followed = [c.pk for c in world.categories[:FOLLOWED]]  # the busiest categories: the hardest deck
        User.followed_categories.through.objects.bulk_create(
            [User.followed_categories.through(user_id=u.pk, category_id=c) for u in users for c in followed]
        )
        lists = ReadingList.objects.bulk_create(
            [ReadingList(user=u, name="Reading list", slug="reading-list", is_default=True) for u in users]
        )
        bench_list = ReadingList.objects.create(user=users[0], name="Benchmark list", slug="benchmark-list", position=1)
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT DISTINCT p.id FROM papers_paper p JOIN papers_paper_categories pc ON pc.paper_id = p.id "
                "WHERE pc.category_id = ANY(%s) ORDER BY p.id DESC LIMIT %s",
                [followed, n_swipes + 1000],
            )
            newest = [row[0] for row in cursor.fetchall()]
        now = datetime.now(UTC)
        with transaction.atomic(), connection.cursor() as cursor:
            for index, user in enumerate(tqdm(users, desc="decisions", unit="user", disable=None)):
                count = n_swipes if index == 0 else int(n_swipes * rng.random() / 10)
                decided = newest[:count] if index == 0 else rng.sample(newest, min(count, len(newest)))
                swipes, entries = [], []
                for paper_id in decided:
                    keep = rng.random() < KEEP_RATE
                    at = now - timedelta(minutes=rng.randint(1, 365 * 24 * 60))
                    swipes.append((user.pk, paper_id, "keep" if keep else "skip", "button", at))
                    if keep:
                        entries.append((lists[index].pk, paper_id, at, "unread", "", 1))
                self.copy(cursor, "accounts_swipe (user_id, paper_id, decision, source, created_at)", swipes)
                self.copy(
                    cursor,
                    "accounts_readinglistentry (reading_list_id, paper_id, added_at, state, note, seen_version)",
                    entries,
                )
            bench_entries = [(bench_list.pk, pk, now, "unread", "", 1) for pk in newest[:2000]]
            self.copy(
                cursor,
                "accounts_readinglistentry (reading_list_id, paper_id, added_at, state, note, seen_version)",
                bench_entries,
            )
        return users[0].pk
