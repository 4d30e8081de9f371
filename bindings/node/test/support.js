'use strict';
// Test fixtures: the real cairn-collector on a free loopback port, its admin
// API, throwaway directories, and a loopback HTTP server the test scripts.
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const http = require('node:http');
const os = require('node:os');
const path = require('node:path');
const readline = require('node:readline');

const WRITE_KEY = 'node-test-write-key';
const ADMIN_TOKEN = 'node-test-admin-token';
const LISTENING = 'cairn-collector listening on ';
// The discard port, closed on loopback: every delivery attempt fails at once.
const OFFLINE_URL = 'http://127.0.0.1:9';

function tempDir(t) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cairn-node-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

// Starts CAIRN_COLLECTOR with an SQLite store in `dir`; resolves once it
// announced its port. Stopped (SIGTERM, awaited) when the test ends.
async function startCollector(t, dir, extraFlags = []) {
  const binary = process.env.CAIRN_COLLECTOR;
  if (!binary) throw new Error('CAIRN_COLLECTOR is not set');
  const child = spawn(binary, [
    '--listen=127.0.0.1:0',
    `--db=${path.join(dir, 'collector.db')}`,
    `--write-key=${WRITE_KEY}`,
    `--admin-token=${ADMIN_TOKEN}`,
    ...extraFlags,
  ], { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  t.after(async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
  });
  const lines = readline.createInterface({ input: child.stdout });
  const first = await new Promise((resolve, reject) => {
    lines.once('line', resolve);
    child.once('exit', () => reject(new Error('collector exited before listening')));
  });
  lines.close();
  child.stdout.resume();
  if (!first.startsWith(LISTENING)) throw new Error(`unexpected first line: ${first}`);
  const port = Number(first.slice(first.lastIndexOf(':') + 1));
  return { url: `http://127.0.0.1:${port}`, exited };
}

// GET /v1/users/{id}/export: everything the collector stored about the user.
async function exportUser(collector, wireUserId) {
  const response = await fetch(`${collector.url}/v1/users/${encodeURIComponent(wireUserId)}/export`,
    { headers: { Authorization: `Bearer ${ADMIN_TOKEN}` } });
  if (response.status !== 200) throw new Error(`export answered ${response.status}`);
  return response.json();
}

// The stored events of the user other than consent changes, by kind.
function eventsByKind(exported) {
  const kinds = {};
  for (const { event } of exported.events) {
    const kind = ['login', 'logout', 'session_end', 'milestone'].find((k) => k in event);
    if (kind) (kinds[kind] ||= []).push(event);
  }
  return kinds;
}

// A loopback server answering every request with handler(req, res); closed
// (connections too) when the test ends.
async function startServer(t, handler) {
  const server = http.createServer(handler);
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise((resolve) => {
    server.closeAllConnections();
    server.close(resolve);
  }));
  return { url: `http://127.0.0.1:${server.address().port}`, server };
}

// Options of a client of `url` storing in `dir`; short intervals so tests
// never wait on a linger.
function clientOptions(url, dir, extra = {}) {
  return {
    collectorUrl: url,
    writeKey: WRITE_KEY,
    storageDir: path.join(dir, 'device'),
    app: { name: 'node-test', version: '1.0.0' },
    uploadIntervalMs: 10,
    commitIntervalMs: 1,
    minBackoffMs: 50,
    maxBackoffMs: 200,
    networkRetryFloorMs: 10,
    shutdownTimeoutMs: 2000,
    ...extra,
  };
}

// A client of a closed loopback port (nothing is ever delivered), shut down
// when the test ends.
function offlineClient(t, dir, extra = {}) {
  const { Client } = require('..');
  const client = new Client(clientOptions(OFFLINE_URL, dir, extra));
  t.after(() => client.shutdown(0).catch(() => {}));
  return client;
}

function grant(client, userId, purpose, extra = {}) {
  client.setConsent({
    accountId: 'acme', userId, purpose, granted: true, policyVersion: '2026-11',
    sourceSurface: 'onboarding', ...extra,
  });
}

// Grants both recording purposes and signs the user in: milestones need a
// session.
function signIn(client, userId) {
  grant(client, userId, 'usage_analytics');
  grant(client, userId, 'milestones');
  client.recordLogin('acme', userId);
}

// Resolves with the first value `register` hands to its callback; a ref'd
// watchdog keeps the process alive meanwhile (callbacks of the SDK do not)
// and fails the wait after `ms`.
function waitFor(register, ms = 20000) {
  return new Promise((resolve, reject) => {
    const watchdog = setTimeout(() => reject(new Error('timed out waiting')), ms);
    register((value) => {
      clearTimeout(watchdog);
      resolve(value);
    });
  });
}

module.exports = {
  WRITE_KEY, ADMIN_TOKEN, OFFLINE_URL, tempDir, startCollector, exportUser, eventsByKind, startServer,
  clientOptions, offlineClient, grant, signIn, waitFor,
};
