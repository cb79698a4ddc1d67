"""How the deck is ordered: `ranker` (the model, pure functions over paper vectors), `reader_model` (each
reader's stored model: checkpoints, updates, refits), `queues` (a reader's ranked queue: full rescore,
reorder, nudge, reasons), `arrivals` (new papers merged into followers' queues), `candidate_pool` (each
category's newest papers, shared by a worker's readers), and `evaluation` / `log_evaluation` (simulated
readers and the real decisions, `manage.py evaluate_ranking`). docs/ranking.md says why."""
