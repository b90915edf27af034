"""Sparse COO tensors: construction, coalesce, dense conversions, products and their gradients
(w.r.t. the dense operand and the values) against torch, second order by finite differences."""
import sys

import numpy as np
import pytest

import ndgrad

# torch warns that it does not check sparse invariants by default (the inputs here are valid)
# and that its sparse @ sparse goes through beta CSR support.
pytestmark = [pytest.mark.filterwarnings("ignore:Sparse invariant checks"),
              pytest.mark.filterwarnings("ignore:Sparse CSR tensor support is in beta")]

# A 3x4 matrix with a duplicate at (1, 0) and indices out of order: uncoalesced.
INDICES = [[1, 0, 2, 1, 2], [0, 3, 1, 0, 2]]
VALUES = [1.0, -2.0, 0.5, 3.0, 4.0]
SIZE = (3, 4)


def _sparse(L, dtype="float32", **kwargs):
    return L.sparse_coo_tensor(L.tensor(INDICES), L.tensor(VALUES, dtype=getattr(L, dtype)),
                               SIZE, **kwargs)


def _same(ours, theirs, rtol=1e-6):
    """Values (dense or sparse, compared densely), dtype and shape agree."""
    assert ours.is_sparse == theirs.is_sparse
    assert tuple(ours.shape) == tuple(theirs.shape)
    assert ours.dtype.name == str(theirs.dtype)[6:]
    if theirs.is_sparse:
        ours, theirs = ours.to_dense(), theirs.to_dense()
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=rtol,
                               atol=1e-6)


def test_metadata_matches_torch(torch):
    ours, theirs = _sparse(ndgrad), _sparse(torch)
    assert (ours.is_sparse, ours._nnz(), ours.is_coalesced(), ours.sparse_dim(),
            ours.dense_dim(), ours.dim(), tuple(ours.size())) == \
        (theirs.is_sparse, theirs._nnz(), theirs.is_coalesced(), theirs.sparse_dim(),
         theirs.dense_dim(), theirs.dim(), tuple(theirs.size()))
    assert repr(ours.layout) == repr(theirs.layout).replace("torch", "ndgrad")
    assert repr(ndgrad.zeros(1).layout) == "ndgrad.strided" and not ndgrad.zeros(1).is_sparse
    assert isinstance(ours, ndgrad.Tensor)
    np.testing.assert_array_equal(ours._indices().numpy(), theirs._indices().numpy())
    _same(ours._values(), theirs._values())


@pytest.mark.parametrize("name, make", [
    ("plain", lambda L: _sparse(L)),
    ("float64 int64 index", lambda L: _sparse(L, "float64")),
    ("dtype argument", lambda L: L.sparse_coo_tensor(INDICES, VALUES, SIZE, dtype=L.float64)),
    ("inferred size", lambda L: L.sparse_coo_tensor(L.tensor(INDICES), L.tensor(VALUES))),
    ("int values", lambda L: L.sparse_coo_tensor(L.tensor(INDICES), L.ones(5, dtype=L.int64),
                                                 SIZE)),
    ("empty", lambda L: L.sparse_coo_tensor(L.zeros(2, 0, dtype=L.int64), L.zeros(0), (2, 2))),
    ("3-d", lambda L: L.sparse_coo_tensor([[0, 1], [1, 0], [2, 2]], [1.0, 2.0], (2, 2, 3))),
])
def test_construction_to_dense_coalesce_and_repr_match_torch(name, make, torch):
    ours, theirs = make(ndgrad), make(torch)
    _same(ours, theirs)
    _same(ours.to_dense(), theirs.to_dense())
    coalesced, expected = ours.coalesce(), theirs.coalesce()
    assert coalesced.is_coalesced()
    np.testing.assert_array_equal(coalesced.indices().numpy(), expected.indices().numpy())
    _same(coalesced.values(), expected.values())
    for a, b in ((ours, theirs), (coalesced, expected)):
        assert repr(a) == f"{a}" == str(b).replace("torch.", "ndgrad.")


def test_dense_to_sparse_matches_torch(torch):
    data = np.array([[0.0, 1.5, 0.0], [2.0, 0.0, -1.0]], dtype=np.float32)
    ours, theirs = ndgrad.tensor(data).to_sparse(), torch.tensor(data).to_sparse()
    assert ours.is_coalesced() == theirs.is_coalesced()
    np.testing.assert_array_equal(ours.indices().numpy(), theirs.indices().numpy())
    _same(ours.values(), theirs.values())
    assert ours.to_sparse() is ours and ndgrad.tensor(data).to_dense() is not None


# Products written once (`S` sparse, `D` dense operand, `L` the library).
PRODUCTS = {
    "sparse.mm": lambda L, S, D: L.sparse.mm(S, D),
    "mm": lambda L, S, D: L.mm(S, D),
    "spmm": lambda L, S, D: L.spmm(S, D),
    "matmul": lambda L, S, D: L.matmul(S, D),
    "operator": lambda L, S, D: S @ D,
    "method mm": lambda L, S, D: S.mm(D),
    "dense @ sparse": lambda L, S, D: D.t() @ S.t(),
    "coalesced": lambda L, S, D: S.coalesce() @ D,
    "vector": lambda L, S, D: S @ D[:, 0],
}


def _operands(L, dtype):
    dense = L.tensor(np.linspace(-1, 1, 8).reshape(4, 2).astype(dtype), requires_grad=True)
    return _sparse(L, dtype, requires_grad=True), dense


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", PRODUCTS)
def test_product_and_gradients_match_torch(name, dtype, torch):
    (s_ours, d_ours), (s_theirs, d_theirs) = _operands(ndgrad, dtype), _operands(torch, dtype)
    ours, theirs = PRODUCTS[name](ndgrad, s_ours, d_ours), PRODUCTS[name](torch, s_theirs,
                                                                             d_theirs)
    _same(ours, theirs)
    weights = np.arange(ours.numel(), dtype=dtype).reshape(tuple(ours.shape))
    (ours * ndgrad.tensor(weights)).sum().backward()
    (theirs * torch.tensor(weights)).sum().backward()
    _same(d_ours.grad, d_theirs.grad)
    # The gradient of a sparse leaf is sparse, at the leaf's positions; torch's is sparse
    # after torch.sparse.mm only, dense after the others (compared at the positions).
    assert s_ours.grad.is_sparse and s_ours.grad.is_coalesced()
    expected = s_theirs.grad.to_dense() if s_theirs.grad.is_sparse else \
        s_theirs.grad * (s_theirs.detach().to_dense() != 0)
    _same(s_ours.grad.to_dense(), expected)


def test_gradient_reaches_values_given_to_the_constructor(torch):
    grads = []
    for L in (ndgrad, torch):
        values = L.tensor(VALUES, requires_grad=True)
        sparse = L.sparse_coo_tensor(L.tensor(INDICES), values, SIZE)
        assert not sparse.is_leaf and sparse.requires_grad
        (L.sparse.mm(sparse, L.ones(4, 2)) ** 2).sum().backward()
        grads.append(values.grad.numpy())
    np.testing.assert_allclose(grads[0], grads[1], rtol=1e-6)


# Differentiable conversions, written once; each returns a dense tensor.
CONVERSIONS = {
    "to_dense": lambda L, v: L.sparse_coo_tensor(L.tensor(INDICES), v, SIZE).to_dense() ** 2,
    "coalesce values": lambda L, v: L.sparse_coo_tensor(L.tensor(INDICES), v,
                                                        SIZE).coalesce().values() ** 2,
    "to_sparse values": lambda L, v: L.sparse_coo_tensor(L.tensor(INDICES), v, SIZE)
    .to_dense().to_sparse().values() * 3,
    "sparse.sum": lambda L, v: L.sparse.sum(L.sparse_coo_tensor(L.tensor(INDICES), v ** 2,
                                                                SIZE)),
    "dense + scaled": lambda L, v: L.ones(SIZE)
    + L.sparse_coo_tensor(L.tensor(INDICES), v, SIZE) * 2.0,
}


@pytest.mark.parametrize("name", CONVERSIONS)
def test_conversion_values_and_gradients_match_torch(name, torch):
    results = []
    for L in (ndgrad, torch):
        values = L.tensor(VALUES, dtype=L.float64, requires_grad=True)
        out = CONVERSIONS[name](L, values)
        out.backward(L.ones_like(out))
        results.append((out, values.grad))
    _same(results[0][0], results[1][0])
    _same(results[0][1], results[1][1])


def test_second_order_by_finite_differences():
    index = ndgrad.tensor(INDICES)

    def product(values, dense):
        return ndgrad.sparse.mm(ndgrad.sparse_coo_tensor(index, values, SIZE), dense) ** 2

    values = ndgrad.tensor(VALUES, dtype=ndgrad.float64, requires_grad=True)
    dense = ndgrad.tensor(np.linspace(-1, 1, 12).reshape(4, 3), requires_grad=True)
    assert ndgrad.autograd.gradcheck(product, (values, dense))
    assert ndgrad.autograd.gradgradcheck(product, (values, dense))


def test_sparse_sum_and_additions_match_torch(torch):
    ours, theirs = _sparse(ndgrad), _sparse(torch)
    _same(ndgrad.sparse.sum(ours), torch.sparse.sum(theirs))
    _same(ndgrad.sparse.sum(ours, 1), torch.sparse.sum(theirs, 1))
    _same(ours.sum(), theirs.sum())
    _same(ours + ours, theirs + theirs)
    _same(ndgrad.eye(3, 4) + ours, torch.eye(3, 4) + theirs)
    _same(ndgrad.ones(SIZE) - ours, torch.ones(SIZE) - theirs)
    for L, sparse in ((torch, theirs), (ndgrad, ours)):
        with pytest.raises(RuntimeError, match=r"add\(sparse, dense\) is not supported"):
            sparse + L.ones(SIZE)
    _same(-ours, -theirs)
    _same(ours * 2, theirs * 2)
    _same(ours * ndgrad.full(SIZE, 3.0), theirs * torch.full(SIZE, 3.0))
    _same(ours / 4, theirs / 4)
    _same(ours.t(), theirs.t())
    _same(ours @ ours.t(), theirs @ theirs.t())
    _same(ours.double(), theirs.double())


def test_unsupported_ops_and_bad_inputs_raise_clear_errors(torch):
    sparse = _sparse(ndgrad)
    with pytest.raises(RuntimeError, match=r"does not support sparse COO.*to_dense"):
        ndgrad.relu(sparse)
    with pytest.raises(RuntimeError, match=r"does not support sparse COO"):
        sparse.exp()
    with pytest.raises(RuntimeError, match=r"uncoalesced"):
        sparse.values()
    with pytest.raises(RuntimeError):
        _sparse(torch).values()
    with pytest.raises(RuntimeError, match=r"3x4 and 3x1"):
        ndgrad.mm(sparse, ndgrad.ones(3, 1))
    with pytest.raises(RuntimeError, match=r"float32 \(sparse\) and ndgrad.float64"):
        ndgrad.mm(sparse, ndgrad.ones(4, 1, dtype=ndgrad.float64))
    with pytest.raises(RuntimeError, match="same nnz"):
        ndgrad.sparse_coo_tensor(INDICES, [1.0], SIZE)
    with pytest.raises(RuntimeError, match="for dim 0, size is 2 but found index 2"):
        ndgrad.sparse_coo_tensor(INDICES, VALUES, (2, 4))
    with pytest.raises(RuntimeError, match="negative"):
        ndgrad.sparse_coo_tensor([[-1], [0]], [1.0], (2, 2))
    with pytest.raises(NotImplementedError, match="hybrid"):
        ndgrad.sparse_coo_tensor([[0]], [[1.0, 2.0]], (2, 2))
    with pytest.raises(TypeError, match="sparse_coo_tensor"):
        ndgrad.sparse.SparseCooTensor([1.0])


def test_missing_scipy_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "scipy.sparse", None)
    with pytest.raises(ImportError, match=r"ndgrad\[sparse\]"):
        ndgrad.sparse.mm(_sparse(ndgrad), ndgrad.ones(4, 1))
