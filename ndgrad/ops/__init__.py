"""Differentiable primitives, one module per family of ops."""
