"""What every model builder shares: ndgrad ships no pretrained weights."""
from __future__ import annotations

from typing import Any


def no_pretrained_weights(builder: str, weights: Any, kwargs: dict) -> None:
    """Raises ValueError unless the model is asked for without weights: `weights=None` and
    no legacy `pretrained=True`. Nothing is ever downloaded."""
    pretrained = kwargs.pop("pretrained", False)
    if weights is not None or pretrained:
        asked = f"weights={weights!r}" if weights is not None else "pretrained=True"
        raise ValueError(f"{builder}({asked}): ndgrad.vision.models has no pretrained weights; "
                         f"build {builder}(weights=None) and load a state_dict into it "
                         "(e.g. model.load_state_dict(ndgrad.load(path)))")


def make_divisible(value: float, divisor: int, min_value: int | None = None) -> int:
    """`value` rounded to a multiple of `divisor` (at least `min_value`), never more than 10%
    below `value`: the channel rounding of MobileNet."""
    min_value = divisor if min_value is None else min_value
    rounded = max(min_value, int(value + divisor / 2) // divisor * divisor)
    return rounded + divisor if rounded < 0.9 * value else rounded
