"""The email digest: `sending` (who is due, a page at a time, in batches that tasks send; contents; one send
per period), `links` (the signed Keep and unsubscribe links, which need no login) and `views`."""
