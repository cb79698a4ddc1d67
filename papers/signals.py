"""What the catalog tells the apps above it, which it never imports."""

from django.dispatch import Signal

# A signed-in reader opened a paper's page: sent with user= and paper=.
paper_viewed = Signal()

# New or changed papers got their feature vectors: sent with paper_ids=, after the commit that stored them.
features_computed = Signal()
