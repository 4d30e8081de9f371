'use strict';
// Consent first, a milestone, withdrawal and the user's local data, checked
// against what the real collector stored (its admin export).
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { test } = require('node:test');
const { Client, CairnError, Purpose } = require('..');
const {
  tempDir, startCollector, startServer, exportUser, eventsByKind, clientOptions, offlineClient,
  grant,
} = require('./support');

test('nothing is recorded or stored before consent; after it the collector has the events',
  async (t) => {
    const dir = tempDir(t);
    const collector = await startCollector(t, dir, ['--attribute-allowlist=plan']);
    const options = clientOptions(collector.url, dir, { attributeAllowlist: ['plan'] });
    const client = new Client(options);
    t.after(() => client.shutdown());

    assert.throws(() => client.recordLogin('acme', 'alice', 'sso'),
      (e) => e instanceof CairnError && e.code === 'PERMISSION_DENIED');
    assert.equal(client.getConsent('alice', Purpose.USAGE_ANALYTICS), 'unknown');
    const files = fs.existsSync(options.storageDir) ? fs.readdirSync(options.storageDir) : [];
    assert.deepEqual(files, [], 'no buffer file before consent');

    grant(client, 'alice', Purpose.USAGE_ANALYTICS);
    grant(client, 'alice', Purpose.MILESTONES);
    assert.equal(client.getConsent('alice', Purpose.MILESTONES), 'granted');
    client.recordLogin('acme', 'alice', 'sso');
    client.recordMilestone('invoice_sent', 3, { plan: 'pro', customer: 'dropped' });
    client.recordMilestone('report_viewed');
    await client.flush();

    const stored = await exportUser(collector, client.wireUserId('alice'));
    const kinds = eventsByKind(stored);
    assert.equal(kinds.login.length, 1);
    assert.equal(kinds.login[0].account_id, 'acme');
    assert.equal(kinds.login[0].login.method, 'sso');
    const milestones = Object.fromEntries(kinds.milestone.map((e) => [e.milestone.name, e]));
    assert.equal(milestones.invoice_sent.milestone.value, 3);
    assert.deepEqual(milestones.invoice_sent.attributes, { plan: 'pro' });
    assert.equal(milestones.report_viewed.milestone.value, undefined);
    const decisions = stored.consent_records.map((r) => [r.purpose, r.decision]).sort();
    assert.deepEqual(decisions, [['milestones', 'granted'], ['usage_analytics', 'granted']]);
    assert.equal(stored.consent_records[0].policy_version, '2026-11');
    assert.equal(stored.consent_records[0].source_surface, 'onboarding');
  });

test('consentChoices lists every purpose with its decision and date', async (t) => {
  const dir = tempDir(t);
  const client = offlineClient(t, dir);
  const before = Date.now();
  grant(client, 'bob', Purpose.MILESTONES);
  client.setRenewalNotifications({
    accountId: 'acme', userId: 'bob', allowed: false, policyVersion: '2026-11',
  });
  const choices = Object.fromEntries(client.consentChoices('bob').map((c) => [c.purpose, c]));
  assert.deepEqual(Object.keys(choices).sort(), Object.values(Purpose).sort());
  assert.equal(choices.milestones.decision, 'granted');
  assert.equal(choices.milestones.policyVersion, '2026-11');
  assert.ok(choices.milestones.decidedAt instanceof Date);
  assert.ok(choices.milestones.decidedAt.getTime() >= before - 1000);
  assert.equal(choices.milestones.expiresAt, null);
  assert.equal(choices.renewal_notifications.decision, 'denied');
  assert.equal(choices.usage_analytics.decision, 'unknown');
  assert.equal(choices.usage_analytics.decidedAt, null);
});

test('a withdrawal deletes the unsent events of the purpose; the collector never gets them',
  async (t) => {
    const dir = tempDir(t);
    // First a collector that refuses with 503: the milestones stay on the device.
    let refused = 0;
    const down = await startServer(t, (req, res) => {
      refused += 1;
      req.resume();
      res.writeHead(503, { 'Retry-After': '1' }).end();
    });
    const offline = new Client(clientOptions(down.url, dir));
    grant(offline, 'carol', Purpose.USAGE_ANALYTICS);
    grant(offline, 'carol', Purpose.MILESTONES);
    offline.recordLogin('acme', 'carol');
    offline.recordMilestone('project_created', 1);
    offline.recordMilestone('project_created', 2);
    await assert.rejects(offline.flush(3000), (e) => e instanceof CairnError &&
      ['UNAVAILABLE', 'DEADLINE_EXCEEDED'].includes(e.code));
    assert.ok(refused > 0);
    const heldBefore = offline.exportLocalData('carol');
    assert.equal(JSON.stringify(heldBefore).split('project_created').length - 1, 2);

    offline.setConsent({
      accountId: 'acme', userId: 'carol', purpose: Purpose.MILESTONES, granted: false,
      policyVersion: '2026-11',
    });
    assert.equal(offline.getConsent('carol', Purpose.MILESTONES), 'denied');
    assert.throws(() => offline.recordMilestone('project_created'),
      (e) => e.code === 'PERMISSION_DENIED');
    assert.ok(!JSON.stringify(offline.exportLocalData('carol')).includes('project_created'));
    assert.equal(offline.stats().dropped.consentWithdrawn, 2);
    await offline.shutdown(0).catch(() => {});

    // Then the real collector, from the same device storage.
    const collector = await startCollector(t, dir);
    const online = new Client(clientOptions(collector.url, dir));
    t.after(() => online.shutdown());
    await online.flush();
    const stored = await exportUser(collector, online.wireUserId('carol'));
    const kinds = eventsByKind(stored);
    assert.equal(kinds.login.length, 1);
    assert.equal(kinds.milestone, undefined);
    const milestoneDecisions = stored.consent_records
      .filter((r) => r.purpose === 'milestones').map((r) => r.decision);
    assert.deepEqual(milestoneDecisions, ['granted', 'denied']);
  });

test('exportLocalData returns what the device holds and eraseLocalData deletes it', async (t) => {
  const dir = tempDir(t);
  const client = offlineClient(t, dir);
  grant(client, 'dave', Purpose.MILESTONES);
  grant(client, 'dave', Purpose.USAGE_ANALYTICS);
  client.recordLogin('acme', 'dave');
  client.recordMilestone('dashboard_shared', 1);
  // Durable on the device before reading it back: flush reaches the buffer
  // first and then fails on the closed port.
  await client.flush(2000).catch(() => {});
  const held = client.exportLocalData('dave');
  assert.equal(typeof held, 'object');
  assert.ok(JSON.stringify(held).includes('dashboard_shared'));
  client.eraseLocalData('dave');
  assert.ok(!JSON.stringify(client.exportLocalData('dave')).includes('dashboard_shared'));
  assert.ok(client.stats().erased >= 2);
  assert.ok(fs.existsSync(path.join(dir, 'device')));
});

test('wireUserId is the HMAC of the id when pseudonymising', (t) => {
  const dir = tempDir(t);
  const plain = offlineClient(t, dir);
  assert.equal(plain.wireUserId('erin'), 'erin');
  const keyed = offlineClient(t, path.join(dir, 'k'),
    { userIdHmacKey: Buffer.from('0123456789abcdef0123456789abcdef') });
  const wire = keyed.wireUserId('erin');
  assert.notEqual(wire, 'erin');
  assert.equal(keyed.wireUserId('erin'), wire);
});
