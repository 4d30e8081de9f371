'use strict';
// ns per recordMilestone call through Node (JS wrapper, N-API, libcairn.so):
// what an Electron app pays on its main thread per event. No collector: the
// events queue and commit on the device; the URL is a closed loopback port.
//   CAIRN_NODE_ADDON=.../cairn_node.node node bench_record.js [calls]
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { Client } = require('.');

const calls = Number(process.argv[2] || 200000);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cairn-node-bench-'));
const client = new Client({
  collectorUrl: 'http://127.0.0.1:9', writeKey: 'bench-write-key', storageDir: dir,
  app: { name: 'bench', version: '1' }, queueCapacity: calls + 1000,
  maxBufferRows: 0, maxBufferBytes: 0, attributeAllowlist: ['plan'],
});
client.setConsent({ accountId: 'acme', userId: 'bench', purpose: 'usage_analytics',
  granted: true, policyVersion: '1' });
client.setConsent({ accountId: 'acme', userId: 'bench', purpose: 'milestones',
  granted: true, policyVersion: '1' });
client.recordLogin('acme', 'bench');

function run(label, record) {
  for (let i = 0; i < 1000; ++i) record(i); // warm-up (JIT)
  const start = process.hrtime.bigint();
  for (let i = 0; i < calls; ++i) record(i);
  const ns = Number(process.hrtime.bigint() - start) / calls;
  console.log(`${label}: ${ns.toFixed(0)} ns/call (${calls} calls)`);
}

// Baseline: a native call that does almost nothing (a hash lookup), so the
// figure of the record call can be told apart from N-API's own cost.
run('getConsent (baseline)', () => client.getConsent('bench', 'milestones'));
run('recordMilestone(name)', () => client.recordMilestone('task_done'));
run('recordMilestone(name, value, {plan})',
  (i) => client.recordMilestone('task_done', i, { plan: 'pro' }));

client.shutdown(0).catch(() => {}).finally(() => fs.rmSync(dir, { recursive: true, force: true }));
