"""No command throws away a run's work, and every bad argument is one line before any work.

The output folder is checked before the first step, locked against a second run, and tidied
of a killed save's temporaries; resuming into another run's folder is refused; SIGTERM saves
like Ctrl-C; ``numpygan train`` and ``numpygan sample`` explain bad arguments instead of a traceback.
"""

import os
import shlex
import signal
import time

import numpy as np
import pytest

from numpygan import cli
from numpygan.training import NonFiniteLossError, TrainConfig, load_checkpoint, select_rows, train
from numpygan.training import run as run_module
from numpygan.training.command_line import resume_command
from numpygan.training.run_folder import RunFolderBusyError, RunFolderError


pytestmark = pytest.mark.usefixtures("one_blas_thread")


def quiet(*args):
    pass


def images():
    return np.random.default_rng(9).uniform(-1, 1, (64, 28, 28, 1)).astype(np.float32)


def config(**changes):
    """The MLP GAN on 64 images, batch 16: 4 steps per epoch."""
    return TrainConfig(**{**dict(dataset="arrays", batch_size=16, epochs=1, progress=False, n_samples=4), **changes})


class AtStep:
    """Trainer callback: ``action(trainer)`` once generator step ``step`` is complete; counts steps."""

    def __init__(self, step, action=None):
        self.step, self.action, self.steps = step, action, 0

    def on_step_end(self, trainer, metrics):
        self.steps += 1
        if trainer.step == self.step and self.action:
            self.action(trainer)


# -- work thrown away ------------------------------------------------------------------------------------------
def test_resuming_into_a_folder_holding_another_run_is_refused(tmp_path):
    train(config(), tmp_path / "a", images=images(), log=quiet)
    train(config(seed=1), tmp_path / "b", images=images(), log=quiet)
    before = (tmp_path / "b" / "checkpoint.npz").read_bytes()
    with pytest.raises(FileExistsError, match=r"holds another run; resuming .*a/checkpoint.npz.*--overwrite"):
        train(config(epochs=2), tmp_path / "b", images=images(), log=quiet, resume=tmp_path / "a" / "checkpoint.npz")
    assert (tmp_path / "b" / "checkpoint.npz").read_bytes() == before
    # into an empty folder it continues (into its own: tests/test_checkpoint.py)
    assert train(config(epochs=2), tmp_path / "c", images=images(), log=quiet,
                 resume=tmp_path / "a" / "checkpoint.npz").step == 8


def test_a_second_run_into_the_same_folder_fails_at_once_naming_the_first(tmp_path):
    errors = []

    def second_run(trainer):
        try:
            train(config(), tmp_path, images=images(), log=quiet, overwrite=True)
        except RunFolderError as err:
            errors.append(err)

    train(config(), tmp_path, images=images(), log=quiet, callbacks=[AtStep(2, second_run)])
    assert len(errors) == 1 and isinstance(errors[0], RunFolderBusyError)
    assert f"another numpygan run (PID {os.getpid()}) is writing into it" in str(errors[0])
    # the lock ends with the run
    assert train(config(epochs=2), tmp_path, images=images(), log=quiet, resume=True).step == 8


@pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")
def test_a_state_with_inf_in_the_optimizer_moments_is_not_saved(tmp_path):
    """As after a real divergence: the loss is still finite, Adam's moments are not."""
    def poison(trainer):
        next(iter(trainer.g_optimizer.slots["v"].values()))[...] = np.inf

    train(config(), tmp_path, images=images(), log=quiet)  # a good checkpoint at step 4
    good = (tmp_path / "checkpoint.npz").read_bytes()
    with pytest.raises(NonFiniteLossError, match=r"(?s)NaN or inf in .*g_optimizer/v/.*last good checkpoint"):
        train(config(epochs=3), tmp_path, images=images(), log=quiet, resume=True, callbacks=[AtStep(7, poison)])
    assert (tmp_path / "checkpoint.npz").read_bytes() == good


@pytest.mark.parametrize("bad", ["file", "under_a_file", "proc"])
def test_an_unusable_out_is_found_before_the_first_step(bad, tmp_path):
    (tmp_path / "plain").write_text("not a folder")
    out = {"file": tmp_path / "plain", "under_a_file": tmp_path / "plain" / "run", "proc": "/proc/numpygan-run"}[bad]
    counter = AtStep(0)
    with pytest.raises(RunFolderError, match=r"output folder .* \(--out\): (exists and is not a folder|cannot be)"):
        train(config(), out, images=images(), log=quiet, callbacks=[counter])
    assert counter.steps == 0


def test_a_killed_save_s_temporaries_are_removed_at_the_next_start(tmp_path):
    stale = [".tmp-abcd_123.npz", ".tmp-0123abcd.png", ".tmp-zzzzzzzz.gif"]
    kept = [".tmp-young123.png", "notes.tmp", ".tmp-abcdefgh.txt", ".tmp-toolongname.npz"]
    hour_ago = time.time() - 3600
    for name in stale + kept:
        (tmp_path / name).write_bytes(b"x" * 100)
        if name != ".tmp-young123.png":  # being written right now (numpygan sample -o), perhaps
            os.utime(tmp_path / name, (hour_ago, hour_ago))
    messages = []
    train(config(), tmp_path, images=images(), log=messages.append)
    left = {p.name for p in tmp_path.iterdir()}
    assert not left & set(stale) and set(kept) <= left
    assert "removed 3 temporary files" in messages[0]


def test_sigterm_saves_like_ctrl_c(tmp_path):
    def fallback(signum, frame):  # what the test sees if SIGTERM is not handled by the run (not the default: death)
        raise RuntimeError("SIGTERM reached the default handler")

    previous = signal.signal(signal.SIGTERM, fallback)
    try:
        messages = []
        result = train(config(epochs=3), tmp_path, images=images(), log=messages.append, resume_hint="RESUME",
                       callbacks=[AtStep(3, lambda trainer: signal.raise_signal(signal.SIGTERM))])
        assert signal.getsignal(signal.SIGTERM) is fallback
    finally:
        signal.signal(signal.SIGTERM, previous)
    assert result.stopped == "interrupted" and result.step == 3
    assert "Interrupted (SIGTERM)" in messages[-1] and "Resume with: RESUME" in messages[-1]
    assert load_checkpoint(tmp_path / "checkpoint.npz").step == 3


def test_the_resume_hint_can_be_pasted_into_a_shell(tmp_path):
    out = str(tmp_path / "my run's folder")
    assert shlex.split(resume_command("numpygan train", out)) == ["numpygan", "train", "--out", out, "--resume"]


# -- numpygan train: one line, not a traceback -------------------------------------------------------------------
@pytest.fixture
def fake_data(monkeypatch):
    def load(config, verbose=True):
        low, high = config.value_range
        return select_rows(np.random.default_rng(0).uniform(low, high, (200, 28, 28, 1)).astype(np.float32), config)

    monkeypatch.setattr(run_module, "load_training_images", load)


def train_cli(tmp_path, *flags):
    return cli.main(["train", "--data-limit", "32", "--batch-size", "8", "--no-progress",
                     "--out", str(tmp_path / "run"), *flags])


@pytest.mark.parametrize("flags,code,message", [
    (["--batch-size", "64"], 1, "--batch-size 64 is too large: the training data has 32 images"),
    (["--lr", "-0.1"], 2, "argument --lr (lr_g): expected a value > 0.0, received -0.1"),
    (["--lr-d", "-0.1"], 2, "argument --lr-d (lr_d): expected a value > 0.0"),
    (["--out", ""], 2, "--out: expected a folder, received ''"),
    (["--out", "/proc/numpygan-run"], 1, "output folder '/proc/numpygan-run' (--out): cannot be created"),
], ids=["batch_larger_than_data", "negative_lr", "negative_lr_d", "empty_out", "out_in_proc"])
def test_train_argument_errors_are_one_line(flags, code, message, tmp_path, fake_data, capsys):
    assert train_cli(tmp_path, *flags) == code
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err and "TrainConfig." not in err


@pytest.mark.slow  # trains for several seconds: keeps the fast suite under a minute (CI runs -m slow)
@pytest.mark.parametrize("flags", [["--epochs", "0"], ["--max-steps", "0"]])
def test_a_run_of_no_steps_reports_no_speed(flags, tmp_path, fake_data, capsys):
    assert train_cli(tmp_path, *flags) == 0
    out = capsys.readouterr().out
    assert "done: 0 epochs, 0 steps, no training step" in out and "nan" not in out


@pytest.mark.slow  # trains for several seconds: keeps the fast suite under a minute (CI runs -m slow)
def test_cli_resume_with_a_lower_learning_rate(tmp_path, fake_data, capsys):
    assert train_cli(tmp_path, "--max-steps", "2", "--lr", "1e-3") == 0
    assert cli.main(["train", "--out", str(tmp_path / "run"), "--resume", "--max-steps", "3", "--lr", "1e-4",
                     "--no-progress"]) == 0
    assert "resuming with lr_g = 0.0001 (the checkpoint's run used 0.001)" in capsys.readouterr().out
    assert load_checkpoint(tmp_path / "run" / "checkpoint.npz").config.lr_d == 1e-4


# -- numpygan sample ----------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    out = tmp_path_factory.mktemp("run")
    train(config(), out, images=images(), log=quiet)
    return str(out / "checkpoint.npz")


@pytest.mark.parametrize("flags,code,message", [
    (["-o", "{tmp}"], 2, "is a folder"),
    (["-o", "/proc/numpygan-grid.png"], 1, "cannot write -o '/proc/numpygan-grid.png'"),
    (["-o", "{tmp}/plain/grid.png"], 1, "cannot write -o"),
    (["--seed", "-1"], 2, "--seed: expected an int >= 0, received -1"),
    (["--nrow", "-3"], 2, "--nrow: expected an int >= 1, received -3"),
    (["-n", "100000000"], 2, "-n: expected an int in [1, 10000], received 100000000"),
    (["-o", "{tmp}/grid.txt"], 2, "must end in one of .png, .jpg"),
], ids=["output_is_a_folder", "output_in_proc", "output_under_a_file", "negative_seed", "negative_nrow",
        "too_many", "unknown_extension"])
def test_sample_argument_errors_are_one_line(flags, code, message, checkpoint, tmp_path, capsys):
    flags = [flag.replace("{tmp}", str(tmp_path)) for flag in flags]
    (tmp_path / "plain").write_text("a file, not a folder")
    assert cli.main(["sample", checkpoint, *flags]) == code
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert not (tmp_path / "grid.txt").exists()


@pytest.mark.parametrize("name,magic", [("grid.jpg", b"\xff\xd8\xff"), ("grid.gif", b"GIF8"), ("grid.png", b"\x89PNG")])
def test_sample_writes_the_format_its_extension_names(name, magic, checkpoint, tmp_path):
    assert cli.main(["sample", checkpoint, "-n", "4", "-o", str(tmp_path / name)]) == 0
    assert (tmp_path / name).read_bytes().startswith(magic)
