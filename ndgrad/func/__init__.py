"""Function transforms, as PyTorch's torch.func: grad, vjp, jvp, jacrev, jacfwd, hessian, vmap,
functional_call."""
from ndgrad.func._eager import grad, grad_and_value, hessian, jacfwd, jacrev, jvp, vjp
from ndgrad.func._functional_call import functional_call
from ndgrad.func._vmap import vmap

__all__ = ["grad", "grad_and_value", "vjp", "jvp", "jacrev", "jacfwd", "hessian", "vmap",
           "functional_call"]
