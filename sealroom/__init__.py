"""Sealroom: computed, approved results from data that never leaves home."""

__version__ = "0.1.0"
