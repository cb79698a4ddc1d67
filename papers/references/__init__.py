"""Papers named by a reader: `parse` reads reference files (BibTeX, RIS, CSL-JSON) and pasted ids into arXiv
ids, `resolve` turns those ids into catalog papers, fetching from arXiv the ones it lacks (seed papers and
list imports)."""
