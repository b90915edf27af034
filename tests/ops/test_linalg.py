"""Linear algebra against torch: values, gradients, second derivatives, gradcheck, errors."""
import math
import warnings

import numpy as np
import pytest

import ndgrad
from tests._oracle import Spec, assert_close, check_against_torch, check_gradcheck

# The oracle's legacy torch.cholesky / torch.qr warn that they are deprecated.
pytestmark = pytest.mark.filterwarnings("ignore:torch.(cholesky|qr) is deprecated:UserWarning")


def module_of(t):
    """The module a tensor belongs to, so one lambda can call module-level functions."""
    if isinstance(t, ndgrad.Tensor):
        return ndgrad
    import torch
    return torch


def linalg(t):
    return module_of(t).linalg


def mT(t):
    return t.transpose(-2, -1)


def eye(t):
    return module_of(t).eye(t.shape[-1], dtype=t.dtype)


def invertible(a):
    """Well conditioned: entries in [-2, 2] plus 2n on the diagonal."""
    return a + 2 * a.shape[-1] * eye(a)


def spd(a):
    """Symmetric positive definite with well separated eigenvalues (for random a)."""
    return a @ mT(a) + a.shape[-1] * eye(a)


def squares(*ts):
    """Sign-invariant views of singular/eigen/QR factors: a column's sign is arbitrary."""
    return tuple(t * t for t in ts)


def reconstruct(u, s, vh):
    return (u * s.unsqueeze(-2)) @ vh


MATMUL = [("1d@1d", (3,), (3,)), ("1d@2d", (3,), (3, 4)), ("2d@1d", (4, 3), (3,)),
          ("1d@3d", (3,), (2, 3, 4)), ("3d@1d", (2, 4, 3), (3,)), ("2d@2d", (2, 3), (3, 4)),
          ("batched", (2, 3, 4), (2, 4, 5)), ("broadcast", (2, 1, 3, 4), (5, 4, 2)),
          ("2d@3d", (3, 4), (2, 4, 5)), ("empty", (0, 3), (3, 4)), ("empty_k", (2, 0), (0, 3))]
MATMUL_FORMS = [lambda a, b: a @ b, lambda a, b: a.matmul(b),
                lambda a, b: module_of(a).matmul(a, b)]

EINSUM = [("ij,jk->ik", (2, 3), (3, 4)), ("bij,bjk->bik", (2, 2, 3), (2, 3, 4)),
          ("ij,jk", (2, 3), (3, 4)), ("ii", (3, 3)), ("ii->i", (3, 3)), ("iij,j->i", (3, 3, 2), (2,)),
          ("iji,j->ij", (3, 2, 3), (2,)), ("ij->", (3, 4)), ("ij->ji", (3, 4)), ("i,i", (4,), (4,)),
          ("i,j->ij", (2,), (3,)), ("ij,jk,kl->il", (2, 3), (3, 4), (4, 2)),
          ("ij,ij->ij", (3, 1), (1, 4)), ("...ij,...jk->...ik", (2, 1, 3, 4), (5, 4, 2)),
          ("b...,...", (2, 3), (2, 1)), ("...ii->...i", (2, 3, 3)), ("i...->...", (2, 3, 4)),
          ("ij,j->", (0, 3), (3,))]

MATRIX_NORM_ORDS = ["fro", "nuc", 2, -2, 1, -1, math.inf, -math.inf]

SPECS = [
    *[Spec(f"matmul[{label}]{k}", MATMUL_FORMS[k % 3], shapes=[sa, sb])
      for k, (label, sa, sb) in enumerate(MATMUL)],
    Spec("mm", lambda a, b: module_of(a).mm(a, b), shapes=[(2, 3), (3, 4)]),
    Spec("Tensor.mm", lambda a, b: a.mm(b), shapes=[(2, 3), (3, 4)]),
    Spec("bmm", lambda a, b: a.bmm(b), shapes=[(2, 3, 4), (2, 4, 2)]),
    Spec("mv", lambda a, b: module_of(a).mv(a, b), shapes=[(2, 3), (3,)]),
    Spec("dot", lambda a, b: a.dot(b), shapes=[(4,), (4,)]),
    Spec("vdot", lambda a, b: module_of(a).vdot(a, b), shapes=[(4,), (4,)]),
    Spec("outer", lambda a, b: module_of(a).outer(a, b), shapes=[(3,), (2,)]),
    Spec("ger", lambda a, b: a.ger(b), shapes=[(3,), (0,)]),
    Spec("inner", lambda a, b: module_of(a).inner(a, b), shapes=[(2, 3), (4, 3)]),
    Spec("inner_scalar", lambda a, b: a.inner(b), shapes=[(), (3,)]),
    Spec("tensordot_int", lambda a, b: module_of(a).tensordot(a, b, 2),
         shapes=[(2, 3, 4), (3, 4, 2)]),
    Spec("tensordot_lists", lambda a, b: module_of(a).tensordot(a, b, ([1, 0], [2, 0])),
         shapes=[(3, 2, 4), (3, 4, 2)]),
    Spec("tensordot_0", lambda a, b: module_of(a).tensordot(a, b, 0), shapes=[(2,), (3,)]),
    Spec("addmm", lambda c, a, b: module_of(a).addmm(c, a, b, beta=0.5, alpha=2.0),
         shapes=[(4,), (3, 2), (2, 4)]),
    *[Spec(f"einsum[{eq}]", lambda *ts, eq=eq: module_of(ts[0]).einsum(eq, *ts), shapes=list(s))
      for eq, *s in EINSUM],
    Spec("einsum[same operand]", lambda a: module_of(a).einsum("ij,ji", a, a), shapes=[(3, 3)]),
    Spec("einsum[list]", lambda a, b: module_of(a).einsum("ij,jk", [a, b]),
         shapes=[(2, 3), (3, 4)]),
    Spec("einsum[sublist]", lambda a, b: module_of(a).einsum(a, [0, 1], b, [1, Ellipsis], [0]),
         shapes=[(2, 3), (3, 4)]),
    Spec("linalg.cross", lambda a, b: linalg(a).cross(a, b), shapes=[(4, 3), (1, 3)]),
    Spec("cross_dim0", lambda a, b: a.cross(b, dim=0), shapes=[(3, 2), (3, 2)]),
    Spec("inv", lambda a: linalg(a).inv(invertible(a)), shapes=[(2, 3, 3)]),
    Spec("inverse", lambda a: invertible(a).inverse(), shapes=[(3, 3)]),
    Spec("inv_empty", lambda a: linalg(a).inv(a), shapes=[(0, 3, 3)]),
    Spec("det", lambda a: linalg(a).det(invertible(a)), shapes=[(2, 3, 3)]),
    Spec("Tensor.det", lambda a: (a + eye(a)).det(), shapes=[(3, 3)]),
    Spec("slogdet.logabsdet", lambda a: linalg(a).slogdet(a - 2 * a.shape[-1] * eye(a))[1],
         shapes=[(2, 3, 3)]),
    Spec("slogdet.sign", lambda a: linalg(a).slogdet(a - 2 * a.shape[-1] * eye(a)).sign,
         shapes=[(2, 3, 3)]),
    Spec("logdet", lambda a: spd(a).logdet(), shapes=[(3, 3)]),
    Spec("solve", lambda a, b: linalg(a).solve(invertible(a), b), shapes=[(3, 3), (3, 2)]),
    Spec("solve_vector", lambda a, b: linalg(a).solve(invertible(a), b), shapes=[(3, 3), (3,)]),
    Spec("solve_batch_vectors", lambda a, b: linalg(a).solve(invertible(a), b),
         shapes=[(2, 3, 3), (2, 3)]),
    Spec("solve_broadcast", lambda a, b: linalg(a).solve(invertible(a), b),
         shapes=[(2, 1, 3, 3), (4, 3, 2)]),
    Spec("solve_left_false", lambda a, b: linalg(a).solve(invertible(a), b, left=False),
         shapes=[(3, 3), (2, 3)]),
    Spec("cholesky", lambda a: linalg(a).cholesky(spd(a)), shapes=[(2, 3, 3)]),
    Spec("cholesky_upper", lambda a: linalg(a).cholesky(spd(a), upper=True), shapes=[(3, 3)]),
    Spec("Tensor.cholesky", lambda a: spd(a).cholesky(), shapes=[(3, 3)]),
    Spec("qr_tall", lambda a: squares(*linalg(a).qr(a)), shapes=[(4, 3)]),
    Spec("qr_wide", lambda a: squares(*linalg(a).qr(a)), shapes=[(2, 2, 4)]),
    Spec("qr_complete_square", lambda a: squares(*linalg(a).qr(a, mode="complete")),
         shapes=[(3, 3)]),
    Spec("qr_R_only", lambda a: linalg(a).qr(a).R.abs().sum(-2), shapes=[(4, 3)]),
    Spec("Tensor.qr", lambda a: squares(*a.qr()), shapes=[(3, 2)]),
    Spec("eigh", lambda a: squares(*linalg(a).eigh(spd(a))), shapes=[(2, 3, 3)]),
    Spec("eigh_upper", lambda a: squares(*linalg(a).eigh(spd(a), UPLO="U")), shapes=[(3, 3)]),
    Spec("eigvalsh", lambda a: linalg(a).eigvalsh(spd(a)), shapes=[(4, 4)]),
    Spec("svd_tall", lambda a: squares(*linalg(a).svd(a, full_matrices=False)), shapes=[(4, 3)]),
    Spec("svd_wide", lambda a: squares(*linalg(a).svd(a, full_matrices=False)),
         shapes=[(2, 2, 4)]),
    Spec("svd_full_square", lambda a: squares(*linalg(a).svd(a)), shapes=[(3, 3)]),
    Spec("svd_full_tall", lambda a: linalg(a).svd(a).S, shapes=[(4, 2)]),
    Spec("svd_reconstruct", lambda a: reconstruct(*linalg(a).svd(a, full_matrices=False)),
         shapes=[(3, 4)]),
    Spec("torch.svd", lambda a: squares(*module_of(a).svd(a)), shapes=[(4, 3)]),
    Spec("svdvals", lambda a: linalg(a).svdvals(a), shapes=[(2, 3, 4)]),
    Spec("pinv_tall", lambda a: linalg(a).pinv(a), shapes=[(4, 3)]),
    Spec("pinv_wide", lambda a: linalg(a).pinv(a), shapes=[(2, 2, 3)]),
    Spec("pinverse", lambda a: a.pinverse(), shapes=[(3, 3)]),
    Spec("norm", lambda a: linalg(a).norm(a), shapes=[(2, 3, 4)]),
    Spec("norm_ord_matrix", lambda a: linalg(a).norm(a, "nuc"), shapes=[(3, 4)]),
    Spec("norm_ord_vector", lambda a: linalg(a).norm(a, 3, dim=1, keepdim=True),
         shapes=[(3, 4)]),
    Spec("vector_norm", lambda a: linalg(a).vector_norm(a, 1.5, dim=(0, 2)), shapes=[(2, 3, 4)]),
    Spec("vector_norm_inf", lambda a: linalg(a).vector_norm(a, math.inf), shapes=[(3, 4)]),
    *[Spec(f"matrix_norm[{o}]", lambda a, o=o: linalg(a).matrix_norm(a, o), shapes=[(2, 3, 4)])
      for o in MATRIX_NORM_ORDS],
    Spec("matrix_norm_dims", lambda a: linalg(a).matrix_norm(a, 2, dim=(2, 0), keepdim=True),
         shapes=[(2, 3, 4)]),
    Spec("matrix_power_3", lambda a: a.matrix_power(3), shapes=[(2, 3, 3)]),
    Spec("matrix_power_-2", lambda a: linalg(a).matrix_power(invertible(a), -2), shapes=[(3, 3)]),
    Spec("multi_dot", lambda a, b, c: linalg(a).multi_dot([a, b, c]),
         shapes=[(3,), (3, 4), (4, 2)]),
    Spec("vecdot", lambda a, b: linalg(a).vecdot(a, b, dim=0), shapes=[(3, 2), (3, 1)]),
]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("spec", SPECS, ids=str)
def test_against_torch(spec, dtype, torch):
    check_against_torch(spec, torch, dtype)


@pytest.mark.parametrize("spec", [s for s in SPECS if "empty" not in s.name], ids=str)
def test_gradcheck(spec):
    check_gradcheck(spec)


def test_spectrum_only_gradients_are_finite_for_repeated_values(torch):
    """svdvals/eigvalsh need no gaps: the gradient of an identity matrix's spectrum is finite."""
    for name in ("svdvals", "eigvalsh"):
        ours = ndgrad.eye(3, dtype=ndgrad.float64).requires_grad_()
        theirs = torch.eye(3, dtype=torch.float64).requires_grad_()
        getattr(ndgrad.linalg, name)(ours).pow(2).sum().backward()
        getattr(torch.linalg, name)(theirs).pow(2).sum().backward()
        assert_close(ours.grad, theirs.grad, "float64", name)


def test_rmatmul_with_numpy_array_and_integer_matmul(torch):
    a, b = np.arange(6.0, dtype=np.float32).reshape(2, 3), ndgrad.ones(3, 2)
    assert isinstance(a @ b, ndgrad.Tensor)
    assert_close(a @ b, a @ np.ones((3, 2), dtype=np.float32), "float32", "rmatmul")
    i, j = ndgrad.arange(6).reshape(2, 3), ndgrad.arange(6).reshape(3, 2)
    assert (i @ j).dtype == ndgrad.int64
    assert (i @ j).tolist() == (torch.arange(6).reshape(2, 3) @ torch.arange(6).reshape(3, 2)).tolist()


def test_einsum_returns_a_copy_not_a_view():
    a = ndgrad.ones(3, 3)
    ndgrad.einsum("ii->i", a).add_(5)
    assert a.sum().item() == 9


def test_return_types_and_legacy_forms():
    a = ndgrad.randn(4, 3, dtype=ndgrad.float64)
    assert ndgrad.linalg.slogdet(ndgrad.eye(2)).sign.item() == 1
    assert ndgrad.linalg.qr(a).Q.shape == (4, 3)
    assert ndgrad.qr(a, some=False).Q.shape == (4, 4)
    assert ndgrad.linalg.svd(a).Vh.shape == (3, 3)
    u, s, v = ndgrad.svd(a, compute_uv=False)
    assert not u.any() and not v.any() and s.shape == (3,)
    assert ndgrad.linalg.eigh(a[:3] @ a[:3].T).eigenvectors.shape == (3, 3)
    assert set(ndgrad.linalg.__all__) <= set(dir(__import__("torch").linalg))


def test_cross_without_dim_uses_first_size_3_dim_and_warns():
    a, b = ndgrad.randn(3, 2), ndgrad.randn(3, 2)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = ndgrad.cross(a, b)
    assert caught and result.shape == (3, 2)
    assert ndgrad.equal(result, ndgrad.linalg.cross(a, b, dim=0))


def test_qr_mode_r_has_no_gradient():
    a = ndgrad.randn(3, 2, requires_grad=True)
    q, r = ndgrad.linalg.qr(a, mode="r")
    assert q.shape == (0,)
    with pytest.raises(RuntimeError, match="mode='r'"):
        r.sum().backward()


SHAPE_ERRORS = [
    (lambda: ndgrad.randn(2, 3) @ ndgrad.randn(4, 5),
     r"mat1 and mat2 shapes cannot be multiplied \(2x3 and 4x5\)"),
    (lambda: ndgrad.randn(3) @ ndgrad.randn(4), r"expected tensor \[3\] and src \[4\]"),
    (lambda: ndgrad.randn(2, 3, 4) @ ndgrad.randn(2, 5, 6), r"\[2, 3, 4\] and \[2, 5, 6\]"),
    (lambda: ndgrad.randn(2, 3, 4) @ ndgrad.randn(3, 4, 6), r"batch dims .*\[2, 3, 4\]"),
    (lambda: ndgrad.randn(2, 3) @ ndgrad.randn(3, 2, dtype=ndgrad.float64), "same dtype"),
    (lambda: ndgrad.mm(ndgrad.randn(3), ndgrad.randn(3, 3)), "must be a matrix"),
    (lambda: ndgrad.bmm(ndgrad.randn(2, 3, 4), ndgrad.randn(2, 5, 3)),
     r"batch2 tensor to be: \[2, 4\] but got: \[2, 5\]"),
    (lambda: ndgrad.dot(ndgrad.randn(3, 1), ndgrad.randn(3)), "1D tensors expected"),
    (lambda: ndgrad.tensordot(ndgrad.randn(3, 2), ndgrad.randn(3), 1), "size 2 in dim 1"),
    (lambda: ndgrad.einsum("ij,jk", ndgrad.randn(3, 2), ndgrad.randn(3, 4)),
     "subscript j has size 3"),
    (lambda: ndgrad.einsum("ij,jk", ndgrad.randn(3, 2)), "fewer operands"),
    (lambda: ndgrad.einsum("ijk->i", ndgrad.randn(3, 2)), r"'ijk' .* operand 0 \(shape \[3, 2\]"),
    (lambda: ndgrad.einsum("ii->i", ndgrad.randn(3, 2)), "repeated for operand 0"),
    (lambda: ndgrad.einsum("ij->jj", ndgrad.randn(3, 2)), "appears more than once"),
    (lambda: ndgrad.linalg.inv(ndgrad.randn(3, 2)), "square matrices, but they are 3 by 2"),
    (lambda: ndgrad.linalg.det(ndgrad.ones(3, 3, dtype=ndgrad.int64)), "Got int64"),
    (lambda: ndgrad.linalg.solve(ndgrad.randn(3, 3), ndgrad.randn(4, 2)), r"\(3x3 and 4x2\)"),
    (lambda: ndgrad.linalg.cross(ndgrad.randn(3, 2), ndgrad.randn(3, 2)), "must have length 3"),
    (lambda: ndgrad.linalg.qr(ndgrad.randn(3)), "at least 2 dimensions"),
    (lambda: ndgrad.linalg.norm(ndgrad.randn(2, 2, 2), ord=2), "must be 1D or 2D. Got 3D"),
    (lambda: ndgrad.linalg.norm(ndgrad.randn(2, 2), "fro", dim=1), "dim must be a 2-tuple"),
]


@pytest.mark.parametrize("fn, message", SHAPE_ERRORS)
def test_user_errors_raise_runtime_error_naming_shapes(fn, message):
    with pytest.raises(RuntimeError, match=message):
        fn()


@pytest.mark.parametrize("fn", [lambda: ndgrad.linalg.inv(ndgrad.zeros(3, 3)),
                                lambda: ndgrad.linalg.cholesky(-ndgrad.eye(3)),
                                lambda: ndgrad.linalg.solve(ndgrad.zeros(2, 2), ndgrad.ones(2))])
def test_singular_or_indefinite_matrices_raise_linalg_error(fn):
    with pytest.raises(ndgrad.linalg.LinAlgError):
        fn()
    assert issubclass(ndgrad.linalg.LinAlgError, RuntimeError)


# ---- found by tests/properties/test_matmul.py: no bool matrix products, except where PyTorch
# runs no kernel (an empty matrix operand)

BOOL_PRODUCTS = [
    ("matmul", lambda m, b: b @ b, True),
    ("mm", lambda m, b: m.mm(b, b), True),
    ("dot", lambda m, b: m.dot(b[0], b[0]), True),
    ("dot_empty", lambda m, b: m.dot(b[0, :0], b[0, :0]), True),
    ("tensordot", lambda m, b: m.tensordot(b, b, 1), True),
    ("inner", lambda m, b: m.inner(b, b), True),
    ("empty_batch", lambda m, b: b.expand(0, 2, 2) @ b, False),
    ("empty_inner", lambda m, b: m.mm(b[:, :0], b[:0]), False),
    ("outer", lambda m, b: m.outer(b[0], b[1]), False),
]


@pytest.mark.parametrize("fn, refused", [case[1:] for case in BOOL_PRODUCTS],
                         ids=[case[0] for case in BOOL_PRODUCTS])
def test_bool_products_as_in_torch(fn, refused, torch):
    data = np.array([[True, False], [True, True]])
    if refused:
        with pytest.raises(RuntimeError):  # torch: its NotImplementedError
            fn(torch, torch.tensor(data))
        with pytest.raises(RuntimeError, match="bool"):
            fn(ndgrad, ndgrad.tensor(data))
        return
    theirs, ours = fn(torch, torch.tensor(data)), fn(ndgrad, ndgrad.tensor(data))
    assert ours.dtype is ndgrad.bool and tuple(ours.shape) == tuple(theirs.shape)
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
