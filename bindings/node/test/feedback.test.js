'use strict';
// In-app feedback through the Node binding: its own consent purpose, bounds
// refused before anything is recorded, and the answer stored by the real
// collector (its admin export).
const assert = require('node:assert/strict');
const { test } = require('node:test');
const { Client, CairnError, Purpose, FeedbackKind } = require('..');
const {
  tempDir, startCollector, exportUser, clientOptions, grant, signIn,
} = require('./support');

const invalid = (e) => e instanceof CairnError && e.code === 'INVALID_ARGUMENT';

test('feedback needs its own consent, is checked, and reaches the collector', async (t) => {
  const dir = tempDir(t);
  const collector = await startCollector(t, dir);
  const client = new Client(clientOptions(collector.url, dir));
  t.after(() => client.shutdown());
  signIn(client, 'alice');

  assert.throws(() => client.recordFeedback(FeedbackKind.NPS, 9),
    (e) => e instanceof CairnError && e.code === 'PERMISSION_DENIED');
  grant(client, 'alice', Purpose.FEEDBACK);
  assert.equal(client.getConsent('alice', Purpose.FEEDBACK), 'granted');

  assert.throws(() => client.recordFeedback(FeedbackKind.NPS, 11), invalid);
  assert.throws(() => client.recordFeedback(FeedbackKind.NPS, -1), invalid);
  assert.throws(() => client.recordFeedback(FeedbackKind.CSAT, 6), invalid);
  assert.throws(() => client.recordFeedback(FeedbackKind.NPS, 8.5), invalid);
  assert.throws(() => client.recordFeedback(FeedbackKind.NPS, 2 ** 32 + 9), invalid);
  assert.throws(() => client.recordFeedback('stars', 5), invalid);
  assert.throws(() => client.recordFeedback(FeedbackKind.NPS, 9, 'x'.repeat(501)), invalid);
  const before = client.stats().recorded;

  client.recordFeedback(FeedbackKind.NPS, 10, 'great support', 'q4');
  client.recordFeedback(FeedbackKind.CSAT, 3);
  assert.equal(client.stats().recorded, before + 2);
  await client.flush();

  const stored = await exportUser(collector, client.wireUserId('alice'));
  const answers = stored.events.map(({ event }) => event).filter((e) => 'feedback' in e);
  assert.equal(answers.length, 2);
  const nps = answers.find((e) => e.feedback.kind === 'FEEDBACK_KIND_NPS');
  assert.equal(nps.purpose, 'PURPOSE_FEEDBACK');
  assert.equal(nps.feedback.score, 10);
  assert.equal(nps.feedback.comment, 'great support');
  assert.equal(nps.feedback.survey_id, 'q4');
  assert.deepEqual(stored.user_feedback_day.map((r) => [r.kind, r.score]),
    [['nps', 10], ['csat', 3]]);
});
