"""Holds the sitecustomize.py that ndgrad.compat.install() puts on child processes' path."""
