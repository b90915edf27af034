"""Nested tuples, lists and dicts of values ("pytrees"), flattened to a list of leaves and back."""
from __future__ import annotations


class TreeSpec:
    """The shape of a pytree: its container type, keys and children's specs (None for a leaf)."""

    __slots__ = ("kind", "keys", "children", "count")

    def __init__(self, kind: type | None, keys: tuple = (), children: tuple = ()) -> None:
        self.kind, self.keys, self.children = kind, keys, children
        self.count = 1 if kind is None else sum(c.count for c in children)


def tree_flatten(tree) -> tuple[list, TreeSpec]:
    """The leaves of `tree` in order, and the spec that rebuilds it from them."""
    leaves: list = []
    return leaves, _flatten_into(tree, leaves)


def _flatten_into(tree, leaves: list) -> TreeSpec:
    if isinstance(tree, dict):
        keys = tuple(tree)
        return TreeSpec(dict, keys, tuple(_flatten_into(tree[k], leaves) for k in keys))
    if isinstance(tree, (tuple, list)):
        return TreeSpec(type(tree), (), tuple(_flatten_into(v, leaves) for v in tree))
    leaves.append(tree)
    return TreeSpec(None)


def tree_unflatten(leaves: list, spec: TreeSpec):
    """The pytree of shape `spec` holding `leaves` in order."""
    if len(leaves) != spec.count:
        raise ValueError(f"a tree with {spec.count} leaves cannot hold {len(leaves)}")
    return _build(iter(leaves), spec)


def _build(leaves, spec: TreeSpec):
    if spec.kind is None:
        return next(leaves)
    children = [_build(leaves, child) for child in spec.children]
    if spec.kind is dict:
        return dict(zip(spec.keys, children))
    if spec.kind is tuple or spec.kind is list:
        return spec.kind(children)
    return spec.kind(*children)  # a namedtuple


def broadcast_prefix(prefix, tree, what: str) -> list:
    """One value of `prefix` per leaf of `tree`, where `prefix` is a tree of the same structure
    down to some depth (e.g. in_dims=(0, None) for two arguments, each any pytree)."""
    if not isinstance(prefix, (tuple, list, dict)):
        return [prefix] * tree_flatten(tree)[1].count
    if isinstance(prefix, dict) != isinstance(tree, dict) or \
            not isinstance(tree, (tuple, list, dict)) or len(prefix) != len(tree):
        raise ValueError(f"{what}={prefix!r} does not match the structure of the inputs")
    items = prefix.items() if isinstance(prefix, dict) else enumerate(prefix)
    result = []
    for key, sub in items:
        if isinstance(prefix, dict) and key not in tree:
            raise ValueError(f"{what} has key {key!r} that the inputs lack")
        result.extend(broadcast_prefix(sub, tree[key], what))
    return result
