'use strict';
// Errors are CairnError with the status name as `code`; stats() counts.
const assert = require('node:assert/strict');
const { test } = require('node:test');
const { Client, CairnError, Purpose, version } = require('..');
const {
  OFFLINE_URL, tempDir, startCollector, clientOptions, offlineClient, grant, exportUser,
  eventsByKind,
} = require('./support');

const code = (expected) => (e) => {
  assert.ok(e instanceof CairnError, `${e}`);
  assert.ok(e instanceof Error);
  assert.equal(e.name, 'CairnError');
  assert.equal(e.code, expected);
  assert.equal(typeof e.message, 'string');
  return true;
};

test('the library reports its version', () => {
  assert.match(version, /^\d+\.\d+\.\d+/);
});

test('bad options are INVALID_ARGUMENT', (t) => {
  const dir = tempDir(t);
  const good = clientOptions(OFFLINE_URL, dir);
  assert.throws(() => new Client(), code('INVALID_ARGUMENT'));
  assert.throws(() => new Client({ ...good, writeKey: undefined }), code('INVALID_ARGUMENT'));
  assert.throws(() => new Client({ ...good, collectorUrl: 42 }), code('INVALID_ARGUMENT'));
  assert.throws(() => new Client({ ...good, collectorUrl: 'not a url' }),
    code('INVALID_ARGUMENT'));
  assert.throws(() => new Client({ ...good, compression: 'brotli' }), code('INVALID_ARGUMENT'));
  assert.throws(() => new Client({ ...good, queueCapacity: -1 }), code('INVALID_ARGUMENT'));
  assert.throws(() => new Client({ ...good, onDeliveryStatus: 'yes' }),
    code('INVALID_ARGUMENT'));
  assert.throws(() => new Client({ ...good, storageDir: 'a\0b' }), code('INVALID_ARGUMENT'));
  // The same options, well formed, start a client.
  const client = new Client({ ...good, compression: 'gzip', queueFullPolicy: 'dropNewest' });
  return client.shutdown(0).catch(() => {});
});

test('bad arguments of the calls are INVALID_ARGUMENT and record nothing', async (t) => {
  const dir = tempDir(t);
  const client = offlineClient(t, dir);
  grant(client, 'alice', Purpose.MILESTONES);
  grant(client, 'alice', Purpose.USAGE_ANALYTICS);
  assert.throws(() => client.setConsent({ accountId: 'acme', userId: 'alice',
    purpose: 'marketing', granted: true, policyVersion: '1' }), code('INVALID_ARGUMENT'));
  assert.throws(() => client.setConsent({ accountId: 'acme', userId: 'alice',
    purpose: Purpose.MILESTONES, granted: true }), code('INVALID_ARGUMENT'));
  assert.throws(() => client.getConsent('alice', 'marketing'), code('INVALID_ARGUMENT'));
  client.recordLogin('acme', 'alice');
  assert.throws(() => client.recordMilestone(7), code('INVALID_ARGUMENT'));
  assert.throws(() => client.recordMilestone('x', 'seven'), code('INVALID_ARGUMENT'));
  assert.throws(() => client.recordMilestone('x', Infinity), code('INVALID_ARGUMENT'));
  assert.throws(() => client.recordMilestone('x', 1, { plan: 3 }), code('INVALID_ARGUMENT'));
  assert.throws(() => client.recordMilestone('bad name with spaces'), code('INVALID_ARGUMENT'));
  await assert.rejects(client.flush(-1), code('INVALID_ARGUMENT'));
  const stats = client.stats();
  assert.equal(stats.recorded, 1); // the login only
  assert.equal(stats.refusedInvalid, 1); // the bad name reached the SDK; the rest did not
});

test('a milestone without a session is FAILED_PRECONDITION', (t) => {
  const dir = tempDir(t);
  const client = offlineClient(t, dir);
  grant(client, 'bob', Purpose.MILESTONES);
  grant(client, 'bob', Purpose.USAGE_ANALYTICS);
  client.recordLogin('acme', 'bob');
  client.recordLogout();
  assert.throws(() => client.recordMilestone('invoice_sent'), code('FAILED_PRECONDITION'));
  assert.equal(client.stats().refusedNoSession, 1);
});

test('a second client on the same storage is FAILED_PRECONDITION', (t) => {
  const dir = tempDir(t);
  const options = clientOptions(OFFLINE_URL, dir);
  const first = new Client(options);
  t.after(() => first.shutdown(0).catch(() => {}));
  grant(first, 'carol', Purpose.MILESTONES);
  assert.throws(() => new Client(options), code('FAILED_PRECONDITION'));
});

test('stats count records, refusals and deliveries', async (t) => {
  const dir = tempDir(t);
  const collector = await startCollector(t, dir);
  const client = new Client(clientOptions(collector.url, dir));
  t.after(() => client.shutdown());
  const empty = client.stats();
  assert.equal(empty.recorded, 0);
  assert.equal(empty.lastError, '');
  assert.equal(empty.dropped.queueFull, 0);
  assert.throws(() => client.recordLogin('acme', 'dave'), code('PERMISSION_DENIED'));
  grant(client, 'dave', Purpose.USAGE_ANALYTICS);
  grant(client, 'dave', Purpose.MILESTONES);
  client.recordLogin('acme', 'dave', 'password');
  for (let i = 0; i < 5; ++i) client.recordMilestone('task_done', i);
  client.recordSessionEnd();
  await client.flush();
  const stats = client.stats();
  assert.equal(stats.refusedNoConsent, 1);
  // Every recorded event was persisted and acknowledged; the collector's
  // store has them and the two consent records, nothing more.
  const stored = await exportUser(collector, 'dave');
  const kinds = eventsByKind(stored);
  assert.equal(kinds.login.length, 1);
  assert.equal(kinds.milestone.length, 5);
  const events = Object.values(kinds).flat().length;
  assert.equal(stats.recorded, events);
  assert.equal(stats.persisted, events);
  assert.equal(stats.acknowledged, events + stored.consent_records.length);
  assert.equal(stored.consent_records.length, 2);
  assert.equal(stats.sent, stats.acknowledged);
  assert.equal(stats.bufferedRows, 0);
  assert.ok(stats.batchesAcknowledged >= 1);
  assert.equal(stats.consentChangesPending, 0);
});
