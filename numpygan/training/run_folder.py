"""The output folder of a run: checked before any work, locked while a run writes into it, tidied at start.

``RunFolder(out)`` is a context manager:

* ``out`` must be a folder or creatable as one, and writable; otherwise ``RunFolderError``
  says so at once, before data loading and training (not when the first epoch ends);
* it takes an exclusive lock (``fcntl.flock`` on ``out/.numpygan.lock``, which holds the
  PID): a second run into the same folder fails at once with ``RunFolderBusyError``
  naming that PID, instead of both writing a mix of two runs. The operating system
  drops the lock when the process ends, however it ends (SIGKILL included), so a lock
  is never left stale;
* it removes the temporary files (``.tmp-XXXXXXXX.npz|png|gif``, the names
  ``numpygan.io.save_npz_atomic`` and the picture writers give them) that a process
  killed while saving left behind. Only files older than ``STALE_AFTER_S`` are
  removed: ``numpygan sample -o`` may be writing one into this folder right now
  without the lock.
"""

import os
import re
import time
from pathlib import Path

try:
    import fcntl
except ImportError:  # Windows: no flock; runs are then not protected against each other
    fcntl = None

LOCK_NAME = ".numpygan.lock"
TEMPORARY = re.compile(r"^\.tmp-[a-z0-9_]{8}\.(npz|png|gif)$")
"""``tempfile.mkstemp(prefix=".tmp-", suffix=...)`` names: 8 characters of ``[a-z0-9_]``."""
STALE_AFTER_S = 60.0
"""A temporary this old is not being written: a save takes well under a second."""


class RunFolderError(ValueError):
    """The output folder cannot be used: not a folder, not creatable, not writable."""


class RunFolderBusyError(RunFolderError):
    """Another run holds the output folder's lock."""


class RunFolder:
    """``with RunFolder(out) as folder:`` — ``out`` checked, created, locked and tidied (module docstring).

    ``removed``: the stale temporary files deleted on entry.
    """

    def __init__(self, out, flag="--out"):
        self.out = Path(out)
        self.flag = flag
        self.removed = []
        self._fd = None

    def _error(self, problem, kind=RunFolderError):
        return kind(f"output folder {str(self.out)!r} ({self.flag}): {problem}")

    def __enter__(self):
        if self.out.exists() and not self.out.is_dir():
            raise self._error("exists and is not a folder")
        try:
            self.out.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            raise self._error(f"cannot be created ({err.strerror or err})") from None
        try:
            self._fd = os.open(self.out / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as err:
            raise self._error(f"cannot be written to ({err.strerror or err})") from None
        if not os.access(self.out, os.W_OK | os.X_OK):
            self.close()
            raise self._error("cannot be written to (no write permission)")
        try:
            self._lock()
            self.removed = remove_stale_temporaries(self.out)
        except BaseException:
            self.close()
            raise
        return self

    def _lock(self):
        if fcntl is None:
            return
        try:
            fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(self._fd, 64, 0).decode("ascii", "replace").strip() or "unknown"
            raise self._error(f"another numpygan run (PID {holder}) is writing into it; wait for it to end, "
                              f"or choose another {self.flag}", RunFolderBusyError) from None
        os.ftruncate(self._fd, 0)
        os.pwrite(self._fd, f"{os.getpid()}\n".encode("ascii"), 0)

    def close(self):
        """Release the lock (closing the descriptor drops it); the lock file stays, empty of meaning."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def __exit__(self, *exc):
        self.close()
        return False


def remove_stale_temporaries(folder, older_than=STALE_AFTER_S):
    """Delete the temporary files a killed save left in ``folder`` (names in ``TEMPORARY``,
    last modified more than ``older_than`` seconds ago); return their names."""
    removed = []
    now = time.time()
    for entry in os.scandir(folder):
        if not TEMPORARY.match(entry.name):
            continue
        try:
            if entry.is_file(follow_symlinks=False) and now - entry.stat().st_mtime > older_than:
                os.unlink(entry.path)
                removed.append(entry.name)
        except OSError:  # already gone, or not ours to delete: tidiness, not safety
            pass
    return sorted(removed)
