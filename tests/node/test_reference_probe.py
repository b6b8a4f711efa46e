"""GRACE's own evaluation protocol (one-vs-rest liblinear, C by 5-fold CV on a 10 % train part)."""

from __future__ import annotations

import pytest
import torch

from gcl.node.experiment import _probe_epochs
from gcl.node.reference_probe import grace_reference_probe, reference_split

pytest.importorskip("sklearn")


def blobs(n: int = 200, classes: int = 4, noise: float = 0.3, seed: int = 0):
    gen = torch.Generator().manual_seed(seed)
    y = torch.arange(n) % classes
    x = torch.nn.functional.one_hot(y, classes).float() + noise * torch.randn(n, classes, generator=gen)
    return x, y


def test_reference_split_is_a_seeded_disjoint_ten_ninety_split():
    train, test = reference_split(3327, 0.1, seed=4)
    assert int(train.sum()) == 333 and int(test.sum()) == 2994 and not (train & test).any()
    again, _ = reference_split(3327, 0.1, seed=4)
    other, _ = reference_split(3327, 0.1, seed=5)
    assert torch.equal(train, again) and not torch.equal(train, other)
    with pytest.raises(ValueError, match="train_ratio"):
        reference_split(100, 1.0)


def test_separable_classes_are_classified_exactly_and_test_labels_never_steer_the_choice():
    x, y = blobs(noise=0.05)
    train, test = reference_split(200, 0.2, seed=0)
    result = grace_reference_probe(x, y, train, test)
    assert result.test_acc == 1.0 and (result.num_train, result.num_test) == (40, 160)
    assert 2.0**-10 <= result.C <= 2.0**9

    noisy_x, noisy_y = blobs(noise=0.8)
    first = grace_reference_probe(noisy_x, noisy_y, train, test)
    scrambled = noisy_y.clone()
    scrambled[test] = (scrambled[test] + 1) % 4  # every test label wrong: only the reported accuracy moves
    second = grace_reference_probe(noisy_x, scrambled, train, test)
    assert (second.C, second.cv_acc) == (first.C, first.cv_acc)
    assert second.test_acc < first.test_acc


def test_bad_inputs_are_clear_errors():
    x, y = blobs()
    train, test = reference_split(200, 0.1, seed=0)
    with pytest.raises(ValueError, match="NaN or inf"):
        grace_reference_probe(torch.full_like(x, float("nan")), y, train, test)
    with pytest.raises(ValueError, match="disjoint"):
        grace_reference_probe(x, y, train, train)
    with pytest.raises(ValueError, match="must agree"):
        grace_reference_probe(x[:10], y, train, test)


def test_epoch_selection_under_the_reference_protocol_reads_cross_validation_only():
    x, y = blobs(noise=0.05)
    train, test = reference_split(200, 0.2, seed=1)
    noise = torch.randn(200, 4, generator=torch.Generator().manual_seed(1))
    row = _probe_epochs({0: noise, 5: x}, y, [train, test])
    assert row["selected_epoch"] == 5 and row["test_acc"] == 100.0
    assert set(row) == {"test_acc", "cv_acc", "C", "selected_epoch", "curve"}
