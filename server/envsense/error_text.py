"""How an unexpected error is told to the user: its type always, its message when it has one."""

from __future__ import annotations


def describe_error(error: BaseException) -> str:
    """`TypeName: message`, never an empty string (a bare MemoryError has no message)."""
    name = type(error).__name__
    message = str(error).strip()
    if isinstance(error, MemoryError):
        return f"{name}: out of memory{f' ({message})' if message else ''}"
    if isinstance(error, RecursionError):
        return f"{name}: input nested too deeply ({message or 'recursion limit'})"
    return f"{name}: {message}" if message else name
