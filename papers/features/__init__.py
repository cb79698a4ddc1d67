"""What the ranker reads of a paper: `hashing` (its words, authors and categories as one hashed, weighted,
normalised vector) and `store` (those vectors computed when papers arrive, stored in PaperFeatures, and
kept unpacked in a per-process LRU)."""
