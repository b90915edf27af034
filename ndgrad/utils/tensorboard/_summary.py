"""Summary protocol buffers for SummaryWriter: scalars, histograms, images, text, hparams.

Values arrive as ndgrad tensors, NumPy arrays or Python numbers and are turned into the
tensorboard package's protos (tensorboard.compat.proto, the plugins' metadata helpers), laid
out as torch.utils.tensorboard lays them out, so TensorBoard shows both the same way.
"""
from __future__ import annotations

import io

import numpy as np
from tensorboard.compat.proto.summary_pb2 import HistogramProto, Summary, SummaryMetadata
from tensorboard.compat.proto.tensor_pb2 import TensorProto
from tensorboard.compat.proto.tensor_shape_pb2 import TensorShapeProto
from tensorboard.plugins.hparams import api_pb2, plugin_data_pb2
from tensorboard.plugins.hparams import metadata as hparams_metadata
from tensorboard.plugins.text import metadata as text_metadata

from ndgrad._tensor import Tensor


def to_numpy(value) -> np.ndarray:
    """A tensor, array, list or number as a NumPy array (tensors leave the graph)."""
    if isinstance(value, Tensor):
        return value.detach().cpu().numpy()
    return np.asarray(value)


def _item(value, what: str) -> float:
    array = to_numpy(value)
    if array.size != 1:
        raise ValueError(f"{what} must be a single number, got shape {tuple(array.shape)}")
    return array.reshape(()).item()


# ---------------------------------------------------------------- scalars


def scalar(tag: str, value, new_style: bool = False, double_precision: bool = False) -> Summary:
    """A scalar: `simple_value` (the classic layout) or, new_style, a 0-d tensor for the
    scalars plugin."""
    number = float(_item(value, f"scalar {tag!r}"))
    if not new_style:
        return Summary(value=[Summary.Value(tag=tag, simple_value=number)])
    if double_precision:
        tensor = TensorProto(dtype="DT_DOUBLE", double_val=[number])
    else:
        tensor = TensorProto(dtype="DT_FLOAT", float_val=[number])
    plugin = SummaryMetadata.PluginData(plugin_name="scalars")
    return Summary(value=[Summary.Value(tag=tag, tensor=tensor,
                                        metadata=SummaryMetadata(plugin_data=plugin))])


# ---------------------------------------------------------------- histograms


def default_bins() -> np.ndarray:
    """TensorFlow's default histogram edges: +-1e-12 growing by 10% to +-1e20, and 0."""
    positive = [1e-12]
    while positive[-1] * 1.1 < 1e20:
        positive.append(positive[-1] * 1.1)  # by repeated products, as TensorFlow's are
    return np.concatenate([-np.array(positive[::-1]), [0.0], positive])


def histogram(tag: str, values, bins="tensorflow", max_bins: int | None = None) -> Summary:
    """A histogram of `values`; bins: 'tensorflow' (TensorFlow's edges), a NumPy bin rule
    ('auto', 'fd', ...), a count or explicit edges."""
    data = to_numpy(values).astype(np.float64).reshape(-1)
    if data.size == 0:
        raise ValueError(f"histogram {tag!r}: there are no values")
    if not np.isfinite(data).all():
        raise ValueError(f"histogram {tag!r}: the values hold inf or nan")
    counts, edges = np.histogram(data, bins=default_bins() if bins == "tensorflow" else bins)
    if max_bins is not None and len(counts) > max_bins:
        # Merge neighbouring buckets so that at most max_bins remain.
        group = -(-len(counts) // max_bins)
        padded = np.pad(counts, (0, -len(counts) % group))
        counts = padded.reshape(-1, group).sum(axis=1)
        edges = np.append(edges[:-1:group], edges[-1])
    filled = np.flatnonzero(counts)
    first, last = filled[0], filled[-1] + 1
    # bucket[i] counts values up to bucket_limit[i]; an empty first bucket ends where the
    # first filled one begins, so nothing appears to lie below the data.
    proto = HistogramProto(min=data.min(), max=data.max(), num=data.size, sum=data.sum(),
                           sum_squares=data @ data,
                           bucket_limit=edges[first:last + 1].tolist(),
                           bucket=[0.0, *counts[first:last].astype(np.float64).tolist()])
    return Summary(value=[Summary.Value(tag=tag, histo=proto)])


# ---------------------------------------------------------------- images


_LAYOUTS = ("CHW", "HWC", "HW", "NCHW", "NHWC")


def to_hwc(array: np.ndarray, dataformats: str) -> np.ndarray:
    """An image in the layout `dataformats` as height x width x 3 or 4 channels."""
    dataformats = dataformats.upper()
    if dataformats not in _LAYOUTS or array.ndim != len(dataformats):
        raise ValueError(f"an image of shape {tuple(array.shape)} does not match dataformats "
                         f"{dataformats!r} (one of {', '.join(_LAYOUTS)})")
    if dataformats.startswith("N"):
        return to_hwc(_grid(array.transpose([dataformats.index(c) for c in "NCHW"])), "CHW")
    if dataformats == "HW":
        array = array[None]
        dataformats = "CHW"
    hwc = array.transpose([dataformats.index(c) for c in "HWC"])
    if hwc.shape[2] == 1:
        hwc = np.repeat(hwc, 3, axis=2)
    if hwc.shape[2] not in (3, 4):
        raise ValueError(f"an image needs 1, 3 or 4 channels, got {hwc.shape[2]}")
    return hwc


def _grid(images: np.ndarray, columns: int = 8) -> np.ndarray:
    """N x C x H x W images tiled row by row into one C x H' x W' image, as torch does."""
    count, channels, height, width = images.shape
    if channels == 1:
        images = np.repeat(images, 3, axis=1)
        channels = 3
    columns = max(1, min(count, columns))
    rows = -(-count // columns)
    canvas = np.zeros((channels, rows * height, columns * width), dtype=images.dtype)
    for i, image in enumerate(images):
        row, column = divmod(i, columns)
        canvas[:, row * height:(row + 1) * height, column * width:(column + 1) * width] = image
    return canvas


def image(tag: str, values, dataformats: str = "CHW") -> Summary:
    """A PNG image: float values are taken in [0, 1] and uint8 ones in [0, 255]."""
    hwc = to_hwc(to_numpy(values), dataformats)
    if hwc.dtype != np.uint8:
        # Truncated in float32, not rounded: torch's conversion, so images match its bytes.
        hwc = (hwc.astype(np.float32) * 255).clip(0, 255).astype(np.uint8)
    height, width, channels = hwc.shape
    proto = Summary.Image(height=height, width=width, colorspace=channels,
                          encoded_image_string=_png(hwc))
    return Summary(value=[Summary.Value(tag=tag, image=proto)])


def _png(hwc: np.ndarray) -> bytes:
    try:
        from PIL import Image
    except ImportError:
        raise ImportError("SummaryWriter.add_image encodes PNGs with Pillow: "
                          "pip install 'ndgrad[vision]'") from None
    buffer = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(hwc)).save(buffer, format="PNG")
    return buffer.getvalue()


def figure_to_hwc(figure) -> np.ndarray:
    """A matplotlib figure rendered to an RGBA array."""
    figure.canvas.draw()
    return np.asarray(figure.canvas.buffer_rgba())


# ---------------------------------------------------------------- text


def text(tag: str, text_string: str) -> Summary:
    """Text (Markdown) for the text plugin, under `tag/text_summary` as torch writes it."""
    tensor = TensorProto(dtype="DT_STRING", string_val=[text_string.encode("utf-8")],
                         tensor_shape=TensorShapeProto(dim=[TensorShapeProto.Dim(size=1)]))
    return Summary(value=[Summary.Value(tag=tag + "/text_summary", tensor=tensor,
                                        metadata=text_metadata.create_summary_metadata("", ""))])


# ---------------------------------------------------------------- hparams


def _hparam(name: str, value, start, domain) -> api_pb2.HParamInfo | None:
    """Records one hyper-parameter in `start` and returns its description."""
    if value is None:
        return None
    if isinstance(value, Tensor):
        value = _item(value, f"hparam {name!r}")
    # bool before int: True is an int too.
    for kind, field, data_type in ((bool, "bool_value", "DATA_TYPE_BOOL"),
                                   ((int, float), "number_value", "DATA_TYPE_FLOAT64"),
                                   (str, "string_value", "DATA_TYPE_STRING")):
        if isinstance(value, kind):
            setattr(start.hparams[name], field, value)
            info = api_pb2.HParamInfo(name=name, type=data_type)
            for option in domain.get(name, ()):
                setattr(info.domain_discrete.values.add(), field, option)
            return info
    raise ValueError(f"hparam {name!r}: the value must be a bool, int, float, str or tensor, "
                     f"not {type(value).__name__}")


def hparams(hparam_dict: dict, metric_dict: dict, domain: dict | None = None) -> list[Summary]:
    """The hparams plugin's experiment, session-start and session-end summaries."""
    if type(hparam_dict) is not dict or type(metric_dict) is not dict:
        raise TypeError("hparam_dict and metric_dict should be dictionaries")
    domain = domain or {}
    for name, options in domain.items():
        if name not in hparam_dict or not isinstance(options, list):
            raise TypeError(f"hparam_domain_discrete[{name!r}] should be a list of values of "
                            "a hyper-parameter in hparam_dict")
    start = plugin_data_pb2.SessionStartInfo()
    infos = [_hparam(name, value, start, domain) for name, value in hparam_dict.items()]
    experiment = api_pb2.Experiment(
        hparam_infos=[info for info in infos if info is not None],
        metric_infos=[api_pb2.MetricInfo(name=api_pb2.MetricName(tag=tag))
                      for tag in metric_dict])
    end = plugin_data_pb2.SessionEndInfo(status=api_pb2.Status.Value("STATUS_SUCCESS"))
    contents = [(hparams_metadata.EXPERIMENT_TAG, {"experiment": experiment}),
                (hparams_metadata.SESSION_START_INFO_TAG, {"session_start_info": start}),
                (hparams_metadata.SESSION_END_INFO_TAG, {"session_end_info": end})]
    return [Summary(value=[Summary.Value(tag=tag, metadata=hparams_metadata.create_summary_metadata(
        plugin_data_pb2.HParamsPluginData(**content)))]) for tag, content in contents]
