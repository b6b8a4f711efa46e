import copy

import torch
from torch.testing import assert_close

from gcl.train import adam, load_optimizer_state


def test_adam_is_fused_on_cpu_and_steps_like_torch_adam():
    gen = torch.Generator().manual_seed(0)
    start = torch.randn(6, 3, generator=gen)
    grads = [torch.randn(6, 3, generator=gen) for _ in range(3)]
    ours, ref = torch.nn.Parameter(start.clone()), torch.nn.Parameter(start.clone())
    opt, ref_opt = adam([ours], lr=0.1, weight_decay=0.01), torch.optim.Adam([ref], lr=0.1, weight_decay=0.01)
    assert opt.param_groups[0]["fused"] is True
    for g in grads:
        ours.grad, ref.grad = g.clone(), g.clone()
        opt.step()
        ref_opt.step()
    assert_close(ours, ref)


def test_resuming_from_an_unfused_checkpoint_keeps_the_fused_kernel_and_the_moments():
    gen = torch.Generator().manual_seed(1)
    start, g1, g2 = (torch.randn(5, 2, generator=gen) for _ in range(3))
    old = torch.nn.Parameter(start.clone())
    old_opt = torch.optim.Adam([old], lr=0.05)
    old.grad = g1
    old_opt.step()
    saved = copy.deepcopy(old_opt.state_dict())  # as read back from a checkpoint file: no shared tensors

    resumed = torch.nn.Parameter(old.detach().clone())
    opt = adam([resumed], lr=0.05)
    load_optimizer_state(opt, saved)
    assert opt.param_groups[0]["fused"] is True
    resumed.grad, old.grad = g2.clone(), g2.clone()
    opt.step()
    old_opt.step()
    assert_close(resumed, old)
