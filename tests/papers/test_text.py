from papers.text import clean_abstract, decode_tex_accents, split_authors


def test_tex_accents_become_unicode():
    assert decode_tex_accents(r"St\'ephane, G{\"o}del, \c{C}a\u{g}lar, Erd\H{o}s, {\ss}, \o ystein") == (
        "Stéphane, Gödel, Çağlar, Erdős, ß, øystein"
    )


def test_split_authors_keeps_affiliations_and_handles_and():
    assert split_authors(r"Wei Wang, Yue-Long Shen, and Cai-Dian L\"u (IHEP, CAS)") == [
        ("Wei Wang", []),
        ("Yue-Long Shen", []),
        ("Cai-Dian Lü", ["IHEP, CAS"]),
    ]
    assert split_authors("A. Smith and B. Jones") == [("A. Smith", []), ("B. Jones", [])]
    assert split_authors("Michel Broniatowski (LSTA), Amor Keziou (LSTA, LM-Reims)") == [
        ("Michel Broniatowski", ["LSTA"]),
        ("Amor Keziou", ["LSTA, LM-Reims"]),
    ]


def test_clean_abstract_unwraps_lines_and_keeps_paragraphs():
    raw = "  The problem of estimating\nthe pth moment.\n  Previously, it was\nknown.\n"
    assert clean_abstract(raw) == "The problem of estimating the pth moment.\n\nPreviously, it was known."
