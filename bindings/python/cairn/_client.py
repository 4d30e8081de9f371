"""cairn.Client: the SDK's client over the C API's cairn_client handle."""

from __future__ import annotations

import ctypes
import datetime as _dt
import json
import logging
import os
import threading
from collections.abc import Callable, Mapping

from . import _lib, _options
from ._errors import _BY_CODE, FailedPrecondition, InvalidArgument
from ._types import (
    ConsentChoice,
    Decision,
    DeliveryStatus,
    DropReason,
    FeedbackKind,
    Purpose,
    Stats,
    from_unix_ms,
)
from ._util import c_str, check, to_unix_ms

_log = logging.getLogger("cairn")


def _delivery_trampoline(callback: Callable[[DeliveryStatus], None]):
    """A C callback that hands the status to `callback` on the SDK's delivery thread.

    Whatever the callback raises is logged and swallowed: an exception must
    never unwind into the C library.
    """

    def trampoline(_user_data, status_ptr):
        try:
            raw = status_ptr.contents
            cls = _BY_CODE.get(raw.code)
            callback(
                DeliveryStatus(
                    code=raw.code,
                    code_name=cls.code_name if cls else "UNKNOWN_CODE",
                    message=raw.message.decode("utf-8", "replace") if raw.message else "",
                    http_status=raw.http_status,
                    buffered_rows=raw.buffered_rows,
                    next_attempt_in=raw.next_attempt_in_ms / 1000,
                )
            )
        except BaseException:  # noqa: BLE001 - nothing may reach C
            _log.exception("cairn: on_delivery_status callback raised; ignored")

    return _lib.DELIVERY_STATUS_FN(trampoline)


class Client:
    """One SDK client: consent, records, delivery to the collector.

    Creating it loads consent, reopens the on-device buffer and starts the
    SDK's writer and sender threads; it raises a CairnError subclass on
    failure (InvalidArgument for bad options, FailedPrecondition when another
    client holds `storage_dir`). Every method may be called from any thread.
    Use it as a context manager, or call close(): both shut it down (within
    the `shutdown_timeout` option) and free it. Methods called after close()
    raise FailedPrecondition.

    `options` are the SDK's (see cairn._options for the keywords; durations
    in seconds), plus `on_delivery_status`, a callable given a DeliveryStatus
    on the SDK's delivery thread after each failed delivery attempt; it must
    be quick and must not call this client.
    """

    def __init__(
        self,
        *,
        collector_url: str,
        write_key: str,
        storage_dir: str | os.PathLike,
        app: tuple[str, str] | None = None,
        **options,
    ) -> None:
        self._handle: int | None = None
        self._busy = 0
        self._idle = threading.Condition()
        self._callback_ref = None  # the C function pointer must outlive the client
        _options.check_keywords(options)
        lib = _lib.lib()
        self._lib = lib
        opts = lib.cairn_options_new()
        if not opts:
            raise MemoryError("cairn_options_new failed")
        try:
            _options.set_required(opts, collector_url, write_key, storage_dir, app)
            _options.apply(opts, options)
            callback = options.get("on_delivery_status")
            if callback is not None:
                if not callable(callback):
                    raise TypeError("on_delivery_status must be callable")
                self._callback_ref = _delivery_trampoline(callback)
                check(lib.cairn_options_set_delivery_status_callback(opts, self._callback_ref, None))
            out = ctypes.c_void_p()
            check(lib.cairn_client_create(opts, ctypes.byref(out)))
            self._handle = out.value
        finally:
            lib.cairn_options_free(opts)

    # ------------------------------------------------------------ lifetime

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def __del__(self) -> None:
        # The app forgot close(): still stop the threads and release the
        # storage directory, as the C++ destructor would.
        if getattr(self, "_handle", None) is not None:
            try:
                self.close()
            except Exception:  # noqa: BLE001 - never raise from a finalizer
                pass

    def close(self) -> None:
        """Shuts down (if shutdown() was not called, within the shutdown_timeout
        option) and frees the client. Waits for calls other threads are in.
        Idempotent; never raises."""
        with self._idle:
            handle, self._handle = self._handle, None
            while self._busy:
                self._idle.wait()
        if handle is not None:
            self._lib.cairn_client_destroy(handle)
        # Only now may the C function pointer go: the delivery thread is gone.
        self._callback_ref = None

    @property
    def closed(self) -> bool:
        """True after close()."""
        return self._handle is None

    def _call(self, fn, *args) -> None:
        """fn(handle, *args), raising its error; the handle stays alive meanwhile."""
        with self._idle:
            handle = self._handle
            if handle is None:
                raise FailedPrecondition("the client is closed")
            self._busy += 1
        try:
            code = fn(handle, *args)
            if code:
                check(code)
        finally:
            with self._idle:
                self._busy -= 1
                if not self._busy:
                    self._idle.notify_all()

    def shutdown(self, timeout: float = 2.0) -> None:
        """Stops recording, tries to deliver for up to `timeout` seconds, stops
        the threads. Undelivered events stay on the device for the next run.
        Raises Unavailable or DeadlineExceeded when events are left undelivered;
        a second call repeats the first's outcome. Queries (stats, consent,
        export) still work after it; record calls raise FailedPrecondition."""
        self._call(self._lib.cairn_client_shutdown, round(timeout * 1000))

    def flush(self, timeout: float = 5.0) -> None:
        """Waits up to `timeout` seconds until everything recorded so far is
        durable and acknowledged by the collector. Raises Unavailable (durable,
        delivery failed and goes on), PermissionDenied (write key refused) or
        DeadlineExceeded."""
        self._call(self._lib.cairn_client_flush, round(timeout * 1000))

    def on_network_available(self) -> None:
        """The app saw connectivity come back: retry delivery now (rate-limited). Never blocks."""
        self._call(self._lib.cairn_client_on_network_available)

    # ------------------------------------------------------------- consent

    def set_consent(
        self,
        account_id: str,
        user_id: str,
        purpose: Purpose = Purpose.MILESTONES,
        granted: bool = True,
        *,
        policy_version: str,
        policy_id: str | None = None,
        source_surface: str | None = None,
        expires_at: _dt.datetime | float | None = None,
        grant_signature: str | None = None,
        signed_at: _dt.datetime | float | None = None,
    ) -> None:
        """Records the user's decision durably (one SQLite commit) and queues it
        for the collector as proof. granted=False withdraws: the user's unsent
        events of the purpose are deleted. `policy_version` is the text the user
        saw. Times are datetimes (naive means UTC) or Unix seconds. Raises
        InvalidArgument for missing or malformed fields."""
        request = _lib.ConsentRequest()
        self._lib.cairn_consent_request_init(ctypes.byref(request))
        request.account_id = c_str(account_id, "account_id")
        request.user_id = c_str(user_id, "user_id")
        request.purpose = int(purpose)
        request.decision = int(Decision.GRANTED if granted else Decision.DENIED)
        request.policy_id = c_str(policy_id, "policy_id")
        request.policy_version = c_str(policy_version, "policy_version")
        request.source_surface = c_str(source_surface, "source_surface")
        request.expires_at_ms = to_unix_ms(expires_at)
        request.grant_signature = c_str(grant_signature, "grant_signature")
        request.signed_at_ms = to_unix_ms(signed_at)
        self._call(self._lib.cairn_set_consent, ctypes.byref(request))

    def set_renewal_notifications(
        self,
        account_id: str,
        user_id: str,
        allowed: bool,
        *,
        policy_version: str,
        source_surface: str | None = None,
    ) -> None:
        """The user's renewal-notification choice: allowed=False is their opt-out,
        which the vendor must honour (also against a soft opt-in default)."""
        self._call(
            self._lib.cairn_set_renewal_notifications,
            c_str(account_id, "account_id"),
            c_str(user_id, "user_id"),
            1 if allowed else 0,
            c_str(policy_version, "policy_version"),
            c_str(source_surface, "source_surface"),
        )

    def get_consent(self, user_id: str, purpose: Purpose = Purpose.MILESTONES) -> Decision:
        """The user's decision for the purpose now (UNKNOWN if never asked or
        expired). Cheap: a hash lookup."""
        out = ctypes.c_int()
        self._call(self._lib.cairn_get_consent, c_str(user_id, "user_id"), int(purpose), ctypes.byref(out))
        return Decision(out.value)

    def consent_choices(self, user_id: str) -> list[ConsentChoice]:
        """Every consentable purpose's decision for the user, in display order."""
        out = ctypes.POINTER(_lib.ConsentChoices)()
        self._call(self._lib.cairn_get_consent_choices, c_str(user_id, "user_id"), ctypes.byref(out))
        try:
            choices = out.contents
            return [
                ConsentChoice(
                    purpose=Purpose(item.purpose),
                    decision=Decision(item.decision),
                    policy_version=(item.policy_version or b"").decode("utf-8", "replace"),
                    decided_at=from_unix_ms(item.decided_at_ms),
                    expires_at=from_unix_ms(item.expires_at_ms),
                )
                for item in choices.items[: choices.count]
            ]
        finally:
            self._lib.cairn_consent_choices_free(out)

    # ------------------------------------------------------------- records

    def record_login(self, account_id: str, user_id: str, method: str | None = None) -> None:
        """The user signed in: starts a session with this identity. Raises
        PermissionDenied without usage-analytics consent (the session and
        identity still start, for the milestones that follow)."""
        self._call(
            self._lib.cairn_record_login,
            c_str(account_id, "account_id"),
            c_str(user_id, "user_id"),
            c_str(method, "method"),
        )

    def record_logout(self) -> None:
        """The user signed out: ends the session and clears the identity."""
        self._call(self._lib.cairn_record_logout)

    def record_session_end(self) -> None:
        """The session ended without a logout (e.g. the app closes)."""
        self._call(self._lib.cairn_record_session_end)

    def record_milestone(
        self, name: str, value: float | None = None, attributes: Mapping[str, str] | None = None
    ) -> None:
        """The signed-in user reached a milestone. Only allow-listed attributes
        are kept. Cost: the SDK queues the event (about a microsecond in C,
        plus the Python call); no IO on this thread. Raises FailedPrecondition
        without a session or after shutdown, PermissionDenied without milestone
        consent, ResourceExhausted when the queue is full."""
        array, count = None, 0
        if attributes:
            count = len(attributes)
            array = (_lib.Attribute * count)()
            # Assigned in place, so the array itself keeps the bytes alive.
            for slot, (key, val) in zip(array, attributes.items()):
                slot.key = c_str(key, "attribute key")
                slot.value = c_str(val, "attribute value")
        self._call(
            self._lib.cairn_record_milestone,
            c_str(name, "name"),
            0 if value is None else 1,
            0.0 if value is None else float(value),
            array,
            count,
        )

    def record_feedback(
        self,
        kind: FeedbackKind,
        score: int,
        comment: str | None = None,
        survey_id: str | None = None,
    ) -> None:
        """The signed-in user answered an in-app survey: an NPS score (0-10) or
        a CSAT score (1-5), an optional comment (at most 500 bytes of UTF-8; it
        is personal data) and an optional survey id. Raises InvalidArgument for
        a value out of bounds (nothing is recorded), FailedPrecondition without
        a session, PermissionDenied without feedback consent."""
        if isinstance(score, bool) or not isinstance(score, int):
            raise TypeError(f"score must be an int, not {type(score).__name__}")
        # ctypes would wrap a number past a C int into one that looks valid.
        if not -(2**31) <= score < 2**31 or not -(2**31) <= int(kind) < 2**31:
            raise InvalidArgument("feedback kind or score out of range")
        self._call(
            self._lib.cairn_record_feedback,
            int(kind),
            score,
            c_str(comment, "comment"),
            c_str(survey_id, "survey_id"),
        )

    # ---------------------------------------------------------- local data

    def _string_call(self, fn, *args, length: ctypes.c_size_t | None = None) -> bytes:
        """Calls fn(handle, *args, &out[, &length]) and returns and frees the string."""
        out = ctypes.c_void_p()
        extra = (ctypes.byref(length),) if length is not None else ()
        self._call(fn, *args, ctypes.byref(out), *extra)
        try:
            if length is not None:
                return ctypes.string_at(out.value, length.value)
            return ctypes.string_at(out.value)
        finally:
            self._lib.cairn_string_free(out)

    def export_local_data(self, user_id: str) -> dict:
        """Everything the device holds about the user (consent records, unsent
        events), as the SDK's JSON parsed into a dict. Cost: a buffer scan."""
        raw = self._string_call(
            self._lib.cairn_export_local_data, c_str(user_id, "user_id"), length=ctypes.c_size_t()
        )
        return json.loads(raw.decode("utf-8"))

    def erase_local_data(self, user_id: str) -> None:
        """Deletes the user's unsent events on the device (consent records stay:
        they are the vendor's proof)."""
        self._call(self._lib.cairn_erase_local_data, c_str(user_id, "user_id"))

    def wire_user_id(self, user_id: str) -> str:
        """The user id as stored and sent (the HMAC when pseudonymisation is
        on): what the collector's admin API needs."""
        return self._string_call(self._lib.cairn_wire_user_id, c_str(user_id, "user_id")).decode("utf-8")

    # --------------------------------------------------------------- stats

    def stats(self) -> Stats:
        """The SDK's counters now. Cheap."""
        raw = _lib.Stats()
        self._lib.cairn_stats_init(ctypes.byref(raw))
        self._call(self._lib.cairn_get_stats, ctypes.byref(raw))
        return Stats(
            **{name: getattr(raw, name) for name in _lib.STAT_COUNTERS},
            dropped={reason: raw.dropped[reason] for reason in DropReason},
            last_error=raw.last_error.decode("utf-8", "replace"),
        )
