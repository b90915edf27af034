"""Activation checkpointing (PyTorch's torch.utils.checkpoint): run a segment of a model
without keeping its intermediate tensors, and run it again during backward to get them.

`checkpoint(fn, *args)` is one node in the graph. Its forward runs fn once, keeping only the
inputs and outputs; its backward restores the random state of that forward (so dropout draws
the same masks), runs fn again with gradients on, and differentiates that fresh graph. Peak
memory then holds one segment's activations at a time instead of every segment's.

The non-reentrant form (`use_reentrant=False`, PyTorch's recommendation) also passes the
gradients of tensors fn uses but does not take as arguments (a module's parameters) through
the node, so `autograd.grad` and gradients of every order work. To know those tensors, its
forward records fn's graph once and frees it as soon as it has read the leaves off it. The
reentrant form accumulates parameter gradients directly into `.grad`, as PyTorch's does: its
output needs an input that requires grad.
"""
from __future__ import annotations

import warnings

from ndgrad._random import get_rng_state, set_rng_state
from ndgrad._tensor import Tensor
from ndgrad.autograd import Function, backward as autograd_backward, grad as autograd_grad
from ndgrad.autograd.engine import leaf_uses
from ndgrad.autograd.grad_mode import enable_grad, is_grad_enabled

__all__ = ["checkpoint", "checkpoint_sequential"]


def _detached(args: tuple) -> tuple:
    """The arguments with each Tensor replaced by a detached one that requires grad as the
    original did: the inputs of a recorded run of fn."""
    return tuple(a.detach().requires_grad_(a.requires_grad) if isinstance(a, Tensor) else a
                 for a in args)


def _tensors(outputs) -> list:
    return [outputs] if isinstance(outputs, Tensor) else \
        [o for o in outputs if isinstance(o, Tensor)]


class _Segment:
    """What a checkpointed call remembers: fn, its non-Tensor arguments and the random state
    its forward started from."""

    def __init__(self, function, args: tuple, kwargs: dict, preserve_rng_state: bool) -> None:
        self.function, self.args, self.kwargs = function, args, kwargs
        self.rng_state = get_rng_state() if preserve_rng_state else None

    def rerun(self, inputs: tuple):
        """fn on `inputs` (the Tensor arguments, in order) with gradients on, under the
        forward's random state; the caller's random state is left as it was."""
        tensors = iter(inputs)
        args = tuple(next(tensors) if isinstance(a, Tensor) else a for a in self.args)
        current = get_rng_state() if self.rng_state is not None else None
        if current is not None:
            set_rng_state(self.rng_state)
        try:
            with enable_grad():
                return self.function(*args, **self.kwargs)
        finally:
            if current is not None:
                set_rng_state(current)


class _NonReentrant(Function):
    """The node for checkpoint(use_reentrant=False): inputs are fn's Tensor arguments, then
    the other leaves its graph reached; outputs are fn's Tensor outputs."""

    @staticmethod
    def forward(ctx, segment, count, outputs, *inputs):
        ctx.segment, ctx.count = segment, count
        ctx.save_for_backward(*inputs)
        return tuple(o.detach() for o in outputs)

    @staticmethod
    def backward(ctx, *grads):
        inputs = ctx.saved_tensors
        higher_order = is_grad_enabled()  # create_graph: the gradients must reach the inputs
        arguments = inputs[:ctx.count] if higher_order else _detached(inputs[:ctx.count])
        outputs = _tensors(ctx.segment.rerun(arguments))
        wanted = [i for i, need in enumerate(ctx.needs_input_grad[3:]) if need]
        targets = [arguments[i] if i < ctx.count else inputs[i] for i in wanted]
        pairs = [(o, g) for o, g in zip(outputs, grads) if o.requires_grad and g is not None]
        found = autograd_grad([o for o, _ in pairs], targets, [g for _, g in pairs],
                              create_graph=higher_order, allow_unused=True) \
            if pairs and targets else [None] * len(targets)
        result = [None] * len(inputs)
        for i, g in zip(wanted, found):
            result[i] = g
        return (None, None, None, *result)


class _Reentrant(Function):
    """The node for checkpoint(use_reentrant=True): fn runs without a graph; backward reruns
    it and runs a nested backward that accumulates into the parameters' .grad."""

    @staticmethod
    def forward(ctx, segment, *inputs):
        ctx.segment = segment
        ctx.save_for_backward(*inputs)
        return tuple(_tensors(segment.function(*segment.args, **segment.kwargs)))

    @staticmethod
    def backward(ctx, *grads):
        arguments = _detached(ctx.saved_tensors)
        outputs = _tensors(ctx.segment.rerun(arguments))
        pairs = [(o, g) for o, g in zip(outputs, grads) if o.requires_grad and g is not None]
        if not pairs:
            raise RuntimeError("none of output has requires_grad=True, this checkpoint() is "
                               "not necessary")
        autograd_backward([o for o, _ in pairs], [g for _, g in pairs])
        return (None, *[a.grad if isinstance(a, Tensor) else None for a in arguments])


def _reassemble(outputs, tensors: tuple):
    """fn's output structure with its Tensors replaced by the node's outputs."""
    if isinstance(outputs, Tensor):
        return tensors[0]
    replacements = iter(tensors)
    return type(outputs)(next(replacements) if isinstance(o, Tensor) else o for o in outputs)


def checkpoint(function, *args, use_reentrant: bool | None = None, context_fn=None,
               determinism_check: str = "default", debug: bool = False,
               preserve_rng_state: bool = True, **kwargs):
    """function(*args, **kwargs), recomputed during backward instead of keeping its
    intermediate tensors. `function` returns a Tensor or a tuple/list of values."""
    if use_reentrant is None:
        warnings.warn("ndgrad.utils.checkpoint: the use_reentrant parameter should be passed "
                      "explicitly (as in PyTorch, the default is use_reentrant=True; "
                      "use_reentrant=False is recommended).", stacklevel=2)
        use_reentrant = True
    if context_fn is not None:
        raise ValueError("ndgrad.utils.checkpoint: context_fn is not supported")
    if use_reentrant and kwargs:
        raise ValueError("Unexpected keyword arguments: " + ",".join(kwargs))
    segment = _Segment(function, args, kwargs, preserve_rng_state)
    inputs = [a for a in args if isinstance(a, Tensor)]
    if use_reentrant:
        if is_grad_enabled() and not any(t.requires_grad for t in inputs):
            warnings.warn("None of the inputs have requires_grad=True. Gradients will be None")
        outputs = _Reentrant.apply(segment, *inputs)
        return outputs[0] if len(outputs) == 1 else outputs
    if not is_grad_enabled():
        return function(*args, **kwargs)
    # Record fn once to learn which other leaves it reaches; its graph dies with `outputs`.
    arguments = _detached(tuple(inputs))
    outputs = segment.rerun(arguments)
    tensor_outputs = _tensors(outputs)
    mine = {id(a) for a in arguments}
    nodes = [t.grad_fn for t in tensor_outputs if t.grad_fn is not None]
    others = [leaf for leaf, _ in leaf_uses(nodes).values()
              if id(leaf) not in mine and leaf.requires_grad]
    results = _NonReentrant.apply(segment, len(inputs), tensor_outputs, *inputs, *others)
    return _reassemble(outputs, results if isinstance(results, tuple) else (results,))


def checkpoint_sequential(functions, segments: int, input, use_reentrant: bool | None = None,
                          **kwargs):
    """Runs `functions` (a Sequential or a list of modules) in order, checkpointing all but the
    last of `segments` equal segments."""
    if use_reentrant is None:
        warnings.warn("ndgrad.utils.checkpoint.checkpoint_sequential: the use_reentrant "
                      "parameter should be passed explicitly (as in PyTorch, the default is "
                      "use_reentrant=True).", stacklevel=2)
        use_reentrant = True
    preserve = kwargs.pop("preserve_rng_state", True)
    if kwargs:
        raise ValueError("Unexpected keyword arguments: " + ",".join(kwargs))
    if not isinstance(functions, (list, tuple)):
        functions = list(functions.children())

    def run(start: int, stop: int):
        def forward(x):
            for f in functions[start:stop]:
                x = f(x)
            return x
        return forward

    size = len(functions) // segments
    end = 0
    for start in range(0, size * (segments - 1), size):
        end = start + size
        input = checkpoint(run(start, end), input, use_reentrant=use_reentrant,
                           preserve_rng_state=preserve)
    return run(end, len(functions))(input)
