"""Errors: one CairnError subclass per status code of the C API."""

from __future__ import annotations


class CairnError(Exception):
    """A call the library refused or that failed.

    ``code`` is the C API's status number (abseil's codes), ``code_name`` its
    name (``"PERMISSION_DENIED"``) and the message the library's own words,
    which never hold personal data.
    """

    code = 2
    code_name = "UNKNOWN"

    def __init__(self, message: str = "", code: int | None = None) -> None:
        super().__init__(message)
        if code is not None:
            self.code = code
        self.message = message

    def __str__(self) -> str:
        return f"{self.code_name}: {self.message}" if self.message else self.code_name


class Cancelled(CairnError):
    code, code_name = 1, "CANCELLED"


class Unknown(CairnError):
    code, code_name = 2, "UNKNOWN"


class InvalidArgument(CairnError, ValueError):
    """Malformed input: a missing required string, bad options, a NUL inside a string."""

    code, code_name = 3, "INVALID_ARGUMENT"


class DeadlineExceeded(CairnError, TimeoutError):
    """flush, shutdown or a durable record ran out of time."""

    code, code_name = 4, "DEADLINE_EXCEEDED"


class NotFound(CairnError):
    code, code_name = 5, "NOT_FOUND"


class AlreadyExists(CairnError):
    code, code_name = 6, "ALREADY_EXISTS"


class PermissionDenied(CairnError):
    """No consent for the event's purpose, or the collector refused the write key."""

    code, code_name = 7, "PERMISSION_DENIED"


class ResourceExhausted(CairnError):
    """The record queue was full: the event was dropped (and counted)."""

    code, code_name = 8, "RESOURCE_EXHAUSTED"


class FailedPrecondition(CairnError):
    """No session, the client is shut down or closed, or the storage is in use."""

    code, code_name = 9, "FAILED_PRECONDITION"


class Aborted(CairnError):
    code, code_name = 10, "ABORTED"


class OutOfRange(CairnError):
    code, code_name = 11, "OUT_OF_RANGE"


class Unimplemented(CairnError):
    code, code_name = 12, "UNIMPLEMENTED"


class Internal(CairnError):
    code, code_name = 13, "INTERNAL"


class Unavailable(CairnError):
    """Events are durable on the device but not delivered yet (delivery goes on)."""

    code, code_name = 14, "UNAVAILABLE"


class DataLoss(CairnError):
    code, code_name = 15, "DATA_LOSS"


class Unauthenticated(CairnError):
    code, code_name = 16, "UNAUTHENTICATED"


_BY_CODE = {cls.code: cls for cls in CairnError.__subclasses__()}


def error_for(code: int, message: str) -> CairnError:
    """The exception for a non-OK status code (Unknown for a number outside the enum)."""
    cls = _BY_CODE.get(code)
    if cls is None:
        return Unknown(message, code)
    return cls(message)


class LibraryError(OSError):
    """libcairn.so could not be found or loaded, or speaks another ABI version."""
