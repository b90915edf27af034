"""Named tuples returned by ops, like torch.return_types."""
from collections import namedtuple

# max(dim), min(dim), sort, topk, kthvalue, ... return (values, indices).
ValuesIndices = namedtuple("ValuesIndices", ["values", "indices"])
# aminmax returns (min, max).
MinMax = namedtuple("aminmax", ["min", "max"])
