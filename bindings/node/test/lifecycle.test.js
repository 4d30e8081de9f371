'use strict';
// flush/shutdown promises, the delivery-status callback, misuse after
// shutdown, and a process that ends by itself (with or without shutdown()).
const assert = require('node:assert/strict');
const { spawn } = require('node:child_process');
const path = require('node:path');
const { test } = require('node:test');
const { Client, CairnError, Purpose } = require('..');
const {
  tempDir, startCollector, startServer, exportUser, eventsByKind, clientOptions, signIn, waitFor,
} = require('./support');

test('flush and shutdown return promises that resolve once delivered', async (t) => {
  const dir = tempDir(t);
  const collector = await startCollector(t, dir);
  const client = new Client(clientOptions(collector.url, dir));
  signIn(client, 'alice');
  client.recordMilestone('invoice_sent', 1);
  const flushed = client.flush();
  assert.ok(flushed instanceof Promise);
  assert.equal(await flushed, undefined);
  // The two consent records, the login and the milestone.
  assert.equal(client.stats().acknowledged, 4);
  client.recordMilestone('invoice_sent', 2);
  const shut = client.shutdown();
  assert.ok(shut instanceof Promise);
  await shut;
  await client.shutdown(); // later calls give the first call's result
  const kinds = eventsByKind(await exportUser(collector, 'alice'));
  assert.deepEqual(kinds.milestone.map((e) => e.milestone.value).sort(), [1, 2]);
});

test('the event loop keeps turning while a flush waits for the network', async (t) => {
  const dir = tempDir(t);
  const requests = [];
  // Takes each request and never answers it, until the test ends.
  const hanging = await startServer(t, (req) => requests.push(req));
  const client = new Client(clientOptions(hanging.url, dir, { requestTimeoutMs: 60000 }));
  t.after(() => client.shutdown(0).catch(() => {}));
  signIn(client, 'bob');
  client.recordMilestone('invoice_sent');
  let settled = false;
  const flushed = client.flush(1500).finally(() => { settled = true; });
  // The server (run by this same event loop) sees the request while the
  // flush is pending: the flush does not hold the JS thread.
  await waitFor((done) => {
    const poll = () => (requests.length > 0 ? done() : setImmediate(poll));
    poll();
  });
  assert.equal(settled, false);
  await assert.rejects(flushed, (e) => e instanceof CairnError && e.code === 'DEADLINE_EXCEEDED');
});

test('a refused write key: flush rejects and onDeliveryStatus is called on the JS thread',
  async (t) => {
    const dir = tempDir(t);
    const collector = await startCollector(t, dir);
    const statuses = [];
    let notify = () => {};
    const client = new Client(clientOptions(collector.url, dir, {
      writeKey: 'not-the-collector-key',
      onDeliveryStatus: (status) => {
        statuses.push(status);
        notify();
      },
    }));
    t.after(() => client.shutdown(0).catch(() => {}));
    signIn(client, 'carol');
    client.recordMilestone('invoice_sent');
    const failure = await client.flush().then(() => null, (e) => e);
    assert.ok(failure instanceof CairnError);
    assert.equal(failure.code, 'PERMISSION_DENIED');
    if (statuses.length === 0) await waitFor((done) => { notify = done; });
    assert.equal(statuses[0].code, 'PERMISSION_DENIED');
    assert.ok([401, 403].includes(statuses[0].httpStatus), `http ${statuses[0].httpStatus}`);
    // The first report may come before the milestone reached the buffer;
    // once flush has answered, the refused events are durable and stay.
    assert.equal(typeof statuses[0].bufferedRows, 'number');
    assert.ok(client.stats().bufferedRows >= 1, 'the refused events stay on the device');
    assert.equal(typeof statuses[0].message, 'string');
    assert.match(client.stats().lastError, /./);
  });

test('every call after shutdown is refused with FAILED_PRECONDITION', async (t) => {
  const dir = tempDir(t);
  const collector = await startCollector(t, dir);
  const client = new Client(clientOptions(collector.url, dir));
  signIn(client, 'dave');
  await client.shutdown();
  const refused = (e) => e instanceof CairnError && e.code === 'FAILED_PRECONDITION';
  assert.throws(() => client.recordMilestone('invoice_sent'), refused);
  assert.throws(() => client.recordLogin('acme', 'dave'), refused);
  assert.throws(() => client.recordLogout(), refused);
  assert.equal(client.stats().refusedShutDown, 3);
  // Reading what was decided still works; the client stays usable for that.
  assert.equal(client.getConsent('dave', Purpose.MILESTONES), 'granted');
});

// Runs `script` in a new node process with the bindings; resolves with its
// exit code and output once it ends by itself (a watchdog kills it after 30 s).
function runNode(t, script, env) {
  const child = spawn(process.execPath, ['--expose-gc', '-e', script], {
    env: { ...process.env, ...env, CAIRN_BINDINGS: path.join(__dirname, '..') },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let output = '';
  child.stdout.on('data', (chunk) => { output += chunk; });
  const watchdog = setTimeout(() => child.kill('SIGKILL'), 30000);
  t.after(() => clearTimeout(watchdog));
  return new Promise((resolve) => child.on('exit', (code, signal) => {
    clearTimeout(watchdog);
    resolve({ code, signal, output });
  }));
}

const APP_SCRIPT = `
  const { Client } = require(process.env.CAIRN_BINDINGS);
  const client = new Client({
    collectorUrl: process.env.URL, writeKey: process.env.KEY, storageDir: process.env.DIR,
    app: { name: 'exit-test', version: '1' }, shutdownTimeoutMs: 5000,
    onDeliveryStatus: () => {},
  });
  for (const purpose of ['usage_analytics', 'milestones']) {
    client.setConsent({ accountId: 'acme', userId: 'erin', purpose, granted: true,
                        policyVersion: '2026-11' });
  }
  client.recordLogin('acme', 'erin');
  client.recordMilestone(process.env.MILESTONE);
`;

test('the process ends by itself after shutdown()', async (t) => {
  const dir = tempDir(t);
  const collector = await startCollector(t, dir);
  const result = await runNode(t, `${APP_SCRIPT}
    client.shutdown().then(() => console.log('shut down'));`, {
    URL: collector.url, KEY: 'node-test-write-key', DIR: path.join(dir, 'device'),
    MILESTONE: 'after_shutdown',
  });
  assert.deepEqual([result.code, result.signal, result.output.trim()], [0, null, 'shut down']);
  const kinds = eventsByKind(await exportUser(collector, 'erin'));
  assert.deepEqual(kinds.milestone.map((e) => e.milestone.name), ['after_shutdown']);
});

test('a client the app never shut down is shut down when the process ends', async (t) => {
  const dir = tempDir(t);
  const collector = await startCollector(t, dir);
  const result = await runNode(t, `${APP_SCRIPT} console.log('recorded');`, {
    URL: collector.url, KEY: 'node-test-write-key', DIR: path.join(dir, 'device'),
    MILESTONE: 'forgotten',
  });
  assert.deepEqual([result.code, result.signal, result.output.trim()], [0, null, 'recorded']);
  // The exit shut the client down within shutdownTimeoutMs, delivering.
  const kinds = eventsByKind(await exportUser(collector, 'erin'));
  assert.deepEqual(kinds.milestone.map((e) => e.milestone.name), ['forgotten']);
});

test('a dropped client is destroyed by its finalizer, freeing its storage', async (t) => {
  const dir = tempDir(t);
  const result = await runNode(t, `
    const { Client } = require(process.env.CAIRN_BINDINGS);
    const options = { collectorUrl: 'http://127.0.0.1:9', writeKey: 'node-test-write-key',
                      storageDir: process.env.DIR, shutdownTimeoutMs: 100 };
    (() => {
      const c = new Client(options);
      c.setConsent({ accountId: 'acme', userId: 'erin', purpose: 'milestones',
                     granted: true, policyVersion: '2026-11' });
    })();
    let held;
    try { new Client(options); } catch (e) { held = e.code; }
    // Finalizers run after a collection, on a later turn of the loop.
    (async () => {
      for (let turn = 0; turn < 200; ++turn) {
        global.gc();
        await new Promise(setImmediate);
        try {
          const again = new Client(options);
          console.log(held, again.getConsent('erin', 'milestones'));
          await again.shutdown(0).catch(() => {});
          return;
        } catch (e) {}
      }
      console.log(held, 'never freed');
    })();`, { DIR: path.join(dir, 'device') });
  assert.deepEqual([result.code, result.output.trim()], [0, 'FAILED_PRECONDITION granted']);
});
