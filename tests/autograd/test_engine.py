"""The backward engine: Tensor.backward, autograd.grad, hooks, retain_graph, higher order."""
import gc
import weakref

import numpy as np
import pytest

import ndgrad
from tests._oracle import assert_close

# ---- Tensor.backward and the implicit gradient


def test_scalar_backward_gets_implicit_gradient_of_one():
    x = ndgrad.tensor([1.0, 2.0, 3.0], requires_grad=True)
    (x * x).sum().backward()
    assert x.grad.tolist() == [2.0, 4.0, 6.0]


def test_one_element_output_of_any_shape_gets_implicit_gradient():
    x = ndgrad.tensor([[3.0]], requires_grad=True)
    (x * 2).backward()
    assert x.grad.tolist() == [[2.0]]


@pytest.mark.parametrize("gradient", [
    [1.0, 1.0],
    np.array([1.0, 1.0], dtype=np.float32),
    ndgrad.tensor([1.0, 1.0]),
], ids=["list", "ndarray", "tensor"])
def test_backward_gradient_as_list_array_or_tensor(gradient):
    x = ndgrad.tensor([1.0, 2.0], requires_grad=True)
    z = x * x * 3
    z.backward(gradient)
    assert x.grad.tolist() == [6.0, 12.0]


def test_seed_article_backward_with_list_gradient():
    x = ndgrad.Tensor([1, 2], requires_grad=True)
    z = x * x
    z.backward([1, 1])
    assert x.grad.tolist() == [2.0, 4.0]


@pytest.mark.parametrize("make", [lambda x: x * 2, lambda x: x], ids=["through_mul", "leaf"])
def test_gradient_of_other_float_dtype_is_cast_to_the_output_dtype(torch, make):
    for lib in (ndgrad, torch):
        x = lib.ones(2, requires_grad=True)
        make(x).backward(lib.ones(2, dtype=lib.float64))
        assert x.grad.dtype == lib.float32, lib.__name__


def test_grad_accumulates_on_leaves_across_backward_calls():
    x = ndgrad.tensor([1.0, -2.0], requires_grad=True)
    for _ in range(3):
        (x * 5).sum().backward()
    assert x.grad.tolist() == [15.0, 15.0]


def test_used_several_times_accumulates_diamond(torch):
    def diamond(x, w):
        a = x * w
        b = a.exp()
        c = a.sin()
        return (b * c + a * a).sum() + (x * x).sum()

    arrays = [np.random.default_rng(i).uniform(-1, 1, (3, 2)) for i in range(2)]
    ours = [ndgrad.tensor(a, requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    diamond(*ours).backward()
    diamond(*theirs).backward()
    for k, (a, b) in enumerate(zip(ours, theirs)):
        assert_close(a.grad, b.grad, "float64", f"gradient of input {k}")


def test_same_tensor_as_both_operands():
    x = ndgrad.tensor([3.0], requires_grad=True)
    (x * x + x).backward()
    assert x.grad.tolist() == [7.0]


def test_leaf_grads_do_not_share_storage():
    a = ndgrad.ones(3, requires_grad=True)
    b = ndgrad.ones(3, requires_grad=True)
    seed = ndgrad.ones(3)
    (a + b).backward(seed)
    a.grad.numpy()[0] = 100.0
    a.grad.mul_(2)
    assert b.grad.tolist() == [1.0, 1.0, 1.0]
    assert seed.tolist() == [1.0, 1.0, 1.0]


def test_grads_from_sum_and_from_backward_inputs_are_writable_and_private():
    x = ndgrad.ones(3, requires_grad=True)
    x.sum().backward()  # SumBackward broadcasts: the gradient starts as a read-only view
    x.grad.zero_()
    assert x.grad.tolist() == [0.0, 0.0, 0.0]
    y = ndgrad.ones(2, requires_grad=True)
    seed = ndgrad.ones(2)
    (y + 0).backward(seed, inputs=[y])
    y.grad.add_(1)
    assert y.grad.tolist() == [2.0, 2.0] and seed.tolist() == [1.0, 1.0]


def test_retained_grad_does_not_share_storage_with_leaf_grad():
    x = ndgrad.ones(2, requires_grad=True)
    h = x + 0
    h.retain_grad()
    (h * 3).sum().backward()
    x.grad.zero_()
    h.grad.add_(1)
    assert h.grad.tolist() == [4.0, 4.0] and x.grad.tolist() == [0.0, 0.0]


def test_backward_with_inputs_only_fills_those():
    x = ndgrad.tensor([1.0], requires_grad=True)
    y = ndgrad.tensor([2.0], requires_grad=True)
    (x * y).backward(inputs=[y])
    assert x.grad is None
    assert y.grad.tolist() == [1.0]


def test_plain_backward_gives_grads_outside_the_graph():
    x = ndgrad.tensor([1.0, 2.0], requires_grad=True)
    (x * x).sum().backward()
    assert not x.grad.requires_grad and x.grad.grad_fn is None


# ---- autograd.grad


def test_grad_returns_gradients_and_leaves_dot_grad_alone(torch):
    x = ndgrad.tensor([0.5, 1.5], requires_grad=True)
    w = ndgrad.tensor([2.0, -1.0], requires_grad=True)
    tx = torch.tensor([0.5, 1.5], requires_grad=True)
    tw = torch.tensor([2.0, -1.0], requires_grad=True)
    gx, gw = ndgrad.autograd.grad((x * w).exp().sum(), [x, w])
    tgx, tgw = torch.autograd.grad((tx * tw).exp().sum(), [tx, tw])
    assert_close(gx, tgx, "float32", "d/dx")
    assert_close(gw, tgw, "float32", "d/dw")
    assert x.grad is None and w.grad is None


def test_grad_with_grad_outputs_and_several_outputs(torch):
    x = ndgrad.tensor([1.0, 2.0, 3.0], requires_grad=True)
    tx = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    v1, v2 = [0.5, -1.0, 2.0], [1.0, 1.0, 0.0]
    (g,) = ndgrad.autograd.grad([x * x, x.sin()], x, [ndgrad.tensor(v1), ndgrad.tensor(v2)])
    (tg,) = torch.autograd.grad([tx * tx, tx.sin()], tx, [torch.tensor(v1), torch.tensor(v2)])
    assert_close(g, tg, "float32", "vector-Jacobian product")


def test_grad_of_an_intermediate_tensor():
    x = ndgrad.tensor([2.0], requires_grad=True)
    h = x * 3
    (gh, gx) = ndgrad.autograd.grad((h * h).sum(), [h, x])
    assert gh.tolist() == [12.0] and gx.tolist() == [36.0]


def test_grad_allow_unused_returns_none():
    x = ndgrad.tensor([1.0], requires_grad=True)
    unused = ndgrad.tensor([1.0], requires_grad=True)
    gx, gu = ndgrad.autograd.grad((x * 2).sum(), [x, unused], allow_unused=True)
    assert gx.tolist() == [2.0] and gu is None


def test_grad_materialize_grads_gives_zeros():
    x = ndgrad.tensor([1.0], requires_grad=True)
    unused = ndgrad.tensor([1.0, 1.0], requires_grad=True)
    _, gu = ndgrad.autograd.grad((x * 2).sum(), [x, unused], materialize_grads=True)
    assert gu.tolist() == [0.0, 0.0]


# ---- retain_grad, hooks, detach, requires_grad_


def test_retain_grad_on_non_leaf():
    x = ndgrad.tensor([1.0, 2.0], requires_grad=True)
    h = x * 3
    h.retain_grad()
    assert h.retains_grad
    (h * h).sum().backward()
    assert h.grad.tolist() == [6.0, 12.0]
    assert x.grad.tolist() == [18.0, 36.0]


def test_non_leaf_without_retain_grad_has_no_grad():
    x = ndgrad.tensor([1.0], requires_grad=True)
    h = x * 3
    (h * h).sum().backward()
    assert h.grad is None


def test_leaf_hook_sees_total_gradient_and_can_replace_it():
    x = ndgrad.tensor([1.0, 2.0], requires_grad=True)
    seen = []
    x.register_hook(lambda g: seen.append(g.tolist()))
    x.register_hook(lambda g: g * 10)
    (x * 2 + x * 3).sum().backward()
    assert seen == [[5.0, 5.0]]
    assert x.grad.tolist() == [50.0, 50.0]


def test_non_leaf_hook_changes_what_flows_further(torch):
    def run(lib):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        h = x * x
        h.retain_grad()
        h.register_hook(lambda g: g * 2)
        (h * 3).sum().backward()
        return x.grad.tolist(), h.grad.tolist()

    assert run(ndgrad) == run(torch) == ([12.0, 24.0], [6.0, 6.0])


def test_hook_handle_remove():
    x = ndgrad.tensor([1.0], requires_grad=True)
    handle = x.register_hook(lambda g: g * 100)
    handle.remove()
    (x * 2).sum().backward()
    assert x.grad.tolist() == [2.0]
    h = x * 1
    handle = h.register_hook(lambda g: g * 100)
    handle.remove()
    x.grad = None
    (h * 2).sum().backward()
    assert x.grad.tolist() == [2.0]


def test_hook_changing_the_gradient_shape_raises():
    x = ndgrad.ones(2, requires_grad=True)
    h = x * 2
    h.register_hook(lambda g: g.sum())
    with pytest.raises(RuntimeError, match=r"hook '<lambda>' has changed the size of value"):
        (h * 1).sum().backward()


def test_register_hook_on_tensor_without_grad_raises():
    with pytest.raises(RuntimeError, match="doesn't require gradient"):
        ndgrad.ones(2).register_hook(lambda g: g)


def test_detach_shares_data_and_cuts_the_graph():
    x = ndgrad.tensor([1.0, 2.0], requires_grad=True)
    h = x * 2
    d = h.detach()
    assert not d.requires_grad and d.grad_fn is None and d.is_leaf
    assert np.shares_memory(d.numpy(), h.detach().numpy())
    (h * d).sum().backward()
    assert x.grad.tolist() == [4.0, 8.0]


def test_detach_in_place_makes_a_leaf():
    x = ndgrad.tensor([1.0], requires_grad=True)
    h = x * 2
    assert h.detach_() is h
    assert h.is_leaf and not h.requires_grad and h.grad_fn is None


def test_requires_grad_():
    x = ndgrad.tensor([1.0, 2.0])
    assert not x.requires_grad
    assert x.requires_grad_() is x and x.requires_grad
    x.requires_grad_(False)
    assert not x.requires_grad
    h = ndgrad.tensor([1.0], requires_grad=True) * 2
    with pytest.raises(RuntimeError, match="only change requires_grad flags of leaf"):
        h.requires_grad_(False)


# ---- grad_fn, is_leaf, requires_grad propagation


def test_grad_fn_names_and_repr():
    x = ndgrad.tensor([1.0, 2.0], requires_grad=True)
    y = ndgrad.tensor([3.0, 4.0], requires_grad=True)
    z = x * y
    assert "MulBackward" in repr(z.grad_fn)
    assert "grad_fn=<MulBackward>" in repr(z)
    assert "requires_grad=True" in repr(x)
    assert x.grad_fn is None and "grad_fn" not in repr(x)
    assert z.grad_fn.next_functions == ((None, 0), (None, 0))
    w = z.exp()
    assert w.grad_fn.next_functions == ((z.grad_fn, 0),)


def test_is_leaf_and_requires_grad_propagation():
    x = ndgrad.tensor([1.0, 2.0], requires_grad=True)
    c = ndgrad.tensor([3.0, 4.0])
    assert x.is_leaf and c.is_leaf and not c.requires_grad
    assert (c * 2).is_leaf and not (c * 2).requires_grad
    y = x * c
    assert y.requires_grad and not y.is_leaf
    assert (y + c).requires_grad


@pytest.mark.parametrize("make", [
    lambda x: x.argmax(),
    lambda x: x > 0,
    lambda x: x.long(),
    lambda x: x.floor().long(),
], ids=["argmax", "gt", "long", "floor_long"])
def test_integer_and_bool_outputs_do_not_require_grad(make):
    x = ndgrad.tensor([1.5, -2.0], requires_grad=True)
    out = make(x)
    assert not out.requires_grad and out.grad_fn is None


# ---- saved tensors, retain_graph


@pytest.mark.parametrize("make", [
    lambda x: x.exp().sum(),
    lambda x: (x * x).sum(),
], ids=["exp", "mul"])
def test_second_backward_through_freed_graph_raises(make):
    x = ndgrad.tensor([1.0, 2.0], requires_grad=True)
    y = make(x)
    y.backward()
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        y.backward()


def test_retain_graph_allows_second_backward_and_accumulates():
    x = ndgrad.tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).exp().sum()
    y.backward(retain_graph=True)
    first = x.grad.numpy().copy()
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * first, rtol=1e-6)


def test_saved_tensors_are_freed_after_backward():
    x = ndgrad.tensor([1.0, 2.0], requires_grad=True)
    h = x * 2
    y = h.sin()  # saves h
    alive = weakref.ref(h)
    del h
    gc.collect()
    assert alive() is not None
    y.sum().backward()
    gc.collect()
    assert alive() is None
    assert y.grad_fn is not None


def _sin_of_copy(x):
    copy = x * 1
    return copy, copy.sin()  # SinBackward saves its input


def _exp(x):
    out = x.exp()
    return out, out  # ExpBackward saves its output


@pytest.mark.parametrize("make, node", [(_sin_of_copy, "SinBackward"), (_exp, "ExpBackward")],
                         ids=["saved_input", "saved_output"])
def test_in_place_change_to_saved_tensor_is_caught_naming_the_op(make, node):
    changed, out = make(ndgrad.ones(2, requires_grad=True))
    changed.mul_(2)
    with pytest.raises(RuntimeError, match=rf"modified by an inplace operation.*{node}.*"
                                           "version 1; expected version 0"):
        out.sum().backward()


def test_backward_through_ops_without_saved_tensors_twice_works():
    x = ndgrad.tensor([1.0], requires_grad=True)
    y = (x + 1).sum()
    y.backward()
    y.backward()
    assert x.grad.tolist() == [2.0]


def test_grad_frees_graph_unless_retained():
    x = ndgrad.tensor([1.0], requires_grad=True)
    y = x.exp().sum()
    ndgrad.autograd.grad(y, x, retain_graph=True)
    ndgrad.autograd.grad(y, x)
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        ndgrad.autograd.grad(y, x)


# ---- a long chain: the engine is iterative


def test_backward_through_a_100k_op_chain():
    x = ndgrad.tensor(1.0, requires_grad=True)
    y = x
    for _ in range(100_000):
        y = y + 0
    y.backward()
    assert x.grad.item() == 1.0


# ---- higher order


def test_hessian_vector_product(torch):
    def f(lib, x):
        return (x.sin() * x * x).sum() + (x[:2] * x[1:]).sum()

    array = np.array([0.3, -1.2, 2.0])
    v = np.array([1.0, 0.5, -2.0])
    results = []
    for lib in (ndgrad, torch):
        x = lib.tensor(array, requires_grad=True)
        (g,) = lib.autograd.grad(f(lib, x), x, create_graph=True)
        (hv,) = lib.autograd.grad(g, x, grad_outputs=lib.tensor(v))
        results.append(hv)
    assert_close(results[0], results[1], "float64", "Hessian-vector product")


def test_gradient_penalty_backward(torch):
    def penalty(lib, x, w):
        out = (x * w).tanh().sum() + (w * w * x).sum()
        (g,) = lib.autograd.grad(out, x, create_graph=True)
        return ((g * g).sum().sqrt() - 1) ** 2

    rng = np.random.default_rng(3)
    arrays = [rng.uniform(-1, 1, (4,)), rng.uniform(-1, 1, (4,))]
    ours = [ndgrad.tensor(a, requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    loss_ours = penalty(ndgrad, *ours)
    loss_theirs = penalty(torch, *theirs)
    assert_close(loss_ours, loss_theirs, "float64", "penalty")
    loss_ours.backward()
    loss_theirs.backward()
    for k, (a, b) in enumerate(zip(ours, theirs)):
        assert_close(a.grad, b.grad, "float64", f"penalty gradient of input {k}")


@pytest.mark.parametrize("fn, derivatives", [
    (lambda x: x ** 4, lambda x: [4 * x ** 3, 12 * x ** 2, 24 * x]),
    (lambda x: x.sin(), lambda x: [np.cos(x), -np.sin(x), -np.cos(x)]),
], ids=["pow4", "sin"])
def test_third_derivative(fn, derivatives):
    values = np.array([0.5, -1.5, 2.0])
    x = ndgrad.tensor(values, requires_grad=True)
    y = fn(x).sum()
    for k, expected in enumerate(derivatives(values)):
        (y,) = ndgrad.autograd.grad(y, x, create_graph=True)
        np.testing.assert_allclose(y.detach().numpy(), expected, rtol=1e-10,
                                   err_msg=f"derivative {k + 1}")
        y = y.sum()


def test_create_graph_leaf_grad_is_differentiable():
    x = ndgrad.tensor([2.0], requires_grad=True)
    (x ** 3).sum().backward(create_graph=True)
    assert x.grad.requires_grad
    (g2,) = ndgrad.autograd.grad(x.grad.sum(), x)
    assert g2.tolist() == [12.0]


# ---- bad input: clear errors


def test_backward_of_non_scalar_without_gradient_raises():
    x = ndgrad.ones(2, 3, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"grad can be implicitly created only for scalar "
                                           r"outputs.*\[2, 3\]"):
        (x * 2).backward()


def test_backward_on_tensor_without_grad_raises():
    with pytest.raises(RuntimeError, match="does not require grad and does not have a grad_fn"):
        ndgrad.ones(2).sum().backward()


def test_grad_of_input_that_does_not_require_grad_raises():
    x = ndgrad.ones(2, requires_grad=True)
    c = ndgrad.ones(2)
    with pytest.raises(RuntimeError, match="One of the differentiated Tensors does not require "
                                           "grad"):
        ndgrad.autograd.grad((x * c).sum(), [x, c])


def test_gradient_of_wrong_shape_raises():
    x = ndgrad.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"Mismatch in shape: grad_output\[0\] has a shape of "
                                           r"\[2\] and output\[0\] has a shape of \[3\]"):
        (x * 2).backward(ndgrad.ones(2))


def test_unused_input_without_allow_unused_raises():
    x = ndgrad.ones(2, requires_grad=True)
    unused = ndgrad.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="appears to not have been used in the graph.*"
                                           "allow_unused=True"):
        ndgrad.autograd.grad((x * 2).sum(), [x, unused])


def test_wrong_number_of_grad_outputs_raises():
    x = ndgrad.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="2 gradients for 1 outputs"):
        ndgrad.autograd.grad([(x * 2).sum()], x, [ndgrad.ones(()), ndgrad.ones(())])


# ---- scheduling: random graphs, where nodes are reached along paths of different lengths


def _random_graph(lib, leaves, seed: int):
    """A random DAG over `leaves`: each new value combines earlier ones (chosen at random, so
    values are reused, branch and rejoin), and the result sums several of them."""
    rng = np.random.default_rng(seed)
    values = list(leaves)
    for _ in range(30):
        a, b = (values[i] for i in rng.integers(0, len(values), 2))
        kind = rng.integers(0, 5)
        if kind == 0:
            values.append(a + b)
        elif kind == 1:
            values.append(a * b * 0.5)
        elif kind == 2:
            values.append(lib.tanh(a) - b)
        elif kind == 3:
            values.append(a.sum(0, keepdim=True) * 0.1 + b)  # broadcasts back
        else:
            values.append(lib.sigmoid(a) * 2.0)
    picked = rng.choice(len(values), size=4, replace=False)
    return sum(values[i].sum() for i in picked)


@pytest.mark.parametrize("create_graph", [False, True], ids=["arrays", "tensors"])
@pytest.mark.parametrize("seed", range(12))
def test_random_graphs_match_torch(torch, seed, create_graph):
    arrays = [np.random.default_rng(100 + i).uniform(-1, 1, (3, 4)) for i in range(3)]
    ours = [ndgrad.tensor(a, requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    _random_graph(ndgrad, ours, seed).backward(create_graph=create_graph)
    _random_graph(torch, theirs, seed).backward()
    for k, (mine, expected) in enumerate(zip(ours, theirs)):
        if expected.grad is None:
            assert mine.grad is None
        else:
            assert_close(mine.grad, expected.grad, "float64", f"gradient of leaf {k}")


def test_second_backward_adds_into_the_same_grad_tensor_as_torch(torch):
    results = []
    for lib in (ndgrad, torch):
        x = lib.ones(3, requires_grad=True)
        (x * 2).sum().backward()
        first = x.grad
        version = first._version
        (x * x).sum().backward()
        results.append((first is x.grad, first.tolist(), first._version > version))
    assert results[0] == results[1] == (True, [4.0, 4.0, 4.0], True)


def test_grad_accumulation_with_create_graph_makes_a_new_graph_tensor():
    x = ndgrad.tensor([1.0, 2.0], requires_grad=True)
    (x * x).sum().backward(create_graph=True)
    first = x.grad
    (x * x).sum().backward(create_graph=True)
    assert x.grad is not first and x.grad.requires_grad
    assert x.grad.tolist() == [4.0, 8.0] and first.tolist() == [2.0, 4.0]


def test_saved_tensors_are_tensors_again_after_a_retained_plain_backward():
    # A plain backward hands ops that run on arrays their saved values as arrays; outside
    # backward, grad_fn.saved_tensors must give graph Tensors as before.
    x = ndgrad.tensor([1.0, 2.0], requires_grad=True)
    y = x.tanh()
    y.sum().backward(retain_graph=True)
    saved, = y.grad_fn.saved_tensors
    assert isinstance(saved, ndgrad.Tensor) and saved.grad_fn is y.grad_fn
    (g,) = ndgrad.autograd.grad(y.sum(), x, create_graph=True)
    assert g.requires_grad


def test_backward_with_inputs_adds_into_the_same_grad_tensor_as_torch(torch):
    results = []
    for lib in (ndgrad, torch):
        x, y = lib.ones(2, requires_grad=True), lib.ones(2, requires_grad=True)
        (x * y).sum().backward(inputs=[x])
        first = x.grad
        (x * y * 2).sum().backward(inputs=[x])
        results.append((first is x.grad, x.grad.tolist(), y.grad is None))
    assert results[0] == results[1] == (True, [3.0, 3.0], True)
