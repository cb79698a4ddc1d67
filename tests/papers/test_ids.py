import pytest

from papers.ids import InvalidArxivId, parse_arxiv_id


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2511.19863", ("2511.19863", None)),
        ("2511.19863v2", ("2511.19863", 2)),
        ("0811.3648", ("0811.3648", None)),
        ("arXiv:2511.19863v1", ("2511.19863", 1)),
        ("oai:arXiv.org:2504.17830v1", ("2504.17830", 1)),
        ("oai:arXiv.org:0811.3648", ("0811.3648", None)),
        ("http://arxiv.org/abs/2202.12139v1", ("2202.12139", 1)),
        ("https://arxiv.org/pdf/2202.12139v3.pdf", ("2202.12139", 3)),
        ("https://export.arxiv.org/abs/2202.12139", ("2202.12139", None)),
        ("hep-th/9901001", ("hep-th/9901001", None)),
        ("http://arxiv.org/abs/cs/0503050v1", ("cs/0503050", 1)),
        ("quant-ph/0201082v1", ("quant-ph/0201082", 1)),
        ("math.GT/0309136", ("math/0309136", None)),
        ("  2511.19863 ", ("2511.19863", None)),
    ],
)
def test_every_id_form_reduces_to_the_bare_id(raw, expected):
    assert parse_arxiv_id(raw) == expected


@pytest.mark.parametrize("raw", ["", "abc", "2511.198", "hep-th/99", "2511.19863v0", "https://arxiv.org/api/errors#x"])
def test_invalid_ids_are_rejected(raw):
    with pytest.raises(InvalidArxivId):
        parse_arxiv_id(raw)
