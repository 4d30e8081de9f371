// Types of the Cairn Node.js bindings (index.js over libcairn.so).

/** A status name of the C API (abseil's codes). */
export type StatusCode =
  | 'CANCELLED' | 'UNKNOWN' | 'INVALID_ARGUMENT' | 'DEADLINE_EXCEEDED' | 'NOT_FOUND'
  | 'ALREADY_EXISTS' | 'PERMISSION_DENIED' | 'RESOURCE_EXHAUSTED' | 'FAILED_PRECONDITION'
  | 'ABORTED' | 'OUT_OF_RANGE' | 'UNIMPLEMENTED' | 'INTERNAL' | 'UNAVAILABLE' | 'DATA_LOSS'
  | 'UNAUTHENTICATED';

/** Every failure of the SDK; the message never holds personal data. */
export class CairnError extends Error {
  constructor(message: string, code: StatusCode);
  readonly name: 'CairnError';
  readonly code: StatusCode;
}

export type Purpose = 'usage_analytics' | 'milestones' | 'renewal_notifications' | 'feedback';
export const Purpose: {
  readonly USAGE_ANALYTICS: 'usage_analytics';
  readonly MILESTONES: 'milestones';
  readonly RENEWAL_NOTIFICATIONS: 'renewal_notifications';
  readonly FEEDBACK: 'feedback';
};
export type FeedbackKind = 'nps' | 'csat';
export const FeedbackKind: {
  readonly NPS: 'nps';
  readonly CSAT: 'csat';
};
export type Decision = 'granted' | 'denied' | 'unknown';

/** The version of libcairn.so loaded, e.g. "0.1.0". */
export const version: string;

/** A failed delivery attempt, passed to onDeliveryStatus on the JS thread. */
export interface DeliveryStatus {
  code: StatusCode; // UNAVAILABLE (network), PERMISSION_DENIED (key refused), ...
  message: string;
  httpStatus: number; // 0 when no response came back
  bufferedRows: number;
  nextAttemptInMs: number;
}

/**
 * Options of a client: cairn::Options in camelCase (docs/sdk.md has the
 * defaults and bounds). Durations are milliseconds; byte and row bounds of 0
 * mean unbounded where the C++ option says so.
 */
export interface ClientOptions {
  collectorUrl: string;
  writeKey: string;
  storageDir: string;
  app?: { name: string; version: string };
  queueCapacity?: number;
  queueFullPolicy?: 'block' | 'dropNewest';
  enqueueTimeoutMs?: number;
  durableRecords?: boolean;
  durableTimeoutMs?: number;
  commitMaxEvents?: number;
  commitIntervalMs?: number;
  maxBufferRows?: number;
  maxBufferBytes?: number;
  maxBufferFileBytes?: number;
  eventTtlMs?: number;
  maxBatchEvents?: number;
  maxBatchBytes?: number;
  uploadIntervalMs?: number;
  connectTimeoutMs?: number;
  requestTimeoutMs?: number;
  minBackoffMs?: number;
  maxBackoffMs?: number;
  jitterSeed?: number;
  networkRetryFloorMs?: number;
  compression?: 'zstd' | 'gzip' | 'none';
  /** How long the finalizer may block when the app never called shutdown(). */
  shutdownTimeoutMs?: number;
  allowInsecureHttp?: boolean;
  caBundlePath?: string;
  /** Pseudonymisation key; user ids are sent as their HMAC. */
  userIdHmacKey?: string | Uint8Array;
  /** Attribute keys kept; every other attribute is dropped. */
  attributeAllowlist?: string[];
  renewalDefault?: 'notAsked' | 'softOptIn';
  renewalPolicyId?: string;
  renewalPolicyVersion?: string;
  /**
   * Called on the JS thread after each failed delivery attempt. It does not
   * keep the process alive, and is released by shutdown().
   */
  onDeliveryStatus?: (status: DeliveryStatus) => void;
}

export interface ConsentRequest {
  accountId: string;
  userId: string;
  purpose: Purpose;
  granted: boolean; // false withdraws, deleting the user's unsent events of the purpose
  policyVersion: string; // the text the user saw
  policyId?: string;
  sourceSurface?: string;
  expiresAt?: Date | number;
  grantSignature?: string;
  signedAt?: Date | number;
}

export interface RenewalNotificationsRequest {
  accountId: string;
  userId: string;
  allowed: boolean; // false is the user's opt-out
  policyVersion: string;
  sourceSurface?: string;
}

export interface ConsentChoice {
  purpose: Purpose;
  decision: Decision;
  policyVersion: string; // "" when never asked
  decidedAt: Date | null;
  expiresAt: Date | null;
}

export interface Stats {
  recorded: number;
  refusedNoConsent: number;
  refusedInvalid: number;
  refusedNoSession: number;
  refusedShutDown: number;
  refusedStorage: number;
  durableTimeouts: number;
  persisted: number;
  sent: number;
  acknowledged: number;
  duplicates: number;
  retries: number;
  batchesAcknowledged: number;
  consentChangesPending: number;
  erased: number;
  bufferedRows: number;
  bufferedBytes: number;
  dropped: {
    queueFull: number; bufferBytes: number; bufferRows: number; expired: number;
    rejected: number; corruptBuffer: number; diskFull: number; consentWithdrawn: number;
    attributeFiltered: number;
  };
  lastError: string;
}

/**
 * One SDK client. Every method throws CairnError on failure (flush and
 * shutdown reject with it). If the app drops a client without shutdown(),
 * its finalizer shuts it down, blocking for at most shutdownTimeoutMs.
 */
export class Client {
  constructor(options: ClientOptions);
  /** Persists the decision before returning (one SQLite commit). */
  setConsent(request: ConsentRequest): void;
  setRenewalNotifications(request: RenewalNotificationsRequest): void;
  /** Cheap: a hash lookup. */
  getConsent(userId: string, purpose: Purpose): Decision;
  consentChoices(userId: string): ConsentChoice[];
  /** PERMISSION_DENIED without usage_analytics consent. */
  recordLogin(accountId: string, userId: string, method?: string): void;
  recordLogout(): void;
  recordSessionEnd(): void;
  /** About a microsecond; PERMISSION_DENIED without milestones consent. */
  recordMilestone(name: string, value?: number | null, attributes?: Record<string, string>): void;
  /**
   * An in-app survey answer: NPS 0-10 or CSAT 1-5, an optional comment (at most
   * 500 bytes of UTF-8; personal data) and survey id. INVALID_ARGUMENT out of
   * bounds (nothing recorded); PERMISSION_DENIED without feedback consent.
   */
  recordFeedback(
    kind: FeedbackKind,
    score: number,
    comment?: string | null,
    surveyId?: string | null,
  ): void;
  /** Resolves once everything recorded before is acknowledged (default 5000 ms). */
  flush(timeoutMs?: number): Promise<void>;
  /** Stops recording, delivers until timeoutMs (default 2000), stops the threads. */
  shutdown(timeoutMs?: number): Promise<void>;
  /** Connectivity came back: retry now (rate-limited). */
  onNetworkAvailable(): void;
  stats(): Stats;
  /** Everything the device holds about the user (events and consent records). */
  exportLocalData(userId: string): Record<string, unknown>;
  /** Deletes the user's unsent events on the device; consent records stay. */
  eraseLocalData(userId: string): void;
  /** The id the collector stores (the HMAC when pseudonymising). */
  wireUserId(userId: string): string;
}
