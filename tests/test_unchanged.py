"""The record tests/_unchanged.py compares sees each kind of change a failed call could make."""
import pytest

import ndgrad
from tests._unchanged import snapshot


def _model_and_optimizer():
    model = ndgrad.nn.Sequential(ndgrad.nn.Linear(3, 2), ndgrad.nn.BatchNorm1d(2))
    optimizer = ndgrad.optim.Adam(model.parameters(), lr=0.1)
    model(ndgrad.ones(4, 3)).sum().backward()
    optimizer.step()
    return model, optimizer


CHANGES = {
    "parameter_value": lambda model, opt: model[0].weight.data.mul_(2),
    "gradient": lambda model, opt: model[0].bias.grad.add_(1),
    "gradient_cleared": lambda model, opt: setattr(model[0].bias, "grad", None),
    "buffer": lambda model, opt: model[1].num_batches_tracked.add_(1),
    "training_flag": lambda model, opt: model[1].eval(),
    "new_attribute": lambda model, opt: setattr(model[0], "extra", 1),
    "replaced_parameter": lambda model, opt: setattr(
        model[0], "weight", ndgrad.nn.Parameter(model[0].weight.detach().clone())),
    "hyper_parameter": lambda model, opt: opt.param_groups[0].update(lr=0.2),
    "optimizer_state": lambda model, opt: opt.state[model[0].weight]["exp_avg"].add_(1),
    "optimizer_state_entry": lambda model, opt: opt.state[ndgrad.ones(1)],
}


@pytest.mark.parametrize("change", CHANGES.values(), ids=CHANGES.keys())
def test_snapshot_sees_the_change(change):
    model, optimizer = _model_and_optimizer()
    before = snapshot((model, optimizer))
    assert snapshot((model, optimizer)) == before
    change(model, optimizer)
    assert snapshot((model, optimizer)) != before
