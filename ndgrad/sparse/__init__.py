"""Sparse tensors (PyTorch's torch.sparse): products and sums of sparse COO tensors.

The tensor type and its operations live in ndgrad/ops/sparse.py; make one with
ndgrad.sparse_coo_tensor or dense.to_sparse(). SciPy computes the products (pip install
'ndgrad[sparse]').
"""
from ndgrad.ops.sparse import SparseCooTensor, add, mm, spmm
from ndgrad.ops.sparse import sparse_sum as sum


def addmm(input, mat1, mat2, *, beta=1, alpha=1):
    """beta * input + alpha * (mat1 @ mat2) with a sparse mat1 and a dense input and mat2."""
    product = mm(mat1, mat2)
    return beta * input + alpha * product


__all__ = ["SparseCooTensor", "add", "addmm", "mm", "spmm", "sum"]
