"""A PyTorch program, run by the launcher with --torch-aliases: each rank prints torchrun's
variables, its working directory, arguments and an all-reduce, all through `import torch`."""
import os
import sys

import torch
import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel

dist.init_process_group(backend="gloo", init_method="env://")
model = DistributedDataParallel(torch.nn.Linear(2, 1))
model(torch.ones(4, 2)).sum().backward()
total = torch.tensor([dist.get_rank() + 1.0])
dist.all_reduce(total)
env = os.environ
line = (f"rank={env['RANK']} local_rank={env['LOCAL_RANK']} world={env['WORLD_SIZE']} "
        f"local_world={env['LOCAL_WORLD_SIZE']} dist_rank={dist.get_rank()} cwd={os.getcwd()} "
        f"args={'|'.join(sys.argv[1:])} passed={env.get('PASSED_THROUGH')} name={__name__} "
        f"total={total.item():g} grad={model.module.bias.grad.item():g}")
sys.stdout.write(line + "\n")  # one write: the ranks share a pipe
sys.stdout.flush()
dist.destroy_process_group()
