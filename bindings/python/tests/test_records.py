"""Consent first, records, errors and withdrawal through the bindings, against a real collector."""

from __future__ import annotations

import json
import unittest

import cairn

from .support import FLUSH_TIMEOUT, POLICY, CollectorTestCase, grant_all

ACCOUNT, USER = "acme", "user-1"


class RecordTest(CollectorTestCase):
    def test_consent_first_then_a_milestone_reaches_the_collector(self) -> None:
        client = self.make_client(attribute_allowlist=["plan"])
        grant_all(client, ACCOUNT, USER)
        self.assertEqual(client.get_consent(USER, cairn.Purpose.MILESTONES), cairn.Decision.GRANTED)
        client.record_login(ACCOUNT, USER, "sso")
        client.record_milestone("invoice_sent", 3.5, {"plan": "pro", "email": "not kept"})
        client.flush(timeout=FLUSH_TIMEOUT)

        self.assertEqual(self.stored_kinds(USER), ["login", "milestone"])
        rows = self.collector.query(
            "SELECT account_id, milestone_name, milestone_value, attributes_json FROM events "
            "WHERE kind = 'milestone'"
        )
        self.assertEqual(len(rows), 1)
        account, name, value, attributes = rows[0]
        self.assertEqual((account, name, value), (ACCOUNT, "invoice_sent", 3.5))
        self.assertEqual(json.loads(attributes), {"plan": "pro"})
        proofs = self.collector.query(
            "SELECT purpose, decision, policy_version, source_surface FROM consent_records "
            "WHERE user_id = ? ORDER BY purpose",
            (USER,),
        )
        self.assertEqual(proofs, [(1, 1, POLICY, "onboarding"), (2, 1, POLICY, "onboarding")])
        stats = client.stats()
        self.assertEqual(stats.recorded, 2)
        self.assertEqual(stats.dropped[cairn.DropReason.ATTRIBUTE_FILTERED], 1)

    def test_a_milestone_without_a_value_or_attributes(self) -> None:
        client = self.make_client()
        grant_all(client, ACCOUNT, USER)
        client.record_login(ACCOUNT, USER)
        client.record_milestone("report_viewed")
        client.flush(timeout=FLUSH_TIMEOUT)
        rows = self.collector.query("SELECT milestone_name, milestone_value FROM events WHERE kind = 'milestone'")
        self.assertEqual(rows, [("report_viewed", None)])

    def test_without_consent_records_raise_permission_denied(self) -> None:
        client = self.make_client()
        with self.assertRaises(cairn.PermissionDenied) as login:
            client.record_login(ACCOUNT, USER)
        self.assertTrue(login.exception.message)
        self.assertEqual(login.exception.code, 7)
        # The identity stands even though the login event was refused.
        with self.assertRaises(cairn.PermissionDenied):
            client.record_milestone("invoice_sent")
        self.assertEqual(client.stats().refused_no_consent, 2)
        client.flush(timeout=FLUSH_TIMEOUT)
        self.assertEqual(self.stored_kinds(USER), [])

    def test_without_a_session_a_milestone_raises_failed_precondition(self) -> None:
        client = self.make_client()
        grant_all(client, ACCOUNT, USER)
        with self.assertRaises(cairn.FailedPrecondition) as caught:
            client.record_milestone("invoice_sent")
        self.assertTrue(caught.exception.message)
        self.assertIsInstance(caught.exception, cairn.CairnError)
        self.assertEqual(client.stats().refused_no_session, 1)

    def test_withdrawal_deletes_unsent_events_and_refuses_later_ones(self) -> None:
        # A long linger: nothing leaves the device before the withdrawal.
        client = self.make_client(upload_interval=3600)
        grant_all(client, ACCOUNT, USER)
        client.record_login(ACCOUNT, USER)
        client.flush(timeout=FLUSH_TIMEOUT)  # the grants and the login are delivered
        for step in range(3):
            client.record_milestone("step", step)
        client.set_consent(ACCOUNT, USER, cairn.Purpose.MILESTONES, granted=False, policy_version=POLICY)

        self.assertEqual(client.get_consent(USER, cairn.Purpose.MILESTONES), cairn.Decision.DENIED)
        with self.assertRaises(cairn.PermissionDenied):
            client.record_milestone("after_withdrawal")
        client.flush(timeout=FLUSH_TIMEOUT)
        self.assertEqual(self.stored_kinds(USER), ["login"])
        self.assertEqual(client.stats().dropped[cairn.DropReason.CONSENT_WITHDRAWN], 3)
        withdrawals = self.collector.query(
            "SELECT COUNT(*) FROM consent_records WHERE user_id = ? AND purpose = 2 AND decision = 2", (USER,)
        )
        self.assertEqual(withdrawals, [(1,)])

    def test_renewal_opt_out_and_consent_choices(self) -> None:
        client = self.make_client()
        client.set_consent(ACCOUNT, USER, cairn.Purpose.MILESTONES, policy_version=POLICY)
        client.set_renewal_notifications(ACCOUNT, USER, False, policy_version=POLICY)
        choices = {choice.purpose: choice for choice in client.consent_choices(USER)}

        self.assertEqual(set(choices), set(cairn.Purpose))
        self.assertEqual(choices[cairn.Purpose.MILESTONES].decision, cairn.Decision.GRANTED)
        self.assertEqual(choices[cairn.Purpose.MILESTONES].policy_version, POLICY)
        self.assertIsNotNone(choices[cairn.Purpose.MILESTONES].decided_at)
        self.assertIsNone(choices[cairn.Purpose.MILESTONES].expires_at)
        self.assertEqual(choices[cairn.Purpose.RENEWAL_NOTIFICATIONS].decision, cairn.Decision.DENIED)
        self.assertEqual(choices[cairn.Purpose.USAGE_ANALYTICS].decision, cairn.Decision.UNKNOWN)
        self.assertEqual(choices[cairn.Purpose.USAGE_ANALYTICS].policy_version, "")
        self.assertIsNone(choices[cairn.Purpose.USAGE_ANALYTICS].decided_at)

        client.flush(timeout=FLUSH_TIMEOUT)
        opt_outs = self.collector.query(
            "SELECT source_surface FROM consent_records WHERE user_id = ? AND purpose = 3 AND decision = 2",
            (USER,),
        )
        self.assertEqual(opt_outs, [("settings",)])

    def test_invalid_consent_raises_invalid_argument(self) -> None:
        client = self.make_client()
        with self.assertRaises(cairn.InvalidArgument):
            client.set_consent(ACCOUNT, USER, cairn.Purpose.MILESTONES, policy_version="")
        with self.assertRaises(cairn.InvalidArgument):
            client.set_consent(ACCOUNT, None, cairn.Purpose.MILESTONES, policy_version=POLICY)
        self.assertEqual(client.get_consent(USER, cairn.Purpose.MILESTONES), cairn.Decision.UNKNOWN)

    def test_a_nul_inside_a_string_is_refused_before_the_library(self) -> None:
        client = self.make_client()
        grant_all(client, ACCOUNT, USER)
        client.record_login(ACCOUNT, USER)
        with self.assertRaises(cairn.InvalidArgument):
            client.record_milestone("invoice\0sent")
        with self.assertRaises(TypeError):
            client.record_milestone(42)
        self.assertEqual(client.stats().recorded, 1)

    def test_feedback_needs_its_own_consent_and_reaches_the_collector(self) -> None:
        client = self.make_client()
        grant_all(client, ACCOUNT, USER)
        client.record_login(ACCOUNT, USER)
        with self.assertRaises(cairn.PermissionDenied):
            client.record_feedback(cairn.FeedbackKind.NPS, 9)
        client.set_consent(ACCOUNT, USER, cairn.Purpose.FEEDBACK, policy_version=POLICY)
        self.assertEqual(client.get_consent(USER, cairn.Purpose.FEEDBACK), cairn.Decision.GRANTED)
        client.record_feedback(cairn.FeedbackKind.NPS, 9, "caf\u00e9 works", "q4")
        client.record_feedback(cairn.FeedbackKind.CSAT, 2)
        client.flush(timeout=FLUSH_TIMEOUT)
        self.assertEqual(self.stored_kinds(USER), ["login", "feedback", "feedback"])
        rows = self.collector.query(
            "SELECT kind, score FROM user_feedback_day WHERE user_id = ? ORDER BY kind", (USER,)
        )
        self.assertEqual(rows, [(1, 9), (2, 2)])

    def test_feedback_out_of_bounds_raises_and_records_nothing(self) -> None:
        client = self.make_client()
        grant_all(client, ACCOUNT, USER)
        client.set_consent(ACCOUNT, USER, cairn.Purpose.FEEDBACK, policy_version=POLICY)
        client.record_login(ACCOUNT, USER)
        for kind, score in (
            (cairn.FeedbackKind.NPS, -1),
            (cairn.FeedbackKind.NPS, 11),
            (cairn.FeedbackKind.CSAT, 0),
            (cairn.FeedbackKind.CSAT, 6),
            # Past a C int: refused here rather than wrapped into a valid score.
            (cairn.FeedbackKind.NPS, 2**32 + 9),
            (3, 5),
        ):
            with self.assertRaises(cairn.InvalidArgument, msg=f"{kind} {score}"):
                client.record_feedback(kind, score)
        with self.assertRaises(cairn.InvalidArgument):
            client.record_feedback(cairn.FeedbackKind.NPS, 9, "x" * 501)
        with self.assertRaises(TypeError):
            client.record_feedback(cairn.FeedbackKind.NPS, 9.5)
        self.assertEqual(client.stats().recorded, 1)


if __name__ == "__main__":
    unittest.main()
