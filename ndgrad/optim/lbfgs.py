"""L-BFGS over all parameters as one flat vector, with an optional strong-Wolfe line search
(PyTorch's torch.optim.LBFGS, itself after minFunc)."""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import partial
from typing import Any, Callable

import numpy as np

from ndgrad._tensor import Tensor
from ndgrad.autograd.grad_mode import enable_grad
from ndgrad.optim.optimizer import Optimizer, array_of

# Note [LBFGS scalars]
# The scalars of the algorithm (step sizes, slopes, 1 / y.s) are NumPy scalars of the
# parameters' dtype, mixed with Python floats, so with float32 parameters they are float32
# wherever torch's 0-d tensors are: NumPy 2 turns a Python float into the other operand's dtype
# (NEP 50), as torch does with Python scalars. The state keeps them as 0-d tensors, as torch's.


class LBFGS(Optimizer):
    """Limited-memory BFGS: each step runs up to `max_iter` quasi-Newton iterations, moving
    along -H g, where H approximates the inverse Hessian from the last `history_size` pairs of
    parameter and gradient changes.

    `step(closure)` needs a closure that zeroes the gradients, computes the loss, calls
    backward and returns the loss; it returns the loss of its first evaluation. As in PyTorch
    there is one parameter group only, and the whole state (PyTorch's keys) sits under the
    first parameter.
    """

    _state_like_params = False  # its state holds vectors over all parameters

    def __init__(self, params, lr: float = 1, max_iter: int = 20, max_eval: int | None = None,
                 tolerance_grad: float = 1e-7, tolerance_change: float = 1e-9,
                 history_size: int = 100, line_search_fn: str | None = None) -> None:
        if max_eval is None:
            max_eval = max_iter * 5 // 4
        super().__init__(params, dict(lr=lr, max_iter=max_iter, max_eval=max_eval,
                                      tolerance_grad=tolerance_grad,
                                      tolerance_change=tolerance_change,
                                      history_size=history_size, line_search_fn=line_search_fn))

    def add_param_group(self, param_group: dict) -> None:
        """Refuses a second group: L-BFGS treats all parameters as one vector.

        PyTorch accepts a later add_param_group and fails at step with an AssertionError;
        ndgrad raises the constructor's ValueError at once."""
        if self.param_groups:
            raise ValueError("LBFGS doesn't support per-parameter options (parameter groups)")
        super().add_param_group(param_group)

    def step(self, closure: Callable[[], Any]):
        """Performs up to `max_iter` L-BFGS iterations; returns the closure's first loss."""
        if not callable(closure):
            raise TypeError("LBFGS.step() requires a closure that re-evaluates the model and "
                            f"returns the loss, got {type(closure).__name__}")
        group = self.param_groups[0]
        if group["line_search_fn"] not in (None, "strong_wolfe"):
            raise RuntimeError("only 'strong_wolfe' is supported")
        lr, max_iter, max_eval = group["lr"], group["max_iter"], group["max_eval"]
        tolerance_grad, tolerance_change = group["tolerance_grad"], group["tolerance_change"]
        # The state is global, but PyTorch files it under the first parameter so that
        # load_state_dict casts it to the parameters' dtype.
        state = self.state[group["params"][0]]
        state.setdefault("func_evals", 0)
        state.setdefault("n_iter", 0)

        orig_loss = _evaluate(closure)
        loss = float(orig_loss)
        flat_grad = self._gather_flat_grad()
        current_evals = 1
        state["func_evals"] += 1
        if np.abs(flat_grad).max() <= tolerance_grad:
            return orig_loss

        history = _History.from_state(state)
        d, t = _array(state.get("d")), _array(state.get("t"))
        prev_flat_grad, prev_loss = _array(state.get("prev_flat_grad")), state.get("prev_loss")
        al = None
        for n_iter in range(1, max_iter + 1):
            state["n_iter"] += 1
            if state["n_iter"] == 1:
                history = _History()
                d = -flat_grad
                # No curvature known yet: scale the first step so it moves at most lr in L1.
                t = min(1.0, 1.0 / np.abs(flat_grad).sum()) * lr
            else:
                history.push(flat_grad - prev_flat_grad, d * t, group["history_size"])
                if al is None:  # PyTorch keeps the two-loop scratch list in the state
                    scratch = state.setdefault("al", [None] * group["history_size"])
                    al = [_array(a) for a in scratch]
                d = history.direction(flat_grad, al)
                t = lr
            # Flat gradients are fresh arrays never changed in place, so no copy is needed.
            prev_flat_grad, prev_loss = flat_grad, loss

            gtd = flat_grad.dot(d)
            if gtd > -tolerance_change:  # not a descent direction, to tolerance
                break
            if group["line_search_fn"] is None:
                # The last iteration's point is not evaluated: in a stochastic setting (PyTorch's
                # reasoning) the next step evaluates afresh anyway.
                loss, flat_grad, evals = self._fixed_step(closure, t, d, loss, flat_grad,
                                                          evaluate=n_iter != max_iter)
            else:
                x_init = [array_of(p).copy() for p in group["params"]]
                obj_func = partial(self._directional_evaluate, closure)
                loss, flat_grad, t, evals = _strong_wolfe(obj_func, x_init, t, d, loss, flat_grad,
                                                          gtd, max_ls=max_eval - current_evals)
                self._add_grad(t, d)
            current_evals += evals
            state["func_evals"] += evals

            if n_iter == max_iter or current_evals >= max_eval:
                break
            if np.abs(flat_grad).max() <= tolerance_grad:  # converged
                break
            if np.abs(d * t).max() <= tolerance_change or abs(loss - prev_loss) < tolerance_change:
                break  # no progress left to make

        state["d"] = _tensor(d)
        state["t"] = _tensor(t)
        history.to_state(state)
        state["prev_flat_grad"] = _tensor(prev_flat_grad)
        state["prev_loss"] = prev_loss
        if al is not None:
            state["al"] = [_tensor(a) for a in al]
        return orig_loss

    def _fixed_step(self, closure, t, d: np.ndarray, loss: float, flat_grad: np.ndarray,
                    evaluate: bool) -> tuple:
        """Moves the parameters by t * d and, if asked, evaluates the closure there. Returns
        (loss, flat gradient, evaluations); the old loss and gradient when not evaluated."""
        self._add_grad(t, d)
        if not evaluate:
            return loss, flat_grad, 0
        return float(_evaluate(closure)), self._gather_flat_grad(), 1

    def _gather_flat_grad(self) -> np.ndarray:
        """All gradients as one new vector, zeros for parameters without a gradient."""
        pieces = [np.zeros_like(array_of(p)).reshape(-1) if p.grad is None
                  else array_of(p.grad).reshape(-1) for p in self.param_groups[0]["params"]]
        return np.concatenate(pieces)

    def _add_grad(self, step_size, direction: np.ndarray) -> None:
        """Moves the parameters in place by step_size * direction (a flat vector)."""
        offset = 0
        for p in self.param_groups[0]["params"]:
            array = array_of(p)
            array += step_size * direction[offset:offset + array.size].reshape(array.shape)
            offset += array.size
            p._vc[0] += 1  # changed in place, as torch's add_ records
        assert offset == direction.size, "direction does not match the parameters"

    def _set_params(self, arrays: list) -> None:
        """Copies saved values back into the parameters."""
        for p, saved in zip(self.param_groups[0]["params"], arrays, strict=True):
            array_of(p)[...] = saved
            p._vc[0] += 1

    def _directional_evaluate(self, closure, x: list, t, d: np.ndarray) -> tuple:
        """Loss and flat gradient at x + t * d; the parameters are left at x."""
        self._add_grad(t, d)
        loss = float(_evaluate(closure))
        flat_grad = self._gather_flat_grad()
        self._set_params(x)
        return loss, flat_grad


def _evaluate(closure):
    """Calls the closure with grad enabled: it must build a graph whatever grad mode step()
    was called in, as in PyTorch."""
    with enable_grad():
        return closure()


@dataclass
class _History:
    """The curvature pairs L-BFGS remembers: gradient changes y (`old_dirs`), steps s
    (`old_stps`), 1 / y.s (`ro`) and the scale of the initial inverse Hessian (`h_diag`,
    PyTorch's `H_diag`)."""

    old_dirs: list = field(default_factory=list)
    old_stps: list = field(default_factory=list)
    ro: list = field(default_factory=list)
    h_diag: Any = 1

    @classmethod
    def from_state(cls, state: dict) -> _History:
        """The history a previous step left (empty before the first iteration)."""
        history = cls(h_diag=_array(state.get("H_diag", 1)))
        for name in ("old_dirs", "old_stps", "ro"):
            getattr(history, name).extend(_array(v) for v in state.get(name) or [])
        return history

    def to_state(self, state: dict) -> None:
        """Stores the history under PyTorch's keys, arrays as tensors."""
        for name in ("old_dirs", "old_stps", "ro"):
            state[name] = [_tensor(v) for v in getattr(self, name)]
        state["H_diag"] = _tensor(self.h_diag)

    def push(self, y: np.ndarray, s: np.ndarray, history_size: int) -> None:
        """Remembers the pair (y, s), dropping the oldest past history_size."""
        ys = y.dot(s)
        if not ys > 1e-10:  # no positive curvature: the update would spoil H's definiteness
            return
        if len(self.old_dirs) == history_size:
            del self.old_dirs[0], self.old_stps[0], self.ro[0]
        self.old_dirs.append(y)
        self.old_stps.append(s)
        self.ro.append(1.0 / ys)
        self.h_diag = ys / y.dot(y)

    def direction(self, flat_grad: np.ndarray, al: list) -> np.ndarray:
        """-H g by the two-loop recursion (Nocedal & Wright, Algorithm 7.4); `al` holds the
        first loop's coefficients."""
        q = -flat_grad
        for i in reversed(range(len(self.old_dirs))):
            al[i] = self.old_stps[i].dot(q) * self.ro[i]
            q -= al[i] * self.old_dirs[i]
        r = q * self.h_diag
        for i in range(len(self.old_dirs)):
            be_i = self.old_dirs[i].dot(r) * self.ro[i]
            r += (al[i] - be_i) * self.old_stps[i]
        return r


def _tensor(value):
    """A state entry as torch keeps it: arrays and NumPy scalars as tensors; Python numbers
    and None as they are."""
    if isinstance(value, (np.ndarray, np.generic)):
        return Tensor._make(value)
    return value


def _array(value):
    """A state entry for computing: tensors (ndgrad's, or torch's from a loaded state_dict) as
    arrays, 0-d ones as NumPy scalars (see Note [LBFGS scalars])."""
    if isinstance(value, Tensor):
        value = array_of(value)
    elif hasattr(value, "__array__"):
        value = np.asarray(value)
    else:
        return value
    return value[()] if value.ndim == 0 else value


def _cubic_interpolate(x1, f1, g1, x2, f2, g2, bounds=None):
    """The minimiser of the cubic through (x1, f1) and (x2, f2) with slopes g1 and g2, clamped
    to `bounds` (default: between x1 and x2); their midpoint when the cubic has no minimum."""
    xmin_bound, xmax_bound = bounds if bounds is not None else (min(x1, x2), max(x1, x2))
    d1 = g1 + g2 - 3 * (f1 - f2) / (x1 - x2)
    d2_square = d1 ** 2 - g1 * g2
    if not d2_square >= 0:
        return (xmin_bound + xmax_bound) / 2.0
    d2 = np.sqrt(d2_square)
    # Measured from the larger of the two points, whichever argument holds it (minFunc's
    # polyinterp).
    if x1 <= x2:
        min_pos = x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2))
    else:
        min_pos = x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2))
    return min(max(min_pos, xmin_bound), xmax_bound)


@dataclass
class _LineSearch:
    """The one-dimensional problem phi(t) = f(x + t d): the objective, phi(0) = f,
    phi'(0) = gtd, and the Wolfe constants. Points on it are tuples (t, f, g, gtd)."""

    obj_func: Callable
    x: list
    d: np.ndarray
    f: float
    gtd: Any
    c1: float
    c2: float

    def point(self, t) -> tuple:
        """Evaluates the objective at step t: (t, loss, flat gradient, slope along d)."""
        f_new, g_new = self.obj_func(self.x, t, self.d)
        return t, f_new, g_new, g_new.dot(self.d)

    def too_high(self, t, f_new) -> bool:
        """Whether phi(t) fails the sufficient-decrease (Armijo) condition."""
        return f_new > (self.f + self.c1 * t * self.gtd)

    def flat_enough(self, gtd_new) -> bool:
        """Whether the slope at the point meets the strong curvature condition."""
        return abs(gtd_new) <= -self.c2 * self.gtd


def _strong_wolfe(obj_func, x, t, d, f, g, gtd, c1=1e-4, c2=0.9, tolerance_change=1e-9,
                  max_ls=25):
    """Finds a step along d that satisfies the strong Wolfe conditions (Nocedal & Wright,
    Algorithms 3.5 and 3.6, with cubic interpolation), calling obj_func(x, t, d) -> (loss,
    flat gradient) at most max_ls + 1 times.

    Returns (loss, flat gradient, t, evaluations) at the best step found.
    """
    search = _LineSearch(obj_func, x, d, f, gtd, c1, c2)
    bracket, done, ls_iter = _bracket(search, (0, f, g, gtd), t, max_ls)
    low = 0 if bracket[0][1] <= bracket[-1][1] else 1
    if not done:
        low, ls_iter = _zoom(search, bracket, low, ls_iter, tolerance_change, max_ls)
    t, f_new, g_new, _ = bracket[low]
    # Every iteration of either phase evaluates once, after the first evaluation.
    return f_new, g_new, t, ls_iter + 1


def _bracket(search: _LineSearch, start: tuple, t, max_ls: int) -> tuple:
    """Tries t, then longer steps, until the newest point meets the conditions or it and the
    one before bracket a point that does.

    Returns (bracket, whether its one point meets them, iterations used)."""
    prev, new = start, search.point(t)
    for ls_iter in range(max_ls):
        t, f_new, _, gtd_new = new
        if search.too_high(t, f_new) or (ls_iter > 1 and f_new >= prev[1]):
            return [prev, new], False, ls_iter
        if search.flat_enough(gtd_new):
            return [new], True, ls_iter
        if gtd_new >= 0:
            return [prev, new], False, ls_iter
        # Still descending: try a longer step, at least 1% further and at most 10 times t.
        t_next = _cubic_interpolate(prev[0], prev[1], prev[3], t, f_new, gtd_new,
                                    bounds=(t + 0.01 * (t - prev[0]), t * 10))
        prev, new = new, search.point(t_next)
    # Out of evaluations: choose between the start and the last point tried.
    return [start, new], False, max_ls


def _zoom(search: _LineSearch, bracket: list, low: int, ls_iter: int, tolerance_change: float,
          max_ls: int) -> tuple:
    """Shrinks the bracket (in place) around a point meeting the strong Wolfe conditions;
    `low` indexes its lower end. Returns (low, iterations used in all)."""
    high = 1 - low
    d_norm = np.abs(search.d).max()
    insuf_progress = False
    while ls_iter < max_ls:
        if abs(bracket[1][0] - bracket[0][0]) * d_norm < tolerance_change:
            break
        (t1, f1, _, gtd1), (t2, f2, _, gtd2) = bracket
        t = _cubic_interpolate(t1, f1, gtd1, t2, f2, gtd2)
        t, insuf_progress = _away_from_ends(t, min(t1, t2), max(t1, t2), insuf_progress)
        new = search.point(t)
        ls_iter += 1
        if search.too_high(t, new[1]) or new[1] >= bracket[low][1]:
            bracket[high] = new
            low, high = (0, 1) if bracket[0][1] <= bracket[1][1] else (1, 0)
            continue
        done = search.flat_enough(new[3])
        if not done and new[3] * (bracket[high][0] - bracket[low][0]) >= 0:
            bracket[high] = bracket[low]  # the slope points back past low: low becomes high
        bracket[low] = new
        if done:
            break
    return low, ls_iter


def _away_from_ends(t, lo, hi, insuf_progress: bool) -> tuple:
    """Pulls a trial step that lies within 10% of an end of [lo, hi] to 10% inside it when it
    is on or past the end, or the previous trial was also that close: otherwise the bracket
    can shrink too slowly. Returns (t, whether this trial was that close)."""
    eps = 0.1 * (hi - lo)
    if not min(hi - t, t - lo) < eps:
        return t, False
    if insuf_progress or t >= hi or t <= lo:
        return (hi - eps if abs(t - hi) < abs(t - lo) else lo + eps), False
    return t, True
