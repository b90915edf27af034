"""ctc_loss and CTCLoss against torch: values, gradients, options, errors."""
from dataclasses import dataclass

import numpy as np
import pytest

import ndgrad
from ndgrad import nn
from tests._oracle import assert_close

REDUCTIONS = ("mean", "sum", "none")


@dataclass
class Case:
    """One ctc_loss call: log-probabilities (T, N, C), or (T, C) when N is None."""

    name: str
    T: int
    N: int | None
    C: int
    targets: list
    input_lengths: object
    target_lengths: object
    blank: int = 0
    scale: float = 1.0  # of the standard normal logits

    def __str__(self) -> str:
        return self.name


CASES = [
    Case("padded", 6, 3, 5, [[1, 2, 3], [4, 4, 0], [2, 0, 0]], [6, 5, 4], [3, 2, 1]),
    Case("concatenated", 6, 3, 5, [1, 2, 3, 4, 4, 2], [6, 5, 4], [3, 2, 1]),
    # [2, 2, 2] needs a blank between the repeats: 5 steps are the fewest that align it.
    Case("repeats_tight", 5, 2, 4, [[2, 2, 2], [3, 1, 3]], [5, 3], [3, 3]),
    Case("blank_last", 7, 2, 4, [[0, 2, 2], [1, 0, 0]], [7, 4], [3, 1], blank=3),
    Case("blank_middle", 6, 2, 5, [3, 1, 1, 4, 0], (6, 6), (3, 2), blank=2),
    Case("empty_target_and_input", 4, 3, 3, [[1, 2], [0, 0], [0, 0]], [4, 3, 0], [2, 0, 0]),
    # No alignment: targets longer than their inputs, or [1, 1] in 2 steps.
    Case("impossible", 4, 3, 4, [[1, 2, 3], [1, 1, 0], [3, 2, 1]], [2, 2, 4], [3, 2, 3]),
    # Near one-hot probabilities: log_probs of -100s, whose exp(nll - log_probs) overflows.
    Case("peaked", 8, 2, 5, [[1, 2], [3, 3]], [8, 8], [2, 2], scale=80.0),
    Case("unbatched", 6, None, 4, [1, 3, 3], 6, 3),
    Case("unbatched_lists", 5, None, 4, [2, 1], [4], [2], blank=3),
]


def _call(module, case, log_probs, **kwargs):
    """ctc_loss in `module` (ndgrad or torch) with the case's targets and lengths; lengths that
    are lists go in as int32 tensors for one case in three (both spellings are accepted)."""
    def lengths(values):
        if isinstance(values, int):
            return module.tensor(values)
        return values if case.T % 3 else module.tensor(values, dtype=module.int32)
    return module.nn.functional.ctc_loss(log_probs, module.tensor(case.targets),
                                         lengths(case.input_lengths),
                                         lengths(case.target_lengths), blank=case.blank,
                                         **kwargs)


def _logits(case, dtype):
    shape = (case.T, case.C) if case.N is None else (case.T, case.N, case.C)
    return (np.random.default_rng(0).standard_normal(shape) * case.scale).astype(dtype)


def _loss_and_grads(module, case, logits, **kwargs):
    """The loss and its gradients with respect to the logits and to log_softmax(logits)."""
    x = module.tensor(logits, requires_grad=True)
    log_probs = module.nn.functional.log_softmax(x, -1)
    loss = _call(module, case, log_probs, **kwargs)
    weights = module.arange(1, loss.numel() + 1, dtype=loss.dtype).reshape(loss.shape)
    grads = module.autograd.grad((loss * weights).sum(), (x, log_probs))
    return loss, grads


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # inf - inf in the NaN gradients, as torch
@pytest.mark.parametrize("zero_infinity", [False, True])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("case", CASES, ids=str)
def test_against_torch(case, dtype, reduction, zero_infinity, torch):
    logits = _logits(case, dtype)
    kwargs = dict(reduction=reduction, zero_infinity=zero_infinity)
    ours, (grad_x, grad_lp) = _loss_and_grads(ndgrad, case, logits, **kwargs)
    theirs, (grad_x_torch, grad_lp_torch) = _loss_and_grads(torch, case, logits, **kwargs)
    assert tuple(ours.shape) == tuple(theirs.shape)
    assert ours.dtype.name == dtype
    assert_close(ours, theirs, dtype, f"{case}: loss")
    assert_close(grad_lp, grad_lp_torch, dtype, f"{case}: gradient w.r.t. log_probs")
    assert_close(grad_x, grad_x_torch, dtype, f"{case}: gradient w.r.t. logits")


def test_impossible_alignment_is_infinite_unless_zeroed():
    case = CASES[[c.name for c in CASES].index("impossible")]
    log_probs = ndgrad.tensor(_logits(case, "float64")).log_softmax(-1).requires_grad_()
    loss = _call(ndgrad, case, log_probs, reduction="none").detach().numpy()
    assert np.isinf(loss[:2]).all() and np.isfinite(loss[2])
    zeroed = _call(ndgrad, case, log_probs, reduction="sum", zero_infinity=True)
    grad, = ndgrad.autograd.grad(zeroed, log_probs)
    assert (grad.numpy()[:, :2] == 0).all() and (grad.numpy()[:, 2] != 0).any()


def test_gradcheck_through_log_softmax():
    """Through log_softmax the gradient is the exact one (see Note [ctc gradient])."""
    case = CASES[0]
    x = ndgrad.tensor(_logits(case, "float64"), requires_grad=True)
    assert ndgrad.autograd.gradcheck(
        lambda t: _call(ndgrad, case, t.log_softmax(-1), reduction="mean"), (x,))


def test_double_backward_is_unsupported_like_torch(torch):
    case = CASES[0]
    for module in (ndgrad, torch):
        log_probs = module.tensor(_logits(case, "float64")).log_softmax(-1).requires_grad_()
        grad, = module.autograd.grad(_call(module, case, log_probs), log_probs,
                                     create_graph=True)
        assert grad.requires_grad
        with pytest.raises(RuntimeError, match="derivative for .*ctc_loss_backward is not"):
            grad.sum().backward()


def test_module_matches_functional():
    case = CASES[3]
    log_probs = ndgrad.tensor(_logits(case, "float32")).log_softmax(-1)
    loss = nn.CTCLoss(blank=3, reduction="sum", zero_infinity=True)
    expected = _call(ndgrad, case, log_probs, reduction="sum", zero_infinity=True)
    actual = loss(log_probs, ndgrad.tensor(case.targets), case.input_lengths, case.target_lengths)
    np.testing.assert_array_equal(actual.numpy(), expected.numpy())


def test_module_repr(torch):
    assert repr(nn.CTCLoss()) == repr(torch.nn.CTCLoss()) == "CTCLoss()"
    assert repr(nn.CTCLoss(blank=2, reduction="sum", zero_infinity=True)) == \
        "CTCLoss(reduction='sum', blank=2, zero_infinity=True)"


def _bad(T=6, N=2, C=4, targets=((1, 2, 2), (3, 1, 0)), input_lengths=(6, 5),
         target_lengths=(3, 2), **kwargs):
    """A ctc_loss call with one argument spoiled, for ndgrad or torch."""
    def call(module):
        log_probs = module.zeros(T, N, C) if N else module.zeros(T, C)
        lengths = [module.tensor(v) if isinstance(v, np.ndarray) else v
                   for v in (input_lengths, target_lengths)]
        return module.nn.functional.ctc_loss(log_probs, module.tensor(targets), *lengths,
                                             **kwargs)
    return call


# (call, ndgrad's message); the error type must be torch's.
ERRORS = [
    (_bad(input_lengths=np.array([6.0, 5.0]), target_lengths=np.array([3, 2])),
     "input_lengths must be integral"),
    (_bad(input_lengths=(6, 5, 4)), "input_lengths must be of size batch_size"),
    (_bad(target_lengths=(3,)), "target_lengths must be of size batch_size"),
    (_bad(input_lengths=(7, 5)), "input_lengths to have value at most 6, but got value 7"),
    (_bad(input_lengths=(-1, 5)), "input_lengths to have value at least 0"),
    (_bad(target_lengths=(-1, 2)), "target_lengths to have value at least 0"),
    (_bad(target_lengths=(4, 2)), "size at least 4 at dimension 1, but got size 3"),
    (_bad(targets=((1, 2, 2),)), "size 2 at dimension 0, but got size 1"),
    (_bad(targets=(1, 2, 2, 3)), "size 5 at dimension 0, but got size 4"),
    (_bad(targets=(((1, 2, 2), (3, 1, 0)),)), "1 to 2 dimensions"),
    (_bad(blank=4), "blank must be in label range"),
    (_bad(blank=-1), "blank must be in label range"),
    (_bad(reduction="avg"), "avg is not a valid value for reduction"),
    (_bad(N=0, input_lengths=(6, 5)), "input_lengths must be of size batch_size"),
]


@pytest.mark.parametrize("call, message", ERRORS, ids=range(len(ERRORS)))
def test_errors_match_torch(call, message, torch):
    with pytest.raises(Exception) as theirs:
        call(torch)
    with pytest.raises(theirs.type, match=message):
        call(ndgrad)


def test_out_of_range_target_is_an_error():
    with pytest.raises(RuntimeError, match="target 9 is out of bounds for 4 classes"):
        _bad(targets=((1, 9, 2), (3, 1, 0)))(ndgrad)


def test_integer_log_probs_are_refused_like_torch(torch):
    for module in (torch, ndgrad):
        with pytest.raises(NotImplementedError):
            module.nn.functional.ctc_loss(module.zeros(6, 2, 4, dtype=module.int64),
                                          module.tensor([[1, 2], [3, 1]]), [6, 5], [2, 2])
