"""Polku: what employment services achieve, for whom, at what cost."""

__version__ = "0.1.0"
