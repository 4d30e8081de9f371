'use strict';
// Cairn telemetry for Node.js and Electron: a thin class over the N-API addon
// (src/), which calls libcairn.so. Record calls are synchronous (about a
// microsecond: serialise and queue); flush() and shutdown() return Promises
// and run on a libuv worker thread, so the event loop never waits for the
// network or the disk.
const path = require('node:path');

/** Every failure of the SDK: `code` is the status name, e.g. "PERMISSION_DENIED". */
class CairnError extends Error {
  constructor(message, code) {
    super(message);
    this.name = 'CairnError';
    this.code = code;
  }
}

// CAIRN_NODE_ADDON points at an addon built elsewhere (the ctest builds it
// into the CMake build directory, not the source tree).
const native = require(
  process.env.CAIRN_NODE_ADDON || path.join(__dirname, 'build', 'Release', 'cairn_node.node'),
);
native.setErrorClass(CairnError);

const loaded = native.version();
if (loaded.abi !== loaded.headerAbi) {
  throw new CairnError(
    `libcairn.so has ABI ${loaded.abi}, the addon was built for ${loaded.headerAbi}`,
    'FAILED_PRECONDITION',
  );
}

/** The purposes a user consents to, by their wire names. */
const Purpose = Object.freeze({
  USAGE_ANALYTICS: 'usage_analytics',
  MILESTONES: 'milestones',
  RENEWAL_NOTIFICATIONS: 'renewal_notifications',
  FEEDBACK: 'feedback',
});

/** The kinds of an in-app survey answer (Client.recordFeedback). */
const FeedbackKind = Object.freeze({
  NPS: 'nps',
  CSAT: 'csat',
});

const DEFAULT_FLUSH_TIMEOUT_MS = 5000;
const DEFAULT_SHUTDOWN_TIMEOUT_MS = 2000;

// A Promise-returning method never throws: its misuse rejects instead.
function settle(start) {
  try {
    return start();
  } catch (error) {
    return Promise.reject(error);
  }
}

class Client {
  #handle;

  /**
   * Starts a client (see index.d.ts for the options). Creates no file until a
   * purpose is granted. Throws CairnError: INVALID_ARGUMENT for bad options,
   * FAILED_PRECONDITION when another client holds storageDir.
   */
  constructor(options) {
    if (options === null || typeof options !== 'object') {
      throw new CairnError('options must be an object', 'INVALID_ARGUMENT');
    }
    this.#handle = native.createClient(options, options.onDeliveryStatus);
  }

  setConsent(request) {
    native.setConsent(this.#handle, request);
  }

  setRenewalNotifications(request) {
    native.setRenewalNotifications(this.#handle, request);
  }

  getConsent(userId, purpose) {
    return native.getConsent(this.#handle, userId, purpose);
  }

  consentChoices(userId) {
    return native.consentChoices(this.#handle, userId);
  }

  recordLogin(accountId, userId, method) {
    native.recordLogin(this.#handle, accountId, userId, method);
  }

  recordLogout() {
    native.recordLogout(this.#handle);
  }

  recordSessionEnd() {
    native.recordSessionEnd(this.#handle);
  }

  recordMilestone(name, value, attributes) {
    native.recordMilestone(this.#handle, name, value, attributes);
  }

  recordFeedback(kind, score, comment, surveyId) {
    native.recordFeedback(this.#handle, kind, score, comment, surveyId);
  }

  flush(timeoutMs = DEFAULT_FLUSH_TIMEOUT_MS) {
    return settle(() => native.flush(this.#handle, timeoutMs));
  }

  shutdown(timeoutMs = DEFAULT_SHUTDOWN_TIMEOUT_MS) {
    return settle(() => native.shutdown(this.#handle, timeoutMs));
  }

  onNetworkAvailable() {
    native.onNetworkAvailable(this.#handle);
  }

  stats() {
    return native.stats(this.#handle);
  }

  exportLocalData(userId) {
    return JSON.parse(native.exportLocalData(this.#handle, userId));
  }

  eraseLocalData(userId) {
    native.eraseLocalData(this.#handle, userId);
  }

  wireUserId(userId) {
    return native.wireUserId(this.#handle, userId);
  }
}

module.exports = { Client, CairnError, Purpose, FeedbackKind, version: loaded.version };
