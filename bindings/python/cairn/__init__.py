"""Cairn: privacy-aware in-app telemetry, Python bindings over libcairn.so (ctypes).

    with cairn.Client(collector_url=..., write_key=..., storage_dir=...) as client:
        client.set_consent(account, user, cairn.Purpose.MILESTONES, policy_version="2026-11")
        client.record_login(account, user)
        client.record_milestone("invoice_sent", 1)

The library is found from $CAIRN_LIBRARY, else next to this package, else on
the system's library path; it is loaded on first use (LibraryError if it is
missing or speaks another ABI version).
"""

from __future__ import annotations

from . import _lib
from ._client import Client
from ._errors import (
    Aborted,
    AlreadyExists,
    CairnError,
    Cancelled,
    DataLoss,
    DeadlineExceeded,
    FailedPrecondition,
    Internal,
    InvalidArgument,
    LibraryError,
    NotFound,
    OutOfRange,
    PermissionDenied,
    ResourceExhausted,
    Unauthenticated,
    Unavailable,
    Unimplemented,
    Unknown,
)
from ._types import (
    Compression,
    ConsentChoice,
    Decision,
    DeliveryStatus,
    DropReason,
    FeedbackKind,
    Purpose,
    QueueFullPolicy,
    RenewalDefault,
    Stats,
)

__version__ = "0.1.0"

__all__ = [
    "Aborted",
    "AlreadyExists",
    "CairnError",
    "Cancelled",
    "Client",
    "Compression",
    "ConsentChoice",
    "DataLoss",
    "DeadlineExceeded",
    "Decision",
    "DeliveryStatus",
    "DropReason",
    "FailedPrecondition",
    "FeedbackKind",
    "Internal",
    "InvalidArgument",
    "LibraryError",
    "NotFound",
    "OutOfRange",
    "PermissionDenied",
    "Purpose",
    "QueueFullPolicy",
    "RenewalDefault",
    "ResourceExhausted",
    "Stats",
    "Unauthenticated",
    "Unavailable",
    "Unimplemented",
    "Unknown",
    "library_version",
]


def library_version() -> str:
    """The loaded libcairn's SDK version, e.g. "0.1.0" (loads the library)."""
    return _lib.lib().cairn_version().decode("ascii")
