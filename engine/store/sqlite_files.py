"""What the SQLite backend needs besides SQL: private files, and errors a user can act on.

SQLite creates the database file (and its -wal and -shm files) with the process umask, and reports
failures as numeric result codes; case records must be private and failures must say what to do.
Plain Python, no `sqlite3` import: the `sqlite*` modules that use sqlite3 hand their exceptions in.
"""

from __future__ import annotations

import os
import sys

from reviewflow.engine.errors import StoreError

try:
    import pwd
except ImportError:  # Windows
    pwd = None  # type: ignore[assignment]

# Primary SQLite result codes (the low byte of the extended code).
_BUSY, _LOCKED, _READONLY, _IOERR, _CORRUPT, _FULL, _CANTOPEN, _NOTADB = 5, 6, 8, 10, 11, 13, 14, 26


def is_memory(path: str) -> bool:
    return path in ("", ":memory:")


def os_user() -> str:
    """The account this process runs as: who an SQLite store records as writing.

    Read from the process's user id, not from $USER, which anyone can set; still only as trustworthy
    as the machine, since whoever can write the file can write anything into it.
    """
    if pwd is not None:
        try:
            return pwd.getpwuid(os.geteuid()).pw_name
        except KeyError:
            return f"uid:{os.geteuid()}"
    import getpass

    return getpass.getuser()


def create_private(path: str) -> None:
    """Create the file 0600 before SQLite sees it: case records must not be readable by other users.

    SQLite gives the -wal and -shm files the database file's permissions, so they follow.
    """
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    except OSError as exc:
        raise StoreError(f"cannot create the store at {path}: {exc.strerror}",
                         hint="check that the directory exists and is writable") from exc
    os.close(fd)


def restrict_sidecars(path: str) -> None:
    """Belt and braces for the -wal/-shm files: never wider than the database file itself."""
    try:
        allowed = os.stat(path).st_mode & 0o777
    except OSError:
        return
    for suffix in ("-wal", "-shm"):
        try:
            mode = os.stat(path + suffix).st_mode & 0o777
            if mode & ~allowed:
                os.chmod(path + suffix, mode & allowed)
        except OSError:
            continue  # absent, or owned by someone else: SQLite's own mode copying still applies


def translate_error(exc: Exception, path: str, busy_timeout_ms: int) -> StoreError:
    """Turn a sqlite3 exception into a StoreError a user can act on."""
    code = (getattr(exc, "sqlite_errorcode", None) or 0) & 0xFF
    if code in (_BUSY, _LOCKED):
        return StoreError(
            f"the store is busy: another process held {path} for more than {busy_timeout_ms} ms",
            hint="try again in a moment; if it persists, look for a stuck reviewflow process")
    if code in (_CORRUPT, _NOTADB):
        return StoreError(f"{path} is not a readable reviewflow store ({exc})",
                          hint="restore the file from a backup; never edit a store by hand")
    if code == _READONLY:
        return StoreError(f"the store at {path} is read-only", hint="check the file's permissions")
    if code == _FULL:
        return StoreError(f"the disk holding {path} is full; nothing was written",
                          hint="free some space and repeat the command")
    if code in (_CANTOPEN, _IOERR):
        return StoreError(f"cannot read or write the store at {path} ({exc})",
                          hint="check that the path exists, is a file and is readable and writable")
    return StoreError(f"the store at {path} failed: {exc}",
                      hint="run `verify` on the store; if this repeats, report it")


# -- what the files say before SQLite opens them --------------------------------------------------------
#
# SQLite reads a damaged or missing WAL without a word: a WAL whose header or a frame fails its checksum
# is treated as ending there, and the committed transactions after that point are discarded; a WAL that
# was deleted after a crash takes its transactions with it. These checks read the files as they are on
# disk before the first connection runs SQLite's recovery (which would rewrite the evidence), and say
# so. They only run when no process has the store open (another process's WAL is in use, not damaged),
# and never in a process that already holds a connection to the file (closing a file descriptor of a
# file drops every POSIX lock the process holds on it, SQLite's included).

SQLITE_MAGIC = b"SQLite format 3\x00"
_WAL_MAGIC = (0x377F0682, 0x377F0683)
_WAL_VERSION = 3007000
_SHM_DMS_BYTE = 128  # SQLite's "dead man switch" lock in the -shm file, held (shared) by every connection


def read_header(path: str) -> tuple[str, int]:
    """("missing" | "empty" | "sqlite", application id) of the file at `path`; raises StoreError for a file
    that is not an SQLite database (or whose header is damaged) and for one cut short."""
    try:
        size = os.path.getsize(path)
    except FileNotFoundError:
        return "missing", 0
    except OSError as exc:
        raise StoreError(f"cannot read the store at {path}: {exc.strerror}",
                         hint="check that the path is a file you may read") from exc
    if size == 0:
        return "empty", 0
    try:
        with open(path, "rb") as handle:
            header = handle.read(100)
    except OSError as exc:
        raise StoreError(f"cannot read the store at {path}: {exc.strerror}",
                         hint="check that the path is a file you may read") from exc
    if len(header) < 100 or not header.startswith(SQLITE_MAGIC):
        raise StoreError(f"{path} is not an SQLite database, or its header is damaged",
                         hint="point --db at a reviewflow store; a damaged store is restored from a backup: "
                              "reviewflow db restore BACKUP --db " + path)
    page_size = int.from_bytes(header[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    pages = int.from_bytes(header[28:32], "big")
    size_is_valid = header[92:96] == header[24:28] and pages > 0
    if size_is_valid and size < pages * page_size:
        raise StoreError(f"the store at {path} is cut short: its header says {pages * page_size} bytes, the file "
                         f"holds {size}",
                         hint=f"restore it from a backup: reviewflow db restore BACKUP --db {path}")
    return "sqlite", int.from_bytes(header[68:72], "big")


def in_use_elsewhere(path: str) -> bool | None:
    """Whether another process has the store open (holds SQLite's lock on its -shm file); None when this
    cannot be told here (no fcntl, or no such lock query on this system)."""
    shm = path + "-shm"
    if not os.path.exists(shm):
        return False
    try:
        import fcntl
        import struct
    except ImportError:
        return None
    if not sys.platform.startswith("linux"):
        return None
    try:
        fd = os.open(shm, os.O_RDONLY)
    except OSError:
        return None
    try:
        # struct flock {short l_type; short l_whence; off_t l_start; off_t l_len; pid_t l_pid;}: F_GETLK asks
        # whether a write lock on the byte could be taken, without taking it.
        query = struct.pack("hhqqi", fcntl.F_WRLCK, os.SEEK_SET, _SHM_DMS_BYTE, 1, 0).ljust(32, b"\0")
        answer = fcntl.fcntl(fd, fcntl.F_GETLK, query)
        return struct.unpack("hhqqi", answer[:struct.calcsize("hhqqi")])[0] != fcntl.F_UNLCK
    except OSError:
        return None
    finally:
        os.close(fd)


def _checksum(data: bytes, s0: int, s1: int, big_endian: bool) -> tuple[int, int]:
    import struct

    words = struct.unpack((">" if big_endian else "<") + f"{len(data) // 4}I", data)
    for i in range(0, len(words), 2):
        s0 = (s0 + words[i] + s1) & 0xFFFFFFFF
        s1 = (s1 + words[i + 1] + s0) & 0xFFFFFFFF
    return s0, s1


def _shm_frames(path: str) -> tuple[int, tuple[int, int]] | None:
    """(last valid WAL frame, salts) from the -shm file's index header, or None when it says nothing."""
    import struct

    try:
        with open(path + "-shm", "rb") as handle:
            head = handle.read(96)
    except OSError:
        return None
    if len(head) < 96 or head[:48] != head[48:96]:
        return None
    version, _, _, initialised = struct.unpack("=IIIB", head[:13])
    if version != _WAL_VERSION or not initialised:
        return None
    max_frame = struct.unpack("=I", head[16:20])[0]
    salts = struct.unpack("=II", head[32:40])
    return max_frame, salts


def wal_problem(path: str) -> str | None:
    """What is wrong with the store's WAL as it lies on disk, in words, or None when nothing is.

    The frames SQLite would keep are those up to the last commit frame whose checksums chain from the
    header; a commit recorded (by the -shm index, or by a later commit frame) beyond them is lost.
    """
    import struct

    wal = path + "-wal"
    indexed = _shm_frames(path)
    try:
        with open(wal, "rb") as handle:
            data = handle.read()
    except FileNotFoundError:
        data = None
    except OSError as exc:
        return f"its WAL file cannot be read ({exc.strerror})"
    if data is None or len(data) < 32:
        if indexed is not None and indexed[0] > 0:
            return (f"its WAL file ({wal}) is missing or empty, but the store's index says it held "
                    f"{indexed[0]} frames of committed writes: they are lost")
        return None
    magic, version, page_size, _, salt1, salt2, sum1, sum2 = struct.unpack(">8I", data[:32])
    big_endian = magic == _WAL_MAGIC[1]
    if magic not in _WAL_MAGIC or version != _WAL_VERSION or \
            _checksum(data[:24], 0, 0, big_endian) != (sum1, sum2):
        if indexed is not None and indexed[0] > 0 or len(data) > 32:
            return f"the header of its WAL file ({wal}) is damaged: SQLite would discard every write it holds"
        return None
    frame_size = 24 + page_size
    s0, s1 = sum1, sum2
    kept = valid = 0
    frame = 0
    offset = 32
    while offset + frame_size <= len(data):
        header = data[offset:offset + 24]
        _, commit, f_salt1, f_salt2, f_sum1, f_sum2 = struct.unpack(">6I", header)
        if (f_salt1, f_salt2) != (salt1, salt2):
            break
        s0, s1 = _checksum(header[:8], s0, s1, big_endian)
        s0, s1 = _checksum(data[offset + 24:offset + frame_size], s0, s1, big_endian)
        if (s0, s1) != (f_sum1, f_sum2):
            break
        frame += 1
        valid = frame
        if commit:
            kept = frame
        offset += frame_size
    if indexed is not None and indexed[1] == (salt1, salt2) and indexed[0] > kept:
        return (f"its WAL file ({wal}) is damaged at frame {kept + 1}: {indexed[0] - kept} frames of committed "
                "writes after it would be discarded")
    # No index to go by: a commit frame of this WAL's generation after the break means lost commits.
    offset = 32 + valid * frame_size + frame_size
    while offset + 24 <= len(data):
        _, commit, f_salt1, f_salt2, _, _ = struct.unpack(">6I", data[offset:offset + 24])
        if commit and (f_salt1, f_salt2) == (salt1, salt2):
            return (f"its WAL file ({wal}) is damaged at frame {valid + 1}: committed writes after it would be "
                    "discarded")
        offset += frame_size
    return None


def create_new_private(path: str) -> None:
    """Create `path` 0600, refusing one that exists: a backup never overwrites anything."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError as exc:
        raise StoreError(f"{path} exists already; nothing was overwritten", hint="name a new file") from exc
    except OSError as exc:
        raise StoreError(f"cannot create {path}: {exc.strerror}",
                         hint="check that the directory exists and is writable") from exc
    os.close(fd)


def remove_store_files(path: str) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        try:
            os.remove(path + suffix)
        except FileNotFoundError:
            continue


def move_into_place(new: str, target: str) -> str | None:
    """Put the store file `new` at `target` in one rename, keeping what was there (with its -wal and -shm)
    aside under `target`.before-restore[-N]; returns where, or None when there was nothing."""
    if in_use_elsewhere(target):
        raise StoreError(f"the store at {target} is open in another process; nothing was replaced",
                         hint="stop every reviewflow process using it, then restore again")
    aside = None
    if os.path.exists(target) or os.path.exists(target + "-wal"):
        aside, n = f"{target}.before-restore", 1
        while any(os.path.exists(aside + s) for s in ("", "-wal", "-shm")):
            n += 1
            aside = f"{target}.before-restore-{n}"
        for suffix in ("", "-wal", "-shm"):
            if os.path.exists(target + suffix):
                os.rename(target + suffix, aside + suffix)
    os.replace(new, target)
    directory = os.open(os.path.dirname(os.path.abspath(target)), os.O_RDONLY)
    try:
        os.fsync(directory)  # the rename itself is on disk when this returns
    finally:
        os.close(directory)
    return aside
