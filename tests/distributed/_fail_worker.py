"""Run on every rank: rank 1 fails, `before` or `after` init_process_group, while the
other ranks wait in a barrier (after init) or sleep (before it); the job must end at once."""
import sys
import time

import ndgrad.distributed as dist

when = sys.argv[1]
if when == "before":
    import os
    if os.environ["RANK"] == "1":
        raise ValueError("rank 1 fails before init_process_group")
    time.sleep(60)
dist.init_process_group()
if dist.get_rank() == 1:
    raise ValueError("rank 1 fails after init_process_group")
dist.barrier()
