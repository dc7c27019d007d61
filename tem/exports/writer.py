"""Write a run's output files safely: all or nothing per file, never outside the output folder.

Everything is rendered in memory first; ``write_files`` then works in two steps:

1. *stage*: each file is written in full (and flushed to disk) to a hidden temporary name in its own target
   folder (``.<name>.<random>.tmp``, same file system), so a full disk, a read-only folder or a permission
   problem shows up before any existing output is touched;
2. *commit*: each temporary file is renamed over its target with ``os.replace`` (atomic on one file system).

If anything fails, every temporary file of the call is removed and :class:`OutputError` names the path and
the reason. A reader therefore only ever sees a complete old file or a complete new file: files renamed
before the failure are the new ones, all others keep their previous content.

A run killed outright (SIGKILL, power loss) cannot remove its temporary files. Each writer therefore holds an
exclusive lock (``flock``) on its temporary files until they are renamed, and every call first removes, in
each folder it writes to, the files of this pattern (``.<name>.<8 hex digits>.tmp``) that no live writer holds
and that are older than ``STALE_AFTER_S`` seconds (the moment between creating a file and locking it). Files
of any other name are never touched. Where ``flock`` does not exist (Windows), a file still open by its writer
cannot be deleted, which gives the same guarantee.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import re
import secrets
import stat
import time
from collections.abc import Iterable, Mapping
from pathlib import Path, PurePosixPath, PureWindowsPath

from tem.errors import TemError

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

TMP_SUFFIX = ".tmp"
TMP_NAME = re.compile(r"^\..+\.[0-9a-f]{8}\.tmp$")  # .<name>.<token_hex(4)>.tmp, as _stage names them
STALE_AFTER_S = 2.0


class OutputError(TemError):
    """An output could not be written (unwritable, read-only or full disk, locked file, bad name).

    The command line reports it without a traceback and exits with code 1.
    """


_REASON_BY_NAME = {
    "EACCES": "permission denied",
    "EPERM": "operation not permitted",
    "EROFS": "the file system is read-only",
    "ENOSPC": "the disk is full (no space left on device)",
    "EDQUOT": "the disk quota is exceeded",
    "EISDIR": "a folder is in the way where the file should be",
    "ENOTDIR": "part of the path is a file, not a folder",
    "EEXIST": "a file is in the way where a folder should be",
    "EBUSY": "the file is in use (locked by another program?)",
    "ETXTBSY": "the file is in use (locked by another program?)",
    "ENAMETOOLONG": "the name is too long",
    "ENOENT": "the folder does not exist",
}
_REASONS = {getattr(errno, k): v for k, v in _REASON_BY_NAME.items() if hasattr(errno, k)}


def describe_os_error(exc: OSError) -> str:
    """A plain-words reason for ``exc`` (with the system's own wording), e.g. 'permission denied'."""
    reason = _REASONS.get(exc.errno or 0)
    if isinstance(exc, PermissionError):
        reason = (reason or "permission denied") + " (is the file open in another program, such as Excel?)"
    system = exc.strerror or str(exc)
    return f"{reason} [{system}]" if reason else system


def _error(action: str, path: Path, exc: OSError) -> OutputError:
    return OutputError(f"cannot {action} {path}: {describe_os_error(exc)}")


def safe_relative(name: str) -> PurePosixPath:
    """``name`` as a relative path inside the output folder; OutputError if it is absolute or escapes it."""
    text = str(name)
    if not text or "\x00" in text:
        raise OutputError(f"refusing output name {name!r}: empty or contains a NUL character")
    if PurePosixPath(text).is_absolute() or PureWindowsPath(text).is_absolute() or PureWindowsPath(text).drive:
        raise OutputError(f"refusing output name {name!r}: absolute paths are not allowed; names are relative to the folder")
    rel = PurePosixPath(text.replace("\\", "/"))
    if ".." in rel.parts:
        raise OutputError(f"refusing output name {name!r}: '..' would leave the output folder")
    if not rel.parts or rel.name in ("", "."):
        raise OutputError(f"refusing output name {name!r}: not a file name")
    return rel


def _within(path: Path, root: Path) -> bool:
    return path == root or root in path.parents


def _lock(fd: int) -> None:
    if fcntl is not None:
        fcntl.flock(fd, fcntl.LOCK_EX)


def _stage(target: Path, data: bytes) -> tuple[Path, int]:
    """Write ``data`` to a new temporary file beside ``target``; return its path and its open, locked file
    descriptor (-1 where files cannot stay open while renamed). The file is removed again on failure."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    for _ in range(100):
        tmp = target.with_name(f".{target.name}.{secrets.token_hex(4)}{TMP_SUFFIX}")
        try:
            fd = os.open(tmp, flags, 0o666)  # the umask applies, as for any new file
            break
        except FileExistsError:
            continue
        except OSError as exc:
            raise _error("write", target, exc) from exc
    else:  # pragma: no cover - 100 random collisions
        raise OutputError(f"cannot write {target}: no free temporary name")
    try:
        _lock(fd)  # held until the file is renamed: a live writer's file is never taken for a stale one
        with os.fdopen(fd, "wb", closefd=False) as fh:
            fh.write(data)
            fh.flush()
            try:
                os.fsync(fh.fileno())
            except OSError as exc:  # some network and virtual file systems cannot sync; the rename still works
                if exc.errno not in (errno.EINVAL, errno.ENOTSUP):
                    raise
        if fcntl is None:  # pragma: no cover - Windows cannot rename a file that is open
            os.close(fd)
            fd = -1
    except OSError as exc:
        _close(fd)
        tmp.unlink(missing_ok=True)
        raise _error("write", target, exc) from exc
    except BaseException:
        _close(fd)
        tmp.unlink(missing_ok=True)
        raise
    return tmp, fd


def _close(fd: int) -> None:
    if fd >= 0:
        with contextlib.suppress(OSError):
            os.close(fd)


def _held_by_a_writer(path: Path) -> bool:
    """Whether a live writer holds ``path``; when none does, the file is removed (under the lock)."""
    if fcntl is None:  # pragma: no cover - Windows: an open file cannot be deleted
        try:
            path.unlink()
        except OSError:
            return True
        return False
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
    except OSError:
        return True
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return True
    else:
        path.unlink(missing_ok=True)
        return False
    finally:
        os.close(fd)


def remove_stale_temporaries(folder: Path, now: float | None = None) -> list[Path]:
    """Remove the temporary files a killed run left in ``folder`` (not its subfolders); return them.

    Only regular files named like ours (``.<name>.<8 hex digits>.tmp``), not locked by a live writer and
    older than ``STALE_AFTER_S`` seconds are removed; anything that cannot be inspected is left alone.
    """
    removed: list[Path] = []
    now = time.time() if now is None else now
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    for entry in entries:
        if not TMP_NAME.match(entry.name):
            continue
        try:
            st = entry.stat(follow_symlinks=False)
        except OSError:
            continue
        if not stat.S_ISREG(st.st_mode) or now - st.st_mtime < STALE_AFTER_S:
            continue
        path = Path(entry.path)
        if not _held_by_a_writer(path):
            removed.append(path)
    return removed


def _clean_folders(folders: Iterable[Path]) -> None:
    for f in dict.fromkeys(folders):
        remove_stale_temporaries(f)


def previous_outputs(folder: Path, manifest: str = "manifest.json") -> list[str]:
    """The files an earlier run wrote into ``folder``, as its manifest lists them (``outputs``); [] when there is
    no readable manifest."""
    try:
        outputs = json.loads((folder / manifest).read_text(encoding="utf-8")).get("outputs", {})
    except (OSError, ValueError, AttributeError):
        return []
    return [str(name) for name in outputs] if isinstance(outputs, dict) else []


def remove_stale(folder: Path, old: list[str], new: Mapping[str, object]) -> list[Path]:
    """Remove the files of an earlier run (``old``, from its manifest) that this run did not write again (a
    bridge chart of a scenario no longer compared, ``sobol.csv`` of a run without Sobol). Only names the earlier
    manifest lists, inside ``folder``, are touched; folders left empty are removed. Returns what was removed."""
    removed: list[Path] = []
    keep = {safe_relative(n) for n in new}
    root = folder.resolve()
    for name in old:
        try:
            rel = safe_relative(name)
        except OutputError:
            continue  # a manifest edited by hand: never follow a name out of the folder
        if rel in keep:
            continue
        path = folder.joinpath(*rel.parts)
        if not _within(path.resolve(), root) or not path.is_file():
            continue
        try:
            path.unlink()
        except OSError as exc:
            raise _error("remove the stale output", path, exc) from exc
        removed.append(path)
        parent = path.parent
        while parent != folder and _within(parent.resolve(), root):
            try:
                parent.rmdir()  # only when empty
            except OSError:
                break
            parent = parent.parent
    return removed


def write_files(folder: Path, files: Mapping[str, bytes | str]) -> list[Path]:
    """Write ``files`` (relative name -> content; text is written as UTF-8) into ``folder`` atomically.

    When ``files`` has a ``manifest.json`` (a run's outputs), the files that the previous run's manifest in the
    folder lists and this run does not write are removed after the new files are in place (:func:`remove_stale`).

    Subfolders in names (``charts/cash.html``) are created. Names that are absolute or contain ``..`` are
    refused before anything is written. Returns the written paths in the order given. Raises
    :class:`OutputError` naming the path and the reason when a folder cannot be made or a file written;
    then no temporary file is left, and each target holds either its previous or its new complete content.
    """
    plan: list[tuple[Path, bytes]] = []
    seen: set[PurePosixPath] = set()
    for name, content in files.items():
        rel = safe_relative(name)
        if rel in seen:
            raise OutputError(f"refusing output name {name!r}: the same file is named twice")
        seen.add(rel)
        if isinstance(content, str):
            data = content.encode("utf-8")
        elif isinstance(content, (bytes, bytearray, memoryview)):
            data = bytes(content)
        else:
            raise TypeError(f"content of {name!r} must be bytes or str, not {type(content).__name__}")
        plan.append((folder.joinpath(*rel.parts), data))

    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise _error("create the output folder", folder, exc) from exc
    root = folder.resolve()

    old = previous_outputs(folder) if "manifest.json" in files else []
    pending: list[tuple[Path, Path]] = []  # (temporary, target) not yet renamed
    descriptors: list[int] = []  # locks held until every file is renamed
    try:
        for target, _ in plan:
            _make_folders(folder, root, target.relative_to(folder).parent.parts)
        _clean_folders(target.parent for target, _ in plan)
        for target, data in plan:
            if target.is_dir() and not target.is_symlink():
                raise OutputError(f"cannot write {target}: {_REASON_BY_NAME['EISDIR']}")
            tmp, fd = _stage(target, data)
            descriptors.append(fd)
            pending.append((tmp, target))
        done: list[Path] = []
        while pending:
            tmp, target = pending[0]
            try:
                os.replace(tmp, target)
            except OSError as exc:
                raise _error("replace", target, exc) from exc
            pending.pop(0)
            done.append(target)
        remove_stale(folder, old, files)
        return done
    finally:
        for tmp, _ in pending:
            with contextlib.suppress(OSError):  # keep the original error
                tmp.unlink(missing_ok=True)
        for fd in descriptors:
            _close(fd)


def _make_folders(folder: Path, root: Path, parts: tuple[str, ...]) -> None:
    """Create ``folder/parts...`` one level at a time, refusing any level that leads outside ``root``."""
    current = folder
    for part in parts:
        current = current / part
        if not _within(current.resolve(), root):  # a symbolic link leading out of the output folder
            raise OutputError(f"refusing to write into {current}: it leads outside the output folder {folder}")
        try:
            current.mkdir(exist_ok=True)
        except OSError as exc:
            raise _error("create the folder", current, exc) from exc
