"""A folder of files that appears complete or not at all.

:func:`written_atomically` hands out a temporary folder beside the target; when the block ends
without an error its files are flushed to disk and the folder takes the target's place in
one rename (an earlier folder is swapped out atomically where Linux allows it, else moved
aside first and removed after). When the block fails (a full disk, an error, Ctrl-C) the
temporary folder is removed and the target is left as it was. A ``kill -9`` leaves at most a
hidden ``.<name>.partial-*`` folder beside it, never a partial target.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

__all__ = ["written_atomically"]

_AT_FDCWD = -100
_RENAME_EXCHANGE = 2


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths in one step (Linux ``renameat2``); False where that is not available."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p]
    renameat2.argtypes += [ctypes.c_uint]
    done = renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    return done == 0


def _sync(folder: Path) -> None:
    for path in folder.iterdir():
        with path.open("rb") as fh:
            os.fsync(fh.fileno())
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _into_place(tmp: Path, target: Path) -> None:
    if not target.exists():
        os.rename(tmp, target)
        return
    if _exchange(tmp, target):
        shutil.rmtree(tmp)  # now the earlier folder
        return
    old = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}.old-"))
    os.rename(target, old / target.name)
    os.rename(tmp, target)
    shutil.rmtree(old)


@contextmanager
def written_atomically(
    target: str | Path, may_replace: Callable[[Path], bool] = lambda _: False
) -> Iterator[Path]:
    """A temporary folder to write into; it becomes ``target`` when the block succeeds.

    An existing ``target`` is replaced only when it is a folder ``may_replace`` accepts (an
    earlier output of the same kind); else ``FileExistsError`` is raised before anything is
    written.
    """
    target = Path(target)
    if target.exists() and not (target.is_dir() and may_replace(target)):
        raise FileExistsError(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}.partial-"))
    try:
        yield tmp
        _sync(tmp)
        _into_place(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
