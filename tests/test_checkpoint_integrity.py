"""A checkpoint loads exactly what was saved, or is refused with one CheckpointError line.

Damaged bytes (a fuzz of single-byte changes over every header and the central
directory), malformed members, NaN or inf values and impossible counters are all
refused; a diverging run never saves a state it cannot be resumed from, and a
resumed run may lower its learning rate.
"""

import io
import struct
import zipfile

import numpy as np
import pytest

from numpygan import Sequential, cli
from numpygan.layers import Dense, Dropout, LeakyReLU, ReLU
from numpygan.training import (CheckpointError, GANTrainer, TrainConfig, load_checkpoint, save_checkpoint,
                               train)

LEGACY_FORMAT = "numpygan-gan-checkpoint/1"  # the arrays without checksums, as written before them


pytestmark = pytest.mark.usefixtures("one_blas_thread")


def quiet(*args):
    pass


def tiny_trainer():
    """4-unit G and D with Dropout and a weight average, stopped mid-epoch (step 4 = epoch 2, position 1).

    The fixed noise (400, 3) is larger than the 4,096 bytes zipfile reads at a time, so NumPy
    alone would stop reading it before the CRC-32 is checked.
    """
    G = Sequential([Dense(4), ReLU(), Dropout(0.2), Dense(2)], (3,), seed=0)
    D = Sequential([Dense(4), LeakyReLU(0.2), Dropout(0.3), Dense(1)], (2,), seed=1)
    config = TrainConfig(dataset="arrays", batch_size=4, latent_dim=3, epochs=2, progress=False, n_samples=400,
                         ema_decay=0.9, train_rows=12)
    trainer = GANTrainer(G, D, config)
    trainer.fit(np.random.default_rng(0).normal(size=(12, 2)).astype(np.float32), max_steps=4)
    return trainer


@pytest.fixture(scope="module")
def tiny_checkpoint(tmp_path_factory):
    path = tmp_path_factory.mktemp("tiny") / "checkpoint.npz"
    save_checkpoint(path, tiny_trainer())
    return path


def raw_arrays(path):
    with np.load(path, allow_pickle=False) as data:
        return {key: data[key] for key in data.files}


def rewritten(path, target, **changes):
    """``path``'s arrays with ``changes`` (slashes as '__'), written as a well-formed legacy-format file:
    a hand edit, not damage, so only the value checks can catch it."""
    arrays = {key: value for key, value in raw_arrays(path).items() if key != "__checksums__"}
    arrays["format"] = np.array(LEGACY_FORMAT)
    arrays.update({key.replace("__", "/"): np.asarray(value) for key, value in changes.items()})
    np.savez(target, **arrays)
    return target


# -- the fuzz ---------------------------------------------------------------------------------------------------
def zip_regions(data):
    """Byte ranges of every member's local header + .npy header, every member's array data, and
    the central directory (to the end of the file)."""
    archive = zipfile.ZipFile(io.BytesIO(data))
    headers, arrays = [], []
    for info in archive.infolist():
        start = info.header_offset
        name_length, extra_length = struct.unpack("<HH", data[start + 26:start + 30])
        body = start + 30 + name_length + extra_length
        major = data[body + 6]
        length_size = 2 if major == 1 else 4
        header_length = int.from_bytes(data[body + 8:body + 8 + length_size], "little")
        data_start = body + 8 + length_size + header_length
        headers.append(range(start, data_start))
        arrays.append(range(data_start, body + info.compress_size))
    return headers, arrays, range(archive.start_dir, len(data))


def fuzz_outcomes(path, tmp_path, positions, rng):
    """Flip one byte at each position (XOR a random non-zero value); load; classify the result."""
    good = path.read_bytes()
    reference = load_checkpoint(path)
    outcomes = {"refused": 0, "same": 0}
    failures = []
    target = tmp_path / "flipped.npz"
    for position in positions:
        flipped = bytearray(good)
        flipped[position] ^= int(rng.integers(1, 256))
        target.write_bytes(bytes(flipped))
        try:
            loaded = load_checkpoint(target)
        except CheckpointError:
            outcomes["refused"] += 1
            continue
        except Exception as err:  # noqa: BLE001 - exactly what the test counts
            failures.append((position, f"{type(err).__name__}: {err}"))
            continue
        same = (loaded.config == reference.config and loaded.state.keys() == reference.state.keys()
                and all(loaded.state[k].dtype == v.dtype and np.array_equal(loaded.state[k], v)
                        for k, v in reference.state.items()))
        if same:
            outcomes["same"] += 1  # a byte zipfile does not use (a local header's time stamp, ...)
        else:
            failures.append((position, "loaded without error but with other values"))
    return outcomes, failures


def test_fuzz_sample_single_byte_changes_never_load_wrong_values_nor_raise_anything_else(tiny_checkpoint, tmp_path):
    """300 positions over the headers and the central directory, 100 in the array data (≈2 s)."""
    data = tiny_checkpoint.read_bytes()
    headers, arrays, directory = zip_regions(data)
    rng = np.random.default_rng(13)
    structure = [i for r in headers for i in r] + list(directory)
    positions = np.concatenate([rng.choice(structure, 300, replace=False),
                                rng.choice([i for r in arrays for i in r], 100, replace=False)])
    outcomes, failures = fuzz_outcomes(tiny_checkpoint, tmp_path, positions, rng)
    assert not failures, f"{len(failures)} of {len(positions)}: {failures[:5]}"
    assert outcomes["refused"] > 0.5 * len(positions)


@pytest.mark.slow
def test_fuzz_every_header_and_directory_byte(tiny_checkpoint, tmp_path):
    """Every byte of every local header, .npy header and the central directory, twice, and 1,000 data bytes
    (≈27,000 loads, ≈2.5 min)."""
    data = tiny_checkpoint.read_bytes()
    headers, arrays, directory = zip_regions(data)
    rng = np.random.default_rng(14)
    structure = [i for r in headers for i in r] + list(directory)
    positions = np.concatenate([structure, structure,
                                rng.choice([i for r in arrays for i in r], 1000, replace=False)])
    outcomes, failures = fuzz_outcomes(tiny_checkpoint, tmp_path, positions, rng)
    assert not failures, f"{len(failures)} of {len(positions)}: {failures[:5]}"


def test_a_changed_shape_digit_in_an_npy_header_is_refused(tiny_checkpoint, tmp_path):
    """NumPy alone reads the member's first bytes as the smaller array the header now describes."""
    data = bytearray(tiny_checkpoint.read_bytes())
    at = data.index(b"'shape': (400, 3)")  # the fixed noise
    data[at + len("'shape': (")] = ord("1")  # (400, 3) -> (100, 3)
    damaged = tmp_path / "damaged.npz"
    damaged.write_bytes(bytes(data))
    with pytest.raises(CheckpointError, match="is corrupt"):
        load_checkpoint(damaged)


# -- malformed files -------------------------------------------------------------------------------------------
def zip_with(path, members):
    with zipfile.ZipFile(path, "w") as archive:
        for name, payload in members.items():
            archive.writestr(name, payload)
    return path


def npy_bytes(array):
    buffer = io.BytesIO()
    np.save(buffer, array)
    return buffer.getvalue()


@pytest.mark.parametrize("case", ["member_without_npy_magic", "plain_npy", "zip_flag_bit_5", "broken_shape",
                                  "shape_too_large", "object_array"])
def test_malformed_files_are_one_line_errors(case, tiny_checkpoint, tmp_path):
    path = tmp_path / f"{case}.npz"
    if case == "member_without_npy_magic":
        zip_with(path, {"format.npy": b"this is no .npy", "config.npy": npy_bytes(np.array("{}"))})
    elif case == "plain_npy":
        np.save(tmp_path / "plain.npy", np.zeros(3))
        path = tmp_path / "plain.npy"
    elif case == "zip_flag_bit_5":  # "compressed patched data", which zipfile does not implement
        data = bytearray(tiny_checkpoint.read_bytes())
        for signature, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
            at = data.index(signature)
            data[at + offset] |= 0x20
        path.write_bytes(bytes(data))
    elif case == "broken_shape":
        good = npy_bytes(np.zeros(3))
        zip_with(path, {"format.npy": good.replace(b"'shape': (3,)", b"'shape': (3,("), "config.npy": good})
    elif case == "shape_too_large":  # a header asking for 800 GB: refused, not allocated
        good = npy_bytes(np.zeros(3))
        zip_with(path, {"format.npy": good.replace(b"(3,), }          ", b"(99999999999,), }")})
    elif case == "object_array":
        zip_with(path, {"format.npy": npy_bytes(np.array([None, 1], dtype=object))})
    with pytest.raises(CheckpointError, match=rf"checkpoint '{path}' is corrupt") as raised:
        load_checkpoint(path)
    assert "\n" not in str(raised.value)


# -- values that cannot have been saved ------------------------------------------------------------------------
@pytest.mark.parametrize("where", ["generator/0.dense.kernel", "g_optimizer/v/0.dense.kernel"])
def test_nan_or_inf_in_a_checkpoint_is_refused_naming_the_array(where, tiny_checkpoint, tmp_path, capsys):
    value = raw_arrays(tiny_checkpoint)[where].copy()
    value.flat[0] = np.nan if "generator" in where else np.inf
    path = rewritten(tiny_checkpoint, tmp_path / "c.npz", **{where.replace("/", "__"): value})
    with pytest.raises(CheckpointError, match=rf"holds NaN or inf in {where}"):
        load_checkpoint(path)
    # `numpygan sample` says so instead of writing a garbage grid
    assert cli.main(["sample", str(path), "-o", str(tmp_path / "grid.png")]) == 1
    assert where in capsys.readouterr().err and not (tmp_path / "grid.png").exists()


@pytest.mark.parametrize("changes,match", [
    (dict(epoch=np.int64(-5)), "negative counter"),
    (dict(permutation=np.array([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 99])), "not a permutation"),
    (dict(permutation=np.arange(5)), r"epoch order 'permutation' of shape \(5,\)"),
    (dict(history__d_loss=np.zeros(3)), r"'history/d_loss' of shape \(3,\); expected \(4,\)"),
    (dict(history__epoch_end_steps=np.array([9])), "epoch_end_steps"),
    (dict(position=np.int64(9)), "past its end"),
], ids=["negative_epoch", "permutation_out_of_range", "permutation_too_short", "history_length",
        "epoch_end_after_step", "position_past_the_epoch"])
def test_impossible_counters_are_refused(changes, match, tiny_checkpoint, tmp_path):
    path = rewritten(tiny_checkpoint, tmp_path / "c.npz", **changes)
    with pytest.raises(CheckpointError, match=match):
        load_checkpoint(path)


def test_legacy_checkpoints_without_checksums_still_load(tiny_checkpoint, tmp_path):
    path = rewritten(tiny_checkpoint, tmp_path / "legacy.npz")
    original, legacy = load_checkpoint(tiny_checkpoint), load_checkpoint(path)
    assert all(np.array_equal(legacy.state[k], v) for k, v in original.state.items())


def test_checksum_table_catches_a_rewritten_array(tiny_checkpoint, tmp_path):
    """An array replaced with a valid zip CRC (a tool rewriting the archive) still disagrees with its SHA-256."""
    arrays = raw_arrays(tiny_checkpoint)
    table = arrays.pop("__checksums__")
    arrays["fixed_noise"] = arrays["fixed_noise"] + 1
    np.savez(tmp_path / "c.npz", __checksums__=table, **arrays)
    with pytest.raises(CheckpointError, match=r"corrupt: arrays \['fixed_noise'\] differ from the checksums"):
        load_checkpoint(tmp_path / "c.npz")
    del arrays["fixed_noise"]
    np.savez(tmp_path / "d.npz", __checksums__=table, **arrays)
    with pytest.raises(CheckpointError, match=r"arrays missing: \['fixed_noise'\]"):
        load_checkpoint(tmp_path / "d.npz")


# -- after a divergence, a lower learning rate may resume (nothing non-finite is saved: test_run_folder.py) --------
def test_a_resumed_run_may_change_the_learning_rate_and_says_so(tmp_path, capsys):
    x = np.random.default_rng(9).uniform(-1, 1, (64, 28, 28, 1)).astype(np.float32)
    config = TrainConfig(dataset="arrays", batch_size=16, epochs=1, progress=False, n_samples=4, lr_g=1e-3)
    train(config, tmp_path, images=x, log=quiet)
    messages = []
    result = train(config.replace(epochs=2, lr_g=1e-4, beta_1=0.9), tmp_path, images=x, log=messages.append,
                   resume=True)
    assert result.step == 8 and result.trainer.g_optimizer.lr == 1e-4 and result.trainer.g_optimizer.beta_1 == 0.9
    assert "resuming with lr_g = 0.0001 (the checkpoint's run used 0.001)" in messages
    assert load_checkpoint(tmp_path / "checkpoint.npz").config.lr_g == 1e-4
    # what the model is, is still fixed
    with pytest.raises(CheckpointError, match="latent_dim"):
        train(config.replace(epochs=3, latent_dim=5), tmp_path, images=x, log=quiet, resume=True)
