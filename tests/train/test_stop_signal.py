import json
import os
import signal
import threading
import time

import pytest

from gcl.cli import main
from gcl.train.stop_signal import terminate_as_interrupt
from tests.rec.test_commands import train_args, write_log


def _kill_self_at_call(monkeypatch, at: int) -> list[int]:
    """Make the trainer send this process SIGTERM at the start of its ``at``-th epoch."""
    from gcl.rec.trainer import RecTrainer

    original, calls = RecTrainer._train_epoch, []

    def train_epoch(self, epoch, *rest):
        calls.append(epoch)
        if len(calls) == at:
            os.kill(os.getpid(), signal.SIGTERM)
        return original(self, epoch, *rest)

    monkeypatch.setattr(RecTrainer, "_train_epoch", train_epoch)
    return calls


def test_sigterm_ends_a_run_like_ctrl_c_and_the_handler_is_restored(tmp_path, monkeypatch):
    before = signal.getsignal(signal.SIGTERM)
    write_log(tmp_path / "log.csv")
    out = tmp_path / "run"
    _kill_self_at_call(monkeypatch, at=3)
    assert main(train_args(tmp_path / "log.csv", out, "--model", "lightgcn", "--epochs", "5")) == 0
    run = json.loads((out / "metrics.json").read_text())["runs"][0]
    assert run["interrupted"] and len(run["history"]) == 2 and run["best_epoch"] in (0, 1)
    assert "interrupted after 2 epoch(s)" in (out / "train.log").read_text()
    assert signal.getsignal(signal.SIGTERM) is before


def test_sigterm_before_any_validation_exits_130_with_a_message(tmp_path, monkeypatch, capsys):
    write_log(tmp_path / "log.csv")
    _kill_self_at_call(monkeypatch, at=1)
    assert main(train_args(tmp_path / "log.csv", tmp_path / "run", "--model", "lightgcn")) == 130
    assert "gcl: interrupted (stopped by SIGTERM)" in capsys.readouterr().err


def test_outside_the_main_thread_nothing_is_installed():
    seen = []

    def worker():
        with terminate_as_interrupt():
            seen.append(signal.getsignal(signal.SIGTERM))

    before = signal.getsignal(signal.SIGTERM)
    thread = threading.Thread(target=worker)
    thread.start()
    thread.join()
    assert seen == [before]


def test_the_block_raises_keyboard_interrupt_on_sigterm():
    with pytest.raises(KeyboardInterrupt, match="SIGTERM"), terminate_as_interrupt():
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(5)  # the handler interrupts the sleep at once
