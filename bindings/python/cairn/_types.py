"""The public value types: enums with the C API's numbers, and plain dataclasses."""

from __future__ import annotations

import datetime as _dt
import enum
from dataclasses import dataclass, field


class Purpose(enum.IntEnum):
    """What a consent decision is about."""

    USAGE_ANALYTICS = 1  # logins, logouts, sessions
    MILESTONES = 2  # value moments
    RENEWAL_NOTIFICATIONS = 3  # renewal marketing (opt-out)
    FEEDBACK = 5  # survey answers (NPS, CSAT) and their comments


class FeedbackKind(enum.IntEnum):
    """The kind of an in-app survey answer (Client.record_feedback)."""

    NPS = 1  # "how likely are you to recommend us", 0-10
    CSAT = 2  # satisfaction, 1-5


class Decision(enum.IntEnum):
    """A user's decision for a purpose; UNKNOWN when never asked or expired."""

    UNKNOWN = 0
    GRANTED = 1
    DENIED = 2


class DropReason(enum.IntEnum):
    """Why events were dropped on the device (the keys of Stats.dropped)."""

    QUEUE_FULL = 1
    BUFFER_BYTES = 2
    BUFFER_ROWS = 3
    EXPIRED = 4
    REJECTED = 5
    CORRUPT_BUFFER = 6
    DISK_FULL = 7
    CONSENT_WITHDRAWN = 8
    ATTRIBUTE_FILTERED = 9


class QueueFullPolicy(enum.IntEnum):
    """What a record call does when the in-memory queue is full."""

    BLOCK_WITH_DEADLINE = 0  # wait up to enqueue_timeout (the default)
    DROP_NEWEST = 1


class Compression(enum.IntEnum):
    ZSTD = 0
    GZIP = 1
    NONE = 2


class RenewalDefault(enum.IntEnum):
    """What a user never asked about renewal notifications gets."""

    NOT_ASKED = 0
    SOFT_OPT_IN = 1  # existing customers; the user's opt-out always wins


def from_unix_ms(ms: int) -> _dt.datetime | None:
    """A UTC datetime for Unix milliseconds; None for 0 (the C API's "none")."""
    if ms == 0:
        return None
    return _dt.datetime.fromtimestamp(ms / 1000, tz=_dt.timezone.utc)


@dataclass(frozen=True)
class ConsentChoice:
    """One purpose's decision as a consent switch shows it."""

    purpose: Purpose
    decision: Decision
    policy_version: str  # "" when never asked
    decided_at: _dt.datetime | None  # None when never asked
    expires_at: _dt.datetime | None  # None when the grant has no end


@dataclass(frozen=True)
class DeliveryStatus:
    """A failed delivery attempt, as passed to on_delivery_status. No personal data."""

    code: int  # a status code, e.g. 14 (UNAVAILABLE) or 7 (PERMISSION_DENIED)
    code_name: str
    message: str
    http_status: int  # 0 when no response came back
    buffered_rows: int  # events waiting on the device
    next_attempt_in: float  # seconds


@dataclass(frozen=True)
class Stats:
    """The SDK's counters at one moment (see docs/sdk.md for each)."""

    recorded: int = 0
    refused_no_consent: int = 0
    refused_invalid: int = 0
    refused_no_session: int = 0
    refused_shut_down: int = 0
    refused_storage: int = 0
    durable_timeouts: int = 0
    persisted: int = 0
    sent: int = 0
    acknowledged: int = 0
    duplicates: int = 0
    retries: int = 0
    batches_acknowledged: int = 0
    consent_changes_pending: int = 0
    erased: int = 0
    buffered_rows: int = 0
    buffered_bytes: int = 0
    # Events dropped on the device, by reason (every reason present, 0 if none).
    dropped: dict[DropReason, int] = field(default_factory=dict)
    last_error: str = ""
