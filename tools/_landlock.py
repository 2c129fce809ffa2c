"""Landlock (Linux 5.13+) through three syscalls and ctypes; standard library only.

A process that calls `restrict` can afterwards open only what it listed: files and folders
beneath a readable path for reading, beneath a writable path for anything but running programs.
The rules bind the process and every process it starts, root included, and cannot be lifted.
With Landlock ABI 4+ TCP connect/bind is refused too, and with ABI 6+ the process can no longer
signal processes or reach abstract unix sockets outside its own sandbox.

The sandbox's child process loads this file by path (it runs with ``python -I``, before any
user code); the parent imports it to describe what is available.
"""

import ctypes
import errno
import os
import stat
import struct

# The same numbers on every architecture: these syscalls came after the tables were unified.
_SYS_CREATE_RULESET, _SYS_ADD_RULE, _SYS_RESTRICT_SELF = 444, 445, 446
_CREATE_RULESET_VERSION = 1
_RULE_PATH_BENEATH = 1
_PR_SET_NO_NEW_PRIVS = 38

# Filesystem rights (include/uapi/linux/landlock.h), by the ABI that introduced them.
EXECUTE = 1 << 0
WRITE_FILE = 1 << 1
READ_FILE = 1 << 2
READ_DIR = 1 << 3
_FS_V1 = (1 << 13) - 1  # EXECUTE .. MAKE_SYM
REFER = 1 << 13  # ABI 2: link or rename a file into another folder
TRUNCATE = 1 << 14  # ABI 3
IOCTL_DEV = 1 << 15  # ABI 5
_FILE_RIGHTS = EXECUTE | WRITE_FILE | READ_FILE | TRUNCATE | IOCTL_DEV  # what a file rule may hold
_NET_TCP = 1 | 2  # ABI 4: BIND_TCP | CONNECT_TCP
_SCOPES = 1 | 2  # ABI 6: ABSTRACT_UNIX_SOCKET | SIGNAL


class LandlockError(OSError):
    """Landlock is missing, disabled, or refused a rule."""


def _libc():
    libc = ctypes.CDLL(None, use_errno=True)
    libc.syscall.restype = ctypes.c_long
    return libc


def _check(result, what):
    if result < 0:
        code = ctypes.get_errno()
        raise LandlockError(code, f"{what}: {os.strerror(code)}")
    return result


def abi_version():
    """The kernel's Landlock ABI (1, 2, ...), or 0 when the kernel lacks or disables it."""
    libc = _libc()
    version = libc.syscall(_SYS_CREATE_RULESET, None, ctypes.c_size_t(0), _CREATE_RULESET_VERSION)
    return max(int(version), 0)


def why_unavailable():
    """A short reason `abi_version` is 0 (for reports), or None if Landlock is available."""
    libc = _libc()
    version = libc.syscall(_SYS_CREATE_RULESET, None, ctypes.c_size_t(0), _CREATE_RULESET_VERSION)
    if version > 0:
        return None
    code = ctypes.get_errno()
    if code == errno.ENOSYS:
        return "the kernel has no Landlock (needs Linux 5.13+) or a seccomp filter hides it"
    if code == errno.EOPNOTSUPP:
        return "Landlock is built in but disabled (boot with lsm=...,landlock)"
    return f"landlock_create_ruleset failed: {os.strerror(code)}"


def fs_rights(abi):
    """Every filesystem right the kernel's ABI knows (all of them are then refused by default)."""
    rights = _FS_V1
    if abi >= 2:
        rights |= REFER
    if abi >= 3:
        rights |= TRUNCATE
    if abi >= 5:
        rights |= IOCTL_DEV
    return rights


def restrict(read, write, abi):
    """From now on this process (and its children) may only read `read` and use `write`.

    Args:
        read: files and folders that may be read (folders: everything beneath them, listed).
        write: folders where files may be created, written, renamed and removed (not run).
        abi: the kernel's ABI (`abi_version`); rights newer than it are left out.

    Paths that do not exist are skipped. Raises `LandlockError` if the kernel refuses.
    """
    libc = _libc()
    handled = fs_rights(abi)
    fields = [handled]
    if abi >= 4:
        fields.append(_NET_TCP)  # handled with no rule: every TCP bind and connect is refused
    if abi >= 6:
        fields.append(_SCOPES)
    attr = struct.pack(f"={len(fields)}Q", *fields)
    ruleset = _check(
        libc.syscall(_SYS_CREATE_RULESET, attr, ctypes.c_size_t(len(attr)), 0),
        "landlock_create_ruleset",
    )
    try:
        writable = handled & ~EXECUTE
        readable = READ_FILE | READ_DIR
        for paths, rights in ((read, readable), (write, writable)):
            for path in paths:
                _add_rule(libc, ruleset, path, rights)
        _check(libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "prctl(PR_SET_NO_NEW_PRIVS)")
        _check(libc.syscall(_SYS_RESTRICT_SELF, ruleset, 0), "landlock_restrict_self")
    finally:
        os.close(ruleset)


def _add_rule(libc, ruleset, path, rights):
    try:
        fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
    except FileNotFoundError:
        return
    try:
        if not stat.S_ISDIR(os.fstat(fd).st_mode):
            rights &= _FILE_RIGHTS  # folder-only rights on a file are an error
        rule = struct.pack("=Qi", rights, fd)  # struct landlock_path_beneath_attr (packed)
        _check(
            libc.syscall(_SYS_ADD_RULE, ruleset, _RULE_PATH_BENEATH, rule, 0),
            f"landlock_add_rule({path!r})",
        )
    finally:
        os.close(fd)
