"""einops on ndgrad tensors: results and gradients against torch, backend discovery."""
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import ndgrad

einops = pytest.importorskip("einops")

# Each row: a name and a function of (einops, x) for x of shape (2, 3, 4, 6).
SPECS = [
    ("transpose", lambda e, x: e.rearrange(x, "b c h w -> b h w c")),
    ("merge", lambda e, x: e.rearrange(x, "b c h w -> (b h) (c w)")),
    ("split", lambda e, x: e.rearrange(x, "b c h (w2 w) -> b w2 c h w", w2=2)),
    ("space-to-depth", lambda e, x: e.rearrange(x, "b c (h h2) (w w2) -> b (c h2 w2) h w",
                                                h2=2, w2=2)),
    ("ellipsis", lambda e, x: e.rearrange(x, "b ... w -> w ... b")),
    ("reduce-max", lambda e, x: e.reduce(x, "b c h w -> b c", "max")),
    ("reduce-min", lambda e, x: e.reduce(x, "b c h w -> c w", "min")),
    ("reduce-sum", lambda e, x: e.reduce(x, "b c h w -> b 1 h", "sum")),
    ("reduce-mean-pool", lambda e, x: e.reduce(x, "b c (h h2) (w w2) -> b c h w", "mean",
                                               h2=2, w2=3)),
    ("reduce-prod", lambda e, x: e.reduce(x, "b c h w -> b w", "prod")),
    ("repeat-new-axis", lambda e, x: e.repeat(x, "b c h w -> b c h w r", r=3)),
    ("repeat-tile", lambda e, x: e.repeat(x, "b c h w -> b (r c) h (w s)", r=2, s=2)),
    ("einsum", lambda e, x: e.einsum(x, x[0], "b c h w, c h v -> b w v")),
    ("pack", lambda e, x: e.pack([x, x[:, :, 0]], "b c *")[0]),
    ("unpack", lambda e, x: e.unpack(e.rearrange(x, "b c h w -> b c (h w)"), [(4,), (4, 5)],
                                     "b c *")[1]),
]


def _run(spec, lib, data, weight_seed=1):
    x = lib.tensor(data, requires_grad=True)
    out = spec(einops, x)
    weight = np.random.default_rng(weight_seed).standard_normal(tuple(out.shape))
    (out * lib.tensor(weight.astype(data.dtype))).sum().backward()
    return out.detach().numpy(), x.grad.numpy()


@pytest.mark.parametrize("name, spec", SPECS, ids=[name for name, _ in SPECS])
def test_results_and_gradients_match_torch(torch, name, spec):
    data = np.random.default_rng(0).standard_normal((2, 3, 4, 6)).astype(np.float64)
    ours, ours_grad = _run(spec, ndgrad, data)
    theirs, theirs_grad = _run(spec, torch, data)
    np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(ours_grad, theirs_grad, rtol=1e-12, atol=1e-12)


def test_pack_unpack_round_trip_and_parse_shape():
    image, mask = ndgrad.randn(2, 3, 4), ndgrad.randn(2, 4)
    packed, shapes = einops.pack([image, mask], "b * h")
    assert tuple(packed.shape) == (2, 4, 4) and shapes == [(3,), ()]
    back = einops.unpack(packed, shapes, "b * h")
    np.testing.assert_array_equal(back[0].numpy(), image.numpy())
    np.testing.assert_array_equal(back[1].numpy(), mask.numpy())
    assert einops.parse_shape(image, "b _ h") == {"b": 2, "h": 4}


def test_integer_tensors_and_mean_refusal():
    x = ndgrad.arange(24).reshape(2, 3, 4)
    assert einops.reduce(x, "a b c -> a", "sum").tolist() == [66, 210]
    with pytest.raises(NotImplementedError, match="mean"):  # as for torch tensors
        einops.reduce(x, "a b c -> a", "mean")


# ---------------------------------------------------------------- the seed article


def batched_logsumexp(matrix):
    c = matrix.max(dim=-1, keepdim=True).values
    shifted = matrix - c
    return c.squeeze(-1) + shifted.exp().sum(dim=-1).log()


def batched_logsoftmax(matrix):
    c = matrix.max(dim=-1, keepdim=True).values
    log_sum_exp = c + (matrix - c).exp().sum(dim=-1, keepdim=True).log()
    return matrix - log_sum_exp


def batched_softmax(matrix):
    c = matrix.max(dim=-1, keepdim=True).values
    shifted_exp = (matrix - c).exp()
    return shifted_exp / shifted_exp.sum(dim=-1, keepdim=True)


def einops_logsumexp(matrix):
    c = einops.reduce(matrix, "batch n -> batch 1", "max")
    return einops.rearrange(c, "batch 1 -> batch") + einops.reduce(
        (matrix - c).exp(), "batch n -> batch", "sum").log()


def einops_softmax(matrix):
    shifted_exp = (matrix - einops.reduce(matrix, "batch n -> batch 1", "max")).exp()
    return shifted_exp / einops.reduce(shifted_exp, "batch n -> batch 1", "sum")


SEED = [batched_logsumexp, batched_logsoftmax, batched_softmax, einops_logsumexp,
        einops_softmax]


@pytest.mark.parametrize("function", SEED, ids=[f.__name__ for f in SEED])
def test_seed_article_functions(torch, function):
    """"Introduction to Torch & Einops": its functions run on ndgrad as on torch, even on
    logits large enough to overflow a naive exp."""
    data = np.random.default_rng(0).standard_normal((4, 7)) * 300
    ours = function(ndgrad.tensor(data))
    np.testing.assert_allclose(ours.numpy(), function(torch.tensor(data)).numpy(), rtol=1e-12)
    assert np.isfinite(ours.numpy()).all()


def test_seed_cross_entropy_with_einops_logsumexp(torch):
    logits = np.random.default_rng(1).standard_normal((5, 3))
    labels = np.array([0, 2, 1, 1, 0])

    def cross_entropy(lib, logits, labels):
        log_prob = logits - einops.rearrange(einops_logsumexp(logits), "b -> b 1")
        return -log_prob[lib.arange(len(labels)), labels]

    ours = cross_entropy(ndgrad, ndgrad.tensor(logits), ndgrad.tensor(labels))
    theirs = torch.nn.functional.cross_entropy(torch.tensor(logits), torch.tensor(labels),
                                               reduction="none")
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-12)


# ---------------------------------------------------------------- discovery


@pytest.mark.parametrize("order", ["ndgrad-first", "einops-first"])
def test_backend_is_found_in_either_import_order(order):
    imports = {"ndgrad-first": "import ndgrad\nassert 'einops' not in sys.modules\n"
                               # an availability check before the import changes nothing
                               "import importlib.util\nimportlib.util.find_spec('einops')\n"
                               "import einops",
               "einops-first": "import einops\nimport ndgrad"}[order]
    script = (f"import sys\n{imports}\n"
              "x = ndgrad.ones(2, 3, requires_grad=True)\n"
              "y = einops.rearrange(x, 'a b -> b a')\n"
              "assert type(y) is ndgrad.Tensor and tuple(y.shape) == (3, 2)\n"
              "(y * ndgrad.arange(3.0)[:, None]).sum().backward()\n"
              "print(x.grad.tolist())\n")
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            timeout=120, check=False, cwd=Path(__file__).resolve().parent.parent)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[[0.0, 1.0, 2.0], [0.0, 1.0, 2.0]]"
