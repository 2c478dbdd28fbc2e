"""The package version (one place; ``uppks_qual.__version__`` re-exports it)."""

__version__ = "0.1.0"
