"""Finding and loading libcairn.so, and the C API's types and prototypes for ctypes.

The library is loaded once, on first use, so ``import cairn`` works (and can
be documented or type-checked) on a machine without it.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import threading
from ctypes import (
    CFUNCTYPE,
    POINTER,
    Structure,
    c_char,
    c_char_p,
    c_double,
    c_int,
    c_int64,
    c_size_t,
    c_uint64,
    c_void_p,
)

from ._errors import LibraryError

# The ABI version these bindings were written for (CAIRN_ABI_VERSION in cairn.h).
ABI_VERSION = 1
DROP_REASON_SLOTS = 16

_SONAMES = ("libcairn.so.1", "libcairn.so")


class ConsentRequest(Structure):
    _fields_ = [
        ("struct_size", c_size_t),
        ("account_id", c_char_p),
        ("user_id", c_char_p),
        ("purpose", c_int),
        ("decision", c_int),
        ("policy_id", c_char_p),
        ("policy_version", c_char_p),
        ("source_surface", c_char_p),
        ("expires_at_ms", c_int64),
        ("grant_signature", c_char_p),
        ("signed_at_ms", c_int64),
    ]


class ConsentChoice(Structure):
    _fields_ = [
        ("purpose", c_int),
        ("decision", c_int),
        ("policy_version", c_char_p),
        ("decided_at_ms", c_int64),
        ("expires_at_ms", c_int64),
    ]


class ConsentChoices(Structure):
    _fields_ = [("count", c_size_t), ("items", POINTER(ConsentChoice))]


class Attribute(Structure):
    _fields_ = [("key", c_char_p), ("value", c_char_p)]


class DeliveryStatus(Structure):
    _fields_ = [
        ("code", c_int),
        ("message", c_char_p),
        ("http_status", c_int),
        ("buffered_rows", c_uint64),
        ("next_attempt_in_ms", c_int64),
    ]


STAT_COUNTERS = (
    "recorded",
    "refused_no_consent",
    "refused_invalid",
    "refused_no_session",
    "refused_shut_down",
    "refused_storage",
    "durable_timeouts",
    "persisted",
    "sent",
    "acknowledged",
    "duplicates",
    "retries",
    "batches_acknowledged",
    "consent_changes_pending",
    "erased",
    "buffered_rows",
    "buffered_bytes",
)


class Stats(Structure):
    _fields_ = (
        [("struct_size", c_size_t)]
        + [(name, c_uint64) for name in STAT_COUNTERS]
        + [("dropped", c_uint64 * DROP_REASON_SLOTS), ("last_error", c_char * 256)]
    )


DELIVERY_STATUS_FN = CFUNCTYPE(None, c_void_p, POINTER(DeliveryStatus))

_Opts = c_void_p
_Client = c_void_p
_PROTOTYPES = {
    "cairn_last_error_message": (c_char_p, []),
    "cairn_status_code_name": (c_char_p, [c_int]),
    "cairn_version": (c_char_p, []),
    "cairn_abi_version": (c_int, []),
    "cairn_options_new": (_Opts, []),
    "cairn_options_free": (None, [_Opts]),
    "cairn_options_set_collector_url": (c_int, [_Opts, c_char_p]),
    "cairn_options_set_write_key": (c_int, [_Opts, c_char_p]),
    "cairn_options_set_storage_dir": (c_int, [_Opts, c_char_p]),
    "cairn_options_set_app": (c_int, [_Opts, c_char_p, c_char_p]),
    "cairn_options_set_queue": (c_int, [_Opts, c_size_t, c_int, c_int64]),
    "cairn_options_set_durable_records": (c_int, [_Opts, c_int, c_int64]),
    "cairn_options_set_commit": (c_int, [_Opts, c_size_t, c_int64]),
    "cairn_options_set_buffer_limits": (c_int, [_Opts, c_uint64, c_uint64, c_uint64, c_int64]),
    "cairn_options_set_batch": (c_int, [_Opts, c_size_t, c_size_t, c_int64]),
    "cairn_options_set_timeouts": (c_int, [_Opts, c_int64, c_int64]),
    "cairn_options_set_backoff": (c_int, [_Opts, c_int64, c_int64, c_uint64]),
    "cairn_options_set_network_retry_floor": (c_int, [_Opts, c_int64]),
    "cairn_options_set_compression": (c_int, [_Opts, c_int]),
    "cairn_options_set_requests_in_flight": (c_int, [_Opts, c_size_t]),
    "cairn_options_set_shutdown_timeout": (c_int, [_Opts, c_int64]),
    "cairn_options_set_allow_insecure_http": (c_int, [_Opts, c_int]),
    "cairn_options_set_ca_bundle_path": (c_int, [_Opts, c_char_p]),
    "cairn_options_set_user_id_hmac_key": (c_int, [_Opts, c_char_p, c_size_t]),
    "cairn_options_add_allowed_attribute": (c_int, [_Opts, c_char_p]),
    "cairn_options_set_renewal_default": (c_int, [_Opts, c_int, c_char_p, c_char_p]),
    "cairn_options_set_delivery_status_callback": (c_int, [_Opts, DELIVERY_STATUS_FN, c_void_p]),
    "cairn_client_create": (c_int, [_Opts, POINTER(_Client)]),
    "cairn_client_destroy": (None, [_Client]),
    "cairn_client_shutdown": (c_int, [_Client, c_int64]),
    "cairn_client_flush": (c_int, [_Client, c_int64]),
    "cairn_client_on_network_available": (c_int, [_Client]),
    "cairn_consent_request_init": (None, [POINTER(ConsentRequest)]),
    "cairn_set_consent": (c_int, [_Client, POINTER(ConsentRequest)]),
    "cairn_set_renewal_notifications": (
        c_int,
        [_Client, c_char_p, c_char_p, c_int, c_char_p, c_char_p],
    ),
    "cairn_get_consent": (c_int, [_Client, c_char_p, c_int, POINTER(c_int)]),
    "cairn_get_consent_choices": (c_int, [_Client, c_char_p, POINTER(POINTER(ConsentChoices))]),
    "cairn_consent_choices_free": (None, [POINTER(ConsentChoices)]),
    "cairn_record_login": (c_int, [_Client, c_char_p, c_char_p, c_char_p]),
    "cairn_record_logout": (c_int, [_Client]),
    "cairn_record_session_end": (c_int, [_Client]),
    "cairn_record_milestone": (
        c_int,
        [_Client, c_char_p, c_int, c_double, POINTER(Attribute), c_size_t],
    ),
    "cairn_record_feedback": (c_int, [_Client, c_int, c_int, c_char_p, c_char_p]),
    # Returned strings come back as c_void_p, not c_char_p: ctypes would copy
    # a c_char_p and drop the pointer, which must go back to cairn_string_free.
    "cairn_string_free": (None, [c_void_p]),
    "cairn_export_local_data": (c_int, [_Client, c_char_p, POINTER(c_void_p), POINTER(c_size_t)]),
    "cairn_erase_local_data": (c_int, [_Client, c_char_p]),
    "cairn_wire_user_id": (c_int, [_Client, c_char_p, POINTER(c_void_p)]),
    "cairn_stats_init": (None, [POINTER(Stats)]),
    "cairn_get_stats": (c_int, [_Client, POINTER(Stats)]),
}

_lock = threading.Lock()
_loaded: ctypes.CDLL | None = None


def _candidates() -> list[str]:
    """Where to look, in order: $CAIRN_LIBRARY, next to the package, the system."""
    found = []
    env = os.environ.get("CAIRN_LIBRARY")
    if env:
        return [env]  # an explicit choice is never second-guessed
    here = os.path.dirname(os.path.abspath(__file__))
    for directory in (here, os.path.dirname(here)):
        found += [os.path.join(directory, name) for name in _SONAMES]
    system = ctypes.util.find_library("cairn")
    if system:
        found.append(system)
    return found


def _open() -> ctypes.CDLL:
    tried = []
    for path in _candidates():
        if os.sep in path and not os.path.exists(path):
            tried.append(f"{path}: no such file")
            continue
        try:
            lib = ctypes.CDLL(path)
        except OSError as error:
            tried.append(str(error))
            continue
        return lib
    raise LibraryError(
        "libcairn.so not found (set CAIRN_LIBRARY to its path): " + ("; ".join(tried) or "nowhere to look")
    )


def _declare(lib: ctypes.CDLL) -> None:
    for name, (restype, argtypes) in _PROTOTYPES.items():
        try:
            fn = getattr(lib, name)
        except AttributeError as error:
            raise LibraryError(f"{lib._name} lacks {name}: not a Cairn C library") from error
        fn.restype = restype
        fn.argtypes = argtypes


def lib() -> ctypes.CDLL:
    """The loaded library with its prototypes declared; loads it on first call.

    Raises LibraryError if it cannot be found or loaded, or if its ABI version
    is not the one these bindings speak (a call with the wrong layout would
    corrupt memory rather than fail).
    """
    global _loaded
    if _loaded is not None:
        return _loaded
    with _lock:
        if _loaded is None:
            candidate = _open()
            candidate.cairn_abi_version.restype = c_int
            candidate.cairn_abi_version.argtypes = []
            abi = candidate.cairn_abi_version()
            if abi != ABI_VERSION:
                raise LibraryError(
                    f"{candidate._name} has ABI version {abi}; these bindings need {ABI_VERSION}"
                )
            _declare(candidate)
            _loaded = candidate
    return _loaded
