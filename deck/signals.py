"""What the deck tells the parts above it (the admin's Health page), which it never imports."""

from django.dispatch import Signal

# A digest could not be sent, and its period was given back for the next tick: sent with user= and period=
# from inside the `except` that caught the error, so that a receiver can read the traceback there.
digest_failed = Signal()
