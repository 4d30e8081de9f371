"""Client keyword options -> a cairn_options object.

Each keyword is a field of the C++ cairn::Options (docs/sdk.md), durations in
seconds. The C API sets some fields in groups (one setter for the queue's
capacity, policy and timeout); a group's setter is called only when one of
its keywords is given, and its other fields then take the defaults below,
which are the SDK's. A keyword left out leaves the SDK's default untouched.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable

from . import _lib
from ._util import c_str, check
from ._types import Compression, QueueFullPolicy, RenewalDefault

DAY = 24 * 3600.0


def _ms(seconds: float) -> int:
    return round(seconds * 1000)


def _count(value: int) -> int:
    return int(value)


# setter -> [(keyword, default, conversion to the C argument)]
_GROUPS: list[tuple[str, list[tuple[str, object, Callable]]]] = [
    (
        "cairn_options_set_queue",
        [
            ("queue_capacity", 32768, _count),
            ("queue_full_policy", QueueFullPolicy.BLOCK_WITH_DEADLINE, int),
            ("enqueue_timeout", 0.25, _ms),
        ],
    ),
    ("cairn_options_set_durable_records", [("durable_records", False, int), ("durable_timeout", 1.0, _ms)]),
    ("cairn_options_set_commit", [("commit_max_events", 4096, _count), ("commit_interval", 0.05, _ms)]),
    (
        "cairn_options_set_buffer_limits",
        [
            ("max_buffer_rows", 500000, _count),
            ("max_buffer_bytes", 64 << 20, _count),
            ("max_buffer_file_bytes", 0, _count),
            ("event_ttl", 14 * DAY, _ms),
        ],
    ),
    (
        "cairn_options_set_batch",
        [("max_batch_events", 500, _count), ("max_batch_bytes", 512 * 1024, _count), ("upload_interval", 2.0, _ms)],
    ),
    ("cairn_options_set_requests_in_flight", [("max_requests_in_flight", 2, _count)]),
    ("cairn_options_set_timeouts", [("connect_timeout", 10.0, _ms), ("request_timeout", 30.0, _ms)]),
    (
        "cairn_options_set_backoff",
        [("min_backoff", 1.0, _ms), ("max_backoff", 300.0, _ms), ("jitter_seed", 0, _count)],
    ),
    ("cairn_options_set_network_retry_floor", [("network_retry_floor", 1.0, _ms)]),
    ("cairn_options_set_compression", [("compression", Compression.ZSTD, int)]),
    ("cairn_options_set_shutdown_timeout", [("shutdown_timeout", 1.0, _ms)]),
    ("cairn_options_set_allow_insecure_http", [("allow_insecure_http", False, int)]),
    ("cairn_options_set_ca_bundle_path", [("ca_bundle_path", None, lambda v: c_str(v, "ca_bundle_path"))]),
    (
        "cairn_options_set_renewal_default",
        [
            ("renewal_default", RenewalDefault.NOT_ASKED, int),
            ("renewal_default_policy_id", None, lambda v: c_str(v, "renewal_default_policy_id")),
            ("renewal_default_policy_version", None, lambda v: c_str(v, "renewal_default_policy_version")),
        ],
    ),
]

# Keywords handled apart from the groups.
_SPECIAL = ("user_id_hmac_key", "attribute_allowlist", "on_delivery_status")

KEYWORDS = frozenset([kw for _, fields in _GROUPS for kw, _, _ in fields] + list(_SPECIAL))


def check_keywords(options: dict) -> None:
    """TypeError for a keyword the SDK has no option for (a typo must not pass silently)."""
    unknown = sorted(set(options) - KEYWORDS)
    if unknown:
        raise TypeError(f"unknown Client option(s): {', '.join(unknown)}")


def apply(handle: int, options: dict) -> None:
    """Sets every given keyword on the cairn_options `handle` (not the callback)."""
    lib = _lib.lib()
    for setter, fields in _GROUPS:
        if not any(kw in options for kw, _, _ in fields):
            continue
        args = [convert(options.get(kw, default)) for kw, default, convert in fields]
        check(getattr(lib, setter)(handle, *args))
    key = options.get("user_id_hmac_key")
    if key is not None:
        raw = key.encode("utf-8") if isinstance(key, str) else bytes(key)
        check(lib.cairn_options_set_user_id_hmac_key(handle, raw, len(raw)))
    allowlist: Iterable[str] = options.get("attribute_allowlist") or ()
    if isinstance(allowlist, str):
        raise TypeError("attribute_allowlist is a collection of keys, not one string")
    for attribute in allowlist:
        check(lib.cairn_options_add_allowed_attribute(handle, c_str(attribute, "attribute key")))


def set_required(handle: int, collector_url: str, write_key: str, storage_dir: str, app) -> None:
    """The three required options and the app's (name, version)."""
    lib = _lib.lib()
    check(lib.cairn_options_set_collector_url(handle, c_str(collector_url, "collector_url")))
    check(lib.cairn_options_set_write_key(handle, c_str(write_key, "write_key")))
    check(lib.cairn_options_set_storage_dir(handle, c_str(None if storage_dir is None else os.fspath(storage_dir), "storage_dir")))
    if app is not None:
        name, version = app
        check(lib.cairn_options_set_app(handle, c_str(name, "app name"), c_str(version, "app version")))

