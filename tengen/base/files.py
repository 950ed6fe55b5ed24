"""Files written so that a crash never leaves half of one.

Every file tengen writes that a later run reads (models, checkpoints, SGF
games, caches, shards) goes through ``atomic_write``: a temporary file in
the same directory, flushed and fsynced, then renamed over the target, so a
reader sees the old file or the new one, never a torn one, and a ``kill -9``
at any moment leaves no corrupt file behind.  The directory is fsynced too,
so the rename itself survives a power cut.
"""

import contextlib
import os
import tempfile
from collections.abc import Iterator
from typing import IO, Any


@contextlib.contextmanager
def atomic_write(path: str | os.PathLike, mode: str = "wb", **open_kw: Any) -> Iterator[IO]:
    """``with atomic_write(path) as f: f.write(...)``: ``path`` appears
    complete when the block ends without an exception, else is left as it
    was.  ``mode`` is ``"wb"`` or ``"w"`` (text: UTF-8, ``\\n`` line ends
    unless ``open_kw`` says otherwise)."""
    if mode not in ("w", "wb"):
        raise ValueError(f"atomic_write writes whole files: mode 'w' or 'wb', not {mode!r}")
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=os.path.splitext(path)[1], dir=folder)
    umask = os.umask(0)
    os.umask(umask)
    os.fchmod(fd, 0o666 & ~umask)     # mkstemp's 0600 would hide reports from other users
    if mode == "w":
        open_kw = {"encoding": "utf-8", "newline": "\n", **open_kw}
    try:
        with os.fdopen(fd, mode, **open_kw) as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    with contextlib.suppress(OSError):   # not every file system lets a directory be opened
        dir_fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> None:
    with atomic_write(path) as f:
        f.write(data)
