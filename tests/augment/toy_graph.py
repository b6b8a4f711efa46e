"""The small graph shared by the augmentation tests."""

import torch


def bits(pattern: str) -> list[bool]:
    return [c == "1" for c in pattern]


# Two triangles {0, 1, 2} and {3, 4, 5} joined by the bridge 2-3; 6 nodes, 14 directed edges.
EI = torch.tensor([[0, 0, 1, 2, 3, 3, 4, 1, 2, 2, 3, 4, 5, 5], [1, 2, 2, 3, 4, 5, 5, 0, 0, 1, 2, 3, 3, 4]])
N = 6
X = torch.tensor(
    [
        [1.0, 0.0, 2.0, 0.0],
        [0.0, 3.0, 0.0, 1.0],
        [4.0, 0.0, 0.0, 5.0],
        [0.0, 6.0, 7.0, 0.0],
        [8.0, 0.0, 0.0, 9.0],
        [0.0, 1.0, 1.0, 1.0],
    ]
)
