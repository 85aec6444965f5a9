"""movierec-tui: a keyboard-driven terminal movie recommender."""

__version__ = "0.1.0"
