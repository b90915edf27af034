"""The layer classes of ndgrad.nn, one family per module."""
