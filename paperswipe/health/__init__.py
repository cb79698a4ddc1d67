"""The admin's Health page: what waits in the task queues, how long decisions take to reach the deck, stale
decks, harvests, digests and failures. It may read every app; no app imports it."""
