"""Zotero both ways: `client` (the Web API v3, over paperswipe/transports.py), `items` (a paper as Zotero's
arXiv translator saves it), `sync` (a "Send to Zotero": collection, read-back, create, update, skip) and
`views` (connect, send, status)."""
