"""Files given by path (scenario and sweep files, ns-2 traces, the SIP ``--users`` file): regular
files only, read with a size limit. A FIFO would block for ever and a device such as
``/dev/zero`` reports size 0 and never ends: both are refused before a byte is read."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from .errors import cut

_NOT_REGULAR = ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a FIFO (named pipe)"),
                (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
                (stat.S_ISSOCK, "a socket"))


class FileProblem(ValueError):
    """Why a file cannot be read, in one line naming it (``too_large`` for the size limit)."""

    def __init__(self, message: str, too_large: bool = False):
        super().__init__(message)
        self.too_large = too_large


def _mib(n: int) -> str:
    return f"{n / 2**20:g} MiB"


def _check_regular(mode: int, name: str) -> None:
    if not stat.S_ISREG(mode):
        kind = next((k for test, k in _NOT_REGULAR if test(mode)), "not a file")
        raise FileProblem(f"cannot read {name}: it is {kind}, not a regular file")


def read_regular_file(path: str | Path, max_bytes: int) -> bytes:
    """The bytes of the regular file ``path``, at most ``max_bytes``; FileProblem otherwise.
    The type is checked before the file is opened (a FIFO's open would block) and again on the
    open descriptor (opened non-blocking, in case the path was swapped in between)."""
    name = cut(str(path))
    try:
        st = os.stat(path)
        _check_regular(st.st_mode, name)
        if st.st_size > max_bytes:
            raise FileProblem(f"{name} is larger than {_mib(max_bytes)}", too_large=True)
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0)
                     | getattr(os, "O_CLOEXEC", 0))
        with os.fdopen(fd, "rb") as f:
            _check_regular(os.fstat(f.fileno()).st_mode, name)
            data = f.read(max_bytes + 1)
    except OSError as e:
        raise FileProblem(f"cannot read {name}: {e.strerror or e}") from None
    except ValueError as e:  # a NUL in the path
        if isinstance(e, FileProblem):
            raise
        raise FileProblem(f"cannot read {name}: not a file name ({e})") from None
    if len(data) > max_bytes:
        raise FileProblem(f"{name} is larger than {_mib(max_bytes)}", too_large=True)
    return data
