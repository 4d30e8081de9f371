"""Small conversions at the ctypes boundary shared by the modules."""

from __future__ import annotations

import datetime as _dt

from . import _lib
from ._errors import InvalidArgument, error_for


def c_str(value: str | None, what: str) -> bytes | None:
    """UTF-8 bytes for a C string; None stays NULL (the library then says what is missing).

    A NUL inside would silently cut the string short on the C side, so it is
    refused here as the library would refuse a malformed argument.
    """
    if value is None:
        return None
    if not isinstance(value, str):
        raise TypeError(f"{what} must be a str, not {type(value).__name__}")
    if "\0" in value:
        raise InvalidArgument(f"{what} contains a NUL character")
    return value.encode("utf-8")


def check(code: int) -> None:
    """Raises the CairnError subclass for a non-OK code with the library's message.

    Must run right after the failing call, on the same thread: the message is
    the calling thread's last call's.
    """
    if code != 0:
        raise error_for(code, _lib.lib().cairn_last_error_message().decode("utf-8", "replace"))


def to_unix_ms(when: _dt.datetime | float | None) -> int:
    """Unix ms for a datetime (naive means UTC) or Unix seconds; 0 for None."""
    if when is None:
        return 0
    if isinstance(when, _dt.datetime):
        if when.tzinfo is None:
            when = when.replace(tzinfo=_dt.timezone.utc)
        return round(when.timestamp() * 1000)
    return round(float(when) * 1000)
