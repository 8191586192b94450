"""What a test of forked processes checks was left behind: children, descriptors."""

from __future__ import annotations

import os


def no_children_left() -> bool:
    """Whether every child this process forked has been reaped."""
    try:
        os.waitpid(-1, os.WNOHANG)
    except ChildProcessError:
        return True
    return False


def open_fds() -> set[str]:
    """This process's open file descriptors."""
    return set(os.listdir("/proc/self/fd"))
