"""Lifetime, local data, stats, the delivery callback and misuse, against a real collector."""

from __future__ import annotations

import threading
import unittest

import cairn

from .support import FLUSH_TIMEOUT, POLICY, WRITE_KEY, CollectorTestCase, grant_all

ACCOUNT, USER = "acme", "user-1"


class LifecycleTest(CollectorTestCase):
    def test_context_manager_shuts_down_and_delivers(self) -> None:
        with cairn.Client(
            collector_url=self.collector.url,
            write_key=WRITE_KEY,
            storage_dir=self.storage(),
            shutdown_timeout=FLUSH_TIMEOUT,
        ) as client:
            grant_all(client, ACCOUNT, USER)
            client.record_login(ACCOUNT, USER)
            client.record_milestone("invoice_sent", 1)
        self.assertTrue(client.closed)
        self.assertEqual(self.stored_kinds(USER), ["login", "milestone"])
        with self.assertRaises(cairn.FailedPrecondition):
            client.record_milestone("after_close")
        with self.assertRaises(cairn.FailedPrecondition):
            client.stats()
        client.close()  # idempotent
        # The storage directory was released: a new client may take it.
        self.make_client()

    def test_calls_after_shutdown(self) -> None:
        client = self.make_client()
        grant_all(client, ACCOUNT, USER)
        client.record_login(ACCOUNT, USER)
        client.shutdown(timeout=FLUSH_TIMEOUT)
        client.shutdown(timeout=FLUSH_TIMEOUT)  # repeats the first outcome: OK
        self.assertEqual(self.stored_kinds(USER), ["login"])

        with self.assertRaises(cairn.FailedPrecondition) as caught:
            client.record_milestone("after_shutdown")
        self.assertNotEqual(caught.exception.message, "the client is closed")
        with self.assertRaises(cairn.FailedPrecondition):
            client.record_logout()
        # Queries still answer until close().
        self.assertEqual(client.get_consent(USER, cairn.Purpose.MILESTONES), cairn.Decision.GRANTED)
        self.assertEqual(client.stats().refused_shut_down, 2)

    def test_a_second_client_on_the_same_storage_fails(self) -> None:
        self.make_client()
        with self.assertRaises(cairn.FailedPrecondition):
            self.make_client()

    def test_bad_options(self) -> None:
        with self.assertRaises(cairn.InvalidArgument):
            self.make_client(storage=self.storage(), collector_url="ftp://127.0.0.1:1")
        with self.assertRaises(cairn.InvalidArgument):
            self.make_client(write_key="")
        with self.assertRaises(cairn.InvalidArgument):
            self.make_client(enqueue_timeout=-1)
        with self.assertRaisesRegex(TypeError, "upload_intervall"):
            self.make_client(upload_intervall=1)

    def test_export_and_erase_local_data(self) -> None:
        client = self.make_client(upload_interval=3600)
        grant_all(client, ACCOUNT, USER)
        client.record_login(ACCOUNT, USER)
        client.flush(timeout=FLUSH_TIMEOUT)
        client.record_milestone("first")
        client.record_milestone("second")

        exported = client.export_local_data(USER)
        self.assertEqual(exported["user_id"], USER)
        self.assertFalse(exported["pseudonymised"])
        self.assertEqual([e["milestone"]["name"] for e in exported["events"]], ["first", "second"])
        self.assertEqual(len(exported["consent_records"]), 2)

        client.erase_local_data(USER)
        self.assertEqual(client.export_local_data(USER)["events"], [])
        self.assertEqual(client.stats().erased, 2)
        client.flush(timeout=FLUSH_TIMEOUT)
        self.assertEqual(self.stored_kinds(USER), ["login"])

    def test_wire_user_id_with_pseudonymisation(self) -> None:
        client = self.make_client(user_id_hmac_key=b"\x01secret key\x00bytes")
        wire = client.wire_user_id(USER)
        self.assertNotEqual(wire, USER)
        self.assertRegex(wire, "^[0-9a-f]{64}$")
        self.assertEqual(client.wire_user_id(USER), wire)
        grant_all(client, ACCOUNT, USER)
        client.record_login(ACCOUNT, USER)
        client.flush(timeout=FLUSH_TIMEOUT)
        self.assertEqual(self.stored_kinds(wire), ["login"])
        self.assertEqual(self.stored_kinds(USER), [])

    def test_stats(self) -> None:
        client = self.make_client()
        before = client.stats()
        self.assertIsInstance(before, cairn.Stats)
        self.assertEqual(before.recorded, 0)
        self.assertEqual(set(before.dropped), set(cairn.DropReason))
        self.assertEqual(before.last_error, "")
        grant_all(client, ACCOUNT, USER)
        client.record_login(ACCOUNT, USER)
        for _ in range(5):
            client.record_milestone("m")
        client.flush(timeout=FLUSH_TIMEOUT)
        after = client.stats()
        self.assertEqual(after.recorded, 6)
        self.assertEqual(after.persisted, 6)
        self.assertEqual(after.sent, 6 + 2)  # the two grants are delivered too, as proof
        self.assertEqual(after.acknowledged, 6 + 2)
        self.assertGreaterEqual(after.batches_acknowledged, 1)
        self.assertEqual(after.buffered_rows, 0)

    def test_records_from_many_threads(self) -> None:
        client = self.make_client()
        grant_all(client, ACCOUNT, USER)
        client.record_login(ACCOUNT, USER)
        errors = []

        def record(thread: int) -> None:
            try:
                for i in range(100):
                    client.record_milestone(f"t{thread}", i)
            except cairn.CairnError as error:
                errors.append(error)

        threads = [threading.Thread(target=record, args=(t,)) for t in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        client.flush(timeout=FLUSH_TIMEOUT)
        self.assertEqual(errors, [])
        rows = self.collector.query("SELECT COUNT(*) FROM events WHERE kind = 'milestone'")
        self.assertEqual(rows, [(400,)])


class DeliveryCallbackTest(CollectorTestCase):
    def refused_client(self, callback) -> cairn.Client:
        client = self.make_client(write_key="not-the-collectors-key", on_delivery_status=callback)
        grant_all(client, ACCOUNT, USER)
        client.record_login(ACCOUNT, USER)
        return client

    def test_a_refused_write_key_reaches_the_callback(self) -> None:
        seen: list[cairn.DeliveryStatus] = []
        called = threading.Event()

        def on_status(status: cairn.DeliveryStatus) -> None:
            seen.append(status)
            called.set()

        client = self.refused_client(on_status)
        with self.assertRaises(cairn.PermissionDenied):
            client.flush(timeout=FLUSH_TIMEOUT)
        self.assertTrue(called.wait(FLUSH_TIMEOUT))
        status = seen[0]
        self.assertEqual(status.code, 7)
        self.assertEqual(status.code_name, "PERMISSION_DENIED")
        self.assertIn(status.http_status, (401, 403))
        self.assertTrue(status.message)
        # The first report may come before the events reached the buffer;
        # once flush has answered, they are durable and stay there.
        self.assertIsInstance(status.buffered_rows, int)
        self.assertGreaterEqual(client.stats().buffered_rows, 1)
        self.assertEqual(self.stored_kinds(USER), [])

    def test_an_exception_in_the_callback_never_reaches_the_library(self) -> None:
        called = threading.Event()

        def on_status(status: cairn.DeliveryStatus) -> None:
            called.set()
            raise RuntimeError("the app's callback is broken")

        with self.assertLogs("cairn", "ERROR") as logs:
            client = self.refused_client(on_status)
            with self.assertRaises(cairn.PermissionDenied):
                client.flush(timeout=FLUSH_TIMEOUT)
            self.assertTrue(called.wait(FLUSH_TIMEOUT))
        self.assertIn("RuntimeError", "\n".join(logs.output))
        # The client goes on working.
        client.record_milestone("still_recording")
        self.assertEqual(client.stats().recorded, 2)


if __name__ == "__main__":
    unittest.main()
