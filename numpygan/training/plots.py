"""Pictures of a run: sample grids, the loss plot, the animated progress GIF.

Every file is written to a temporary name in its folder and renamed into place,
so a viewer (or a crash) never sees a half-written image.
"""

import math
import os
import tempfile

import numpy as np

from .trainer import HISTORY_KEYS


def image_grid(images, value_range=(-1.0, 1.0), nrow=None, padding=2, pad_value=1.0):
    """Tile images (N, H, W, 1) or (N, H, W) into one uint8 picture.

    ``value_range`` (low, high) maps to 0..255 (values outside are clipped);
    ``nrow`` images per row (default ⌈√N⌉); ``padding`` pixels of ``pad_value``
    (a fraction of the range: 1 is white) between and around the tiles.
    Returns uint8 (rows·(H + p) + p, nrow·(W + p) + p).
    """
    images = np.asarray(images)
    if images.ndim == 4 and images.shape[-1] == 1:
        images = images[..., 0]
    if images.ndim != 3 or len(images) == 0:
        raise ValueError(f"image_grid: argument 'images' expected shape (N, H, W) or (N, H, W, 1) with N >= 1, "
                         f"received {images.shape}")
    low, high = value_range
    if not high > low:
        raise ValueError(f"image_grid: argument 'value_range' expected low < high, received {value_range}")
    n, h, w = images.shape
    nrow = nrow or math.ceil(math.sqrt(n))
    ncol_rows = math.ceil(n / nrow)
    scaled = np.clip((images.astype(np.float64) - low) / (high - low), 0.0, 1.0)
    grid = np.full((ncol_rows * (h + padding) + padding, nrow * (w + padding) + padding), pad_value)
    rows, cols = np.divmod(np.arange(n), nrow)
    for i, (r, c) in enumerate(zip(rows, cols)):  # one slice assignment per tile, not per pixel
        top, left = padding + r * (h + padding), padding + c * (w + padding)
        grid[top:top + h, left:left + w] = scaled[i]
    return np.round(grid * 255).astype(np.uint8)


IMAGE_FORMATS = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG", ".gif": "GIF", ".bmp": "BMP", ".tif": "TIFF",
                 ".tiff": "TIFF", ".webp": "WEBP"}
"""The picture formats ``save_image_grid`` writes, by file-name extension."""


def image_format(path):
    """The format named by ``path``'s extension (``IMAGE_FORMATS``); ValueError for any other name,
    so that ``grid.txt`` never receives PNG bytes."""
    from PIL import Image

    extension = os.path.splitext(os.fspath(path))[1].lower()
    found = IMAGE_FORMATS.get(extension)
    Image.init()
    if found is None or found not in Image.SAVE:
        known = ", ".join(e for e, f in IMAGE_FORMATS.items() if f in Image.SAVE)
        raise ValueError(f"save_image_grid: argument 'path' {os.fspath(path)!r} must end in one of {known}, "
                         f"received {extension or 'no extension'!r}")
    return found


def save_image_grid(images, path, value_range=(-1.0, 1.0), nrow=None, scale=2, invert=False):
    """Write ``image_grid(images, value_range, nrow)`` as a picture in the format its extension names
    (``IMAGE_FORMATS``: .png, .jpg, ...), each pixel ``scale``×``scale``.

    ``invert=True`` draws dark strokes on white (MNIST is white on black).
    """
    from PIL import Image

    picture_format = image_format(path)
    grid = image_grid(images, value_range, nrow, pad_value=0.0 if invert else 1.0)
    if invert:
        grid = 255 - grid
    picture = Image.fromarray(grid)  # uint8 (H, W): 8-bit grayscale
    if scale != 1:
        picture = picture.resize((grid.shape[1] * scale, grid.shape[0] * scale), Image.NEAREST)
    _atomic_save(path, lambda f: picture.save(f, format=picture_format))
    return os.fspath(path)


def moving_average(values, window):
    """Mean of each value and the ``window − 1`` before it (fewer at the start); same length as ``values``."""
    values = np.asarray(values, dtype=np.float64)
    if values.size == 0:
        return values
    window = max(1, min(int(window), values.size))
    cumulative = np.concatenate([[0.0], np.cumsum(values)])
    ends = np.arange(1, values.size + 1)
    starts = np.maximum(ends - window, 0)
    return (cumulative[ends] - cumulative[starts]) / (ends - starts)


def save_loss_plot(history, path, epoch_end_steps=(), title=None, evaluations=None):
    """Two panels over generator steps: D's and G's losses, and D(x), D(G(z)); a third
    with the measurements in ``evaluations`` (``{name: [(step, value), ...]}``, e.g. the
    quick FID after each epoch, ``GANTrainer.evaluations``) when there are any.

    ``history`` maps ``d_loss``, ``g_loss``, ``d_real``, ``d_fake`` to one value per
    step. Raw values are drawn faintly, moving averages (≈1 % of the run) boldly;
    dotted lines mark epoch ends.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    missing = [key for key in HISTORY_KEYS if key not in history]
    if missing:
        raise ValueError(f"save_loss_plot: argument 'history' lacks {missing}")
    n = len(history["d_loss"])
    steps = np.arange(1, n + 1)
    window = max(1, n // 100)
    measured = {name: points for name, points in (evaluations or {}).items() if points}
    fig = Figure(figsize=(10, 9.0 if measured else 6.5), dpi=100)
    FigureCanvasAgg(fig)
    axes = fig.subplots(3 if measured else 2, 1, sharex=True)
    top, bottom = axes[0], axes[1]
    panels = ((top, (("d_loss", "D loss", "tab:blue"), ("g_loss", "G loss", "tab:orange")), "loss"),
              (bottom, (("d_real", "D(x)", "tab:green"), ("d_fake", "D(G(z))", "tab:red")), "D output"))
    for ax, curves, ylabel in panels:
        for key, label, color in curves:
            values = np.asarray(history[key], dtype=np.float64)
            if window > 1:
                ax.plot(steps, values, color=color, alpha=0.2, linewidth=0.5)
            ax.plot(steps, moving_average(values, window), color=color, linewidth=1.5,
                    label=label + (f" (mean of {window})" if window > 1 else ""))
        if len(epoch_end_steps) <= 60:
            for end in epoch_end_steps:
                ax.axvline(end, color="0.6", linestyle=":", linewidth=0.8)
        ax.set_ylabel(ylabel)
        ax.grid(alpha=0.3)
        ax.legend(loc="upper right")
    bottom.axhline(0.5, color="0.3", linewidth=0.8, linestyle="--")
    if measured:
        ax = axes[2]
        for name, points in measured.items():
            at, values = np.array(points, dtype=np.float64).T
            ax.plot(at, values, marker="o", linewidth=1.5, label=f"{name} (last {values[-1]:.2f})")
            if values.min() > 0 and values.max() / values.min() > 10:
                ax.set_yscale("log")  # FID falls by orders of magnitude early on
        if len(epoch_end_steps) <= 60:
            for end in epoch_end_steps:
                ax.axvline(end, color="0.6", linestyle=":", linewidth=0.8)
        ax.set_ylabel("measured")
        ax.grid(alpha=0.3)
        ax.legend(loc="upper right")
        bottom = ax
    bottom.set_xlabel("generator step" + (" (dotted: end of an epoch)" if len(epoch_end_steps) else ""))
    top.set_title(title or f"training: {n} steps, {len(epoch_end_steps)} epochs")
    fig.subplots_adjust(left=0.08, right=0.98, bottom=0.08, top=0.94, hspace=0.08)  # tight_layout is slow
    _atomic_save(path, lambda f: fig.savefig(f, format="png"))
    return os.fspath(path)


def save_progress_gif(frame_paths, path, frame_seconds=0.5, last_frame_seconds=2.0):
    """Animate PNG frames (e.g. the per-epoch grids) into a looping GIF."""
    from PIL import Image

    frame_paths = list(frame_paths)
    if not frame_paths:
        raise ValueError("save_progress_gif: argument 'frame_paths' is empty")
    frames = []
    for frame_path in frame_paths:
        with Image.open(frame_path) as image:
            frames.append(image.convert("L"))
    durations = [int(frame_seconds * 1000)] * (len(frames) - 1) + [int(last_frame_seconds * 1000)]
    _atomic_save(path, lambda f: frames[0].save(f, format="GIF", save_all=True, append_images=frames[1:],
                                                 duration=durations, loop=0))
    return os.fspath(path)


def _atomic_save(path, write):
    """Call ``write(file)`` on a temporary file beside ``path``, then rename it over ``path``."""
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=os.path.splitext(path)[1], dir=directory)
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
        os.chmod(tmp, 0o644)  # mkstemp creates 0600; these are ordinary pictures
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
