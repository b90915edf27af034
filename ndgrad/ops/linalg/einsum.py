"""Einstein summation: the Einsum primitive, its gradient, and equation parsing."""
from __future__ import annotations

import string
from collections import Counter

import numpy as np

from ndgrad import _backend
from ndgrad._tensor import Tensor
from ndgrad.autograd.function import ArrayFunction
from ndgrad.ops._common import tensor_list
from ndgrad.ops.linalg._common import _eye, _same_dtype
from ndgrad.ops.shape import broadcast_to, reshape

# einsum labels in PyTorch's order: sublist integer n is _LABELS[n].
_LABELS = string.ascii_uppercase + string.ascii_lowercase


class Einsum(ArrayFunction):
    """Einstein summation over letter subscripts whose sizes agree across operands.

    The gradient of operand k is an einsum of the output gradient with the other operands,
    producing k's labels: labels only k has are summed in forward, so their gradient is
    broadcast back; a label repeated within k (a diagonal) gets its gradient on that diagonal.
    """

    @staticmethod
    def forward(ctx, *operands, subscripts, output):
        ctx.subscripts, ctx.output = subscripts, output
        ctx.save_for_backward(*operands)
        xp = _backend.array_module(*operands)
        equation = ",".join(subscripts) + "->" + output
        # 'greedy' contracts pairs through BLAS; it costs ~6us, so single operands skip it.
        result = xp.asarray(np.einsum(equation, *operands,
                                      optimize="greedy" if len(operands) > 1 else False))
        if any(np.may_share_memory(result, x) for x in operands):
            result = result.copy()  # einsum('ii->i') is a view; outputs never alias inputs
        return result

    @staticmethod
    def backward(ctx, grad):
        operands = ctx.saved_tensors
        return tuple(_einsum_grad(ctx, k, grad, operands) if need else None
                     for k, need in enumerate(ctx.needs_input_grad))


def _einsum_grad(ctx, k: int, grad: Tensor, operands: tuple) -> Tensor:
    subscripts = ctx.subscripts
    target = subscripts[k]
    sizes = dict(zip(target, operands[k].shape))
    unique = "".join(dict.fromkeys(target))
    others = [j for j in range(len(operands)) if j != k]
    seen = set(ctx.output).union(*(subscripts[j] for j in others))
    kept = "".join(c for c in unique if c in seen)
    result = Einsum.apply(grad, *(operands[j] for j in others),
                          subscripts=(ctx.output, *(subscripts[j] for j in others)), output=kept)
    if kept != unique:
        result = reshape(result, tuple(sizes[c] if c in kept else 1 for c in unique))
        result = broadcast_to(result, tuple(sizes[c] for c in unique))
    if unique == target:
        return result
    used = set("".join(subscripts) + ctx.output)
    fresh = iter(c for c in _LABELS if c not in used)
    labels, eye_subscripts, eyes = [], [], []
    for c in target:
        if c in labels:
            label = next(fresh)
            eye_subscripts.append(c + label)
            eyes.append(_eye(grad, sizes[c]))
            labels.append(label)
        else:
            labels.append(c)
    return Einsum.apply(result, *eyes, subscripts=(unique, *eye_subscripts),
                        output="".join(labels))


def einsum(*args) -> Tensor:
    """Einstein summation: `einsum('ij,jk->ik', a, b)`, or PyTorch's sublist form.

    Supports '...' (broadcast), repeated labels within an operand (diagonals, 'ii->i'), the
    implicit output (labels seen once, sorted, after the '...' dims) and size-1 broadcasting.
    """
    equation, operands = _einsum_arguments(args)
    operands = tensor_list(operands, "einsum", "operands")
    for x in operands[1:]:
        _same_dtype(operands[0], x, "einsum()")
    subscripts, output = _parse_equation(equation, operands)
    sizes = {}
    for k, (labels, x) in enumerate(zip(subscripts, operands)):
        own = {}
        for c, size in zip(labels, x.shape):
            if own.setdefault(c, size) != size:
                raise RuntimeError(f"einsum(): subscript {c} is repeated for operand {k} but the "
                                   f"sizes don't match, {size} != {own[c]}")
        for c, size in own.items():
            seen = sizes.setdefault(c, size)
            if seen != size and 1 not in (seen, size):
                raise RuntimeError(f"einsum(): subscript {c} has size {size} for operand {k} "
                                   f"which does not broadcast with previously seen size {seen}")
            sizes[c] = size if seen == 1 else seen
    operands = [broadcast_to(x, tuple(sizes[c] for c in labels))
                for labels, x in zip(subscripts, operands)]
    return Einsum.apply(*operands, subscripts=tuple(subscripts), output=output)


def _einsum_arguments(args: tuple):
    """(equation, operands) from einsum's two call forms."""
    if args and isinstance(args[0], str):
        operands = args[1:]
        if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
            operands = operands[0]
        return args[0], list(operands)

    def letters(sublist) -> str:
        if any(n is not Ellipsis and not 0 <= n < len(_LABELS) for n in sublist):
            raise ValueError("einsum(): subscript in subscript list is not within the valid "
                             "range [0, 52)")
        return "".join("..." if n is Ellipsis else _LABELS[n] for n in sublist)

    operands, terms = list(args[0::2][:len(args) // 2]), list(args[1::2])
    equation = ",".join(letters(s) for s in terms)
    if len(args) % 2:
        equation += "->" + letters(args[-1])
    return equation, operands


def _parse_equation(equation: str, operands: list):
    """Explicit letter subscripts per operand and for the output, '...' expanded to letters."""
    equation = equation.replace(" ", "")
    lhs, arrow, rhs = equation.partition("->")
    terms = lhs.split(",")
    if len(terms) != len(operands):
        fewer = "fewer" if len(operands) < len(terms) else "more"
        raise RuntimeError(f"einsum(): {fewer} operands were provided than specified in the "
                           f"equation")
    for c in equation.replace("...", "").replace(",", "").replace("->", ""):
        if c not in _LABELS:
            raise RuntimeError(f"einsum(): invalid subscript {c!r} in the equation "
                               f"'{equation}', subscripts must be in [a-zA-Z]")
    ellipsis_dims = []
    for k, (term, x) in enumerate(zip(terms, operands)):
        named = len(term.replace("...", ""))
        if term.count("...") > 1 or (term.count("...") == 0 and named != x.ndim) or named > x.ndim:
            raise RuntimeError(f"einsum(): the subscripts '{term}' do not match the "
                               f"{x.ndim} dimensions of operand {k} (shape {list(x.shape)})")
        ellipsis_dims.append(x.ndim - named)
    if not arrow:
        counts = Counter(lhs.replace("...", "").replace(",", ""))
        rhs = ("..." if "..." in lhs else "") + "".join(sorted(c for c, n in counts.items()
                                                               if n == 1))
    free = [c for c in _LABELS if c not in equation]
    broadcast = "".join(free[:max(ellipsis_dims, default=0)])
    subscripts = [t.replace("...", broadcast[len(broadcast) - n:] if n else "")
                  for t, n in zip(terms, ellipsis_dims)]
    output = rhs.replace("...", broadcast)
    for c in output:
        if output.count(c) > 1:
            raise RuntimeError(f"einsum(): output subscript {c} appears more than once in the "
                               f"output")
        if not any(c in s for s in subscripts):
            raise RuntimeError(f"einsum(): output subscript {c} does not appear in the equation "
                               f"for any input operand")
    return subscripts, output
