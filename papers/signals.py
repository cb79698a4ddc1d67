"""What the catalog tells the apps above it, which it never imports."""

from django.dispatch import Signal

# A signed-in reader opened a paper's page: sent with user= and paper=.
paper_viewed = Signal()
