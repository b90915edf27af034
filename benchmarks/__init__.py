"""Benchmarks: ndgrad beside hand-written NumPy and PyTorch on the same work."""
