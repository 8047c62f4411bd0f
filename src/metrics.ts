/**
 * Prometheus metrics (prom-client), one registry per running registry (no global default
 * registry, so tests can run several registries in one process). docs/metrics.md lists every
 * family. The hot paths (requests, Redis commands) observe through series created once per label
 * set and then reused: an observation is a few map lookups and a bucket increment, no allocation.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { FastHistogram, type HistogramTotals } from './metrics-histogram.js';

/** Request latency buckets in seconds: the AMQP hot path answers in well under a millisecond. */
const REQUEST_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];
const REDIS_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1];
const BCRYPT_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

/** What the AMQP server reports at scrape time (gauges are read, never kept up to date by hand). */
export interface AmqpGaugeSource {
  readonly connections: number;
  readonly requestLinks: number;
  readonly replyLinks: number;
}

/** The notification backlog of the whole store, as the last look found it (notifications/deliverer.ts). */
export interface NotificationBacklog {
  readonly pending: number;
  /** Age in seconds of the oldest undelivered notification; 0 when none. */
  readonly oldestSeconds: number;
}

export interface Metrics {
  /** Notifications a messaging system acknowledged (`kafka`, `amqp`). */
  notificationsSent(transport: string, count: number): void;
  /** Notifications whose delivery attempt failed (they stay pending and are sent again). */
  notificationsFailed(transport: string, count: number): void;
  /** The deliverer registers what the backlog gauges read. */
  notificationGauges(source: () => NotificationBacklog): void;
  /** The Prometheus text exposition and its content type. */
  exposition(): Promise<{ contentType: string; text: string }>;
  /** One HTTP request; `operation` is the route's operationId or `unmatched`. */
  httpRequest(operation: string, method: string, status: number, seconds: number): void;
  /** One answered AMQP request; `operation` must come from the endpoint's own list (or be `unknown`). */
  amqpRequest(endpoint: string, operation: string, status: number, seconds: number): void;
  /** One AMQP request rejected with a delivery outcome instead of an answer. */
  amqpRejected(endpoint: string, condition: string): void;
  /** The AMQP server registers what its gauges read. */
  amqpGauges(source: () => AmqpGaugeSource): void;
  /** One Redis command completed (or failed) after `seconds`. */
  redisCommand(command: string, seconds: number, failed: boolean): void;
  /** bcrypt work: `hash` (pwd-plain secrets) or `compare` (AMQP SASL PLAIN logins). */
  bcrypt(operation: 'hash' | 'compare', seconds: number): void;
  /** The AMQP login cache (a verified user name and password are not bcrypt-checked again for a while). */
  loginCache(hit: boolean): void;
  /** An AMQP SASL PLAIN login refused before any password check (SASL outcome sys-temp). */
  loginRefused(reason: LoginRefusal): void;
  /** Every answered AMQP request (the adapters' lookups) so far, all endpoints and statuses added up. */
  lookupTotals(): HistogramTotals;
}

/** Why a login was refused unchecked: its address has too many logins in progress or failures, or the check queue is full. */
export type LoginRefusal = 'address-busy' | 'address-failures' | 'queue-full';

/** Children of a labelled metric by two or three label values, made on first use. */
class Children<T> {
  private readonly byFirst = new Map<string, Map<string, Map<string, T>>>();

  constructor(private readonly make: (a: string, b: string, c: string) => T) {}

  get(a: string, b: string, c: string): T {
    let second = this.byFirst.get(a);
    if (second === undefined) this.byFirst.set(a, (second = new Map()));
    let third = second.get(b);
    if (third === undefined) second.set(b, (third = new Map()));
    let child = third.get(c);
    if (child === undefined) third.set(c, (child = this.make(a, b, c)));
    return child;
  }
}

/** Status codes as label strings without formatting a number per request. */
const STATUS_TEXT: string[] = Array.from({ length: 600 }, (_, i) => String(i));
const statusLabel = (status: number): string => STATUS_TEXT[status] ?? String(status);

/** Creates the metrics of one registry, with the Node.js process metrics (`process_*`, `nodejs_*`). */
export function createMetrics(): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const registers = [registry];

  const http = new FastHistogram(
    'registry_http_request_duration_seconds',
    'HTTP management API requests by operation (route operationId), method and status; _count is the request count.',
    ['operation', 'method', 'status'],
    REQUEST_BUCKETS,
    registry,
  );
  const amqp = new FastHistogram(
    'registry_amqp_request_duration_seconds',
    'Answered AMQP requests by endpoint, operation (subject) and status; _count is the request count.',
    ['endpoint', 'operation', 'status'],
    REQUEST_BUCKETS,
    registry,
  );
  const rejected = new Counter({
    name: 'registry_amqp_rejected_requests_total',
    help: 'AMQP requests rejected with a delivery outcome (hono:bad-request, amqp:illegal-state …) instead of an answer.',
    labelNames: ['endpoint', 'condition'] as const,
    registers,
  });
  const redis = new FastHistogram(
    'registry_redis_command_duration_seconds',
    'Redis commands by command name, from sending to the reply (or failure).',
    ['command'],
    REDIS_BUCKETS,
    registry,
  );
  const redisErrors = new Counter({
    name: 'registry_redis_command_errors_total',
    help: 'Redis commands that failed: error replies, timeouts, no connection.',
    labelNames: ['command'] as const,
    registers,
  });
  const bcrypt = new Histogram({
    name: 'registry_bcrypt_duration_seconds',
    help: 'bcrypt work on the libuv thread pool: hash (pwd-plain secrets) and compare (AMQP SASL PLAIN logins).',
    labelNames: ['operation'] as const,
    buckets: BCRYPT_BUCKETS,
    registers,
  });
  const loginCache = new Counter({
    name: 'registry_amqp_login_cache_total',
    help: 'AMQP SASL PLAIN logins answered from the login cache (hit) or checked with bcrypt (miss).',
    labelNames: ['result'] as const,
    registers,
  });
  const loginRefused = new Counter({
    name: 'registry_amqp_login_refused_total',
    help: 'AMQP SASL PLAIN logins refused before any password check (SASL outcome sys-temp), by reason.',
    labelNames: ['reason'] as const,
    registers,
  });
  let gauges: (() => AmqpGaugeSource) | undefined;
  new Gauge({
    name: 'registry_amqp_connections',
    help: 'Open, authenticated AMQP connections.',
    registers,
    collect() {
      this.set(gauges?.().connections ?? 0);
    },
  });
  new Gauge({
    name: 'registry_amqp_links',
    help: 'Attached AMQP links by role: request (the clients\' senders) and reply (their receivers).',
    labelNames: ['role'] as const,
    registers,
    collect() {
      const now = gauges?.();
      this.set({ role: 'request' }, now?.requestLinks ?? 0);
      this.set({ role: 'reply' }, now?.replyLinks ?? 0);
    },
  });

  const sent = new Counter({
    name: 'registry_notifications_sent_total',
    help: 'Change notifications the messaging system acknowledged, by transport (kafka, amqp); this instance only.',
    labelNames: ['transport'] as const,
    registers,
  });
  const failed = new Counter({
    name: 'registry_notifications_failed_total',
    help: 'Change notifications whose delivery attempt failed, by transport; they stay pending and are sent again. This instance only.',
    labelNames: ['transport'] as const,
    registers,
  });
  let backlog: (() => NotificationBacklog) | undefined;
  new Gauge({
    name: 'registry_notifications_pending',
    help: 'Change notifications written but not yet acknowledged by the messaging system, in the whole store (as of the last look, every poll interval).',
    registers,
    collect() {
      this.set(backlog?.().pending ?? 0);
    },
  });
  new Gauge({
    name: 'registry_notifications_oldest_pending_age_seconds',
    help: 'Age of the oldest undelivered change notification in the whole store; 0 when none.',
    registers,
    collect() {
      this.set(backlog?.().oldestSeconds ?? 0);
    },
  });

  const httpChildren = new Children((operation, method, status) => http.series(operation, method, status));
  const amqpChildren = new Children((endpoint, operation, status) => amqp.series(endpoint, operation, status));
  const rejectedChildren = new Children((endpoint, condition) => rejected.labels(endpoint, condition));
  const redisChildren = new Children((command) => ({ latency: redis.series(command), errors: redisErrors.labels(command) }));
  const bcryptChildren = { hash: bcrypt.labels('hash'), compare: bcrypt.labels('compare') };
  const cacheChildren = { hit: loginCache.labels('hit'), miss: loginCache.labels('miss') };

  return {
    async exposition() {
      return { contentType: registry.contentType, text: await registry.metrics() };
    },
    httpRequest(operation, method, status, seconds) {
      httpChildren.get(operation, method, statusLabel(status)).observe(seconds);
    },
    amqpRequest(endpoint, operation, status, seconds) {
      amqpChildren.get(endpoint, operation, statusLabel(status)).observe(seconds);
    },
    amqpRejected(endpoint, condition) {
      rejectedChildren.get(endpoint, condition, '').inc();
    },
    amqpGauges(source) {
      gauges = source;
    },
    redisCommand(command, seconds, failed) {
      const child = redisChildren.get(command, '', '');
      child.latency.observe(seconds);
      if (failed) child.errors.inc();
    },
    bcrypt(operation, seconds) {
      bcryptChildren[operation].observe(seconds);
    },
    loginCache(hit) {
      (hit ? cacheChildren.hit : cacheChildren.miss).inc();
    },
    loginRefused(reason) {
      loginRefused.labels(reason).inc();
    },
    lookupTotals: () => amqp.totals(),
    notificationsSent(transport, count) {
      sent.labels(transport).inc(count);
    },
    notificationsFailed(transport, count) {
      failed.labels(transport).inc(count);
    },
    notificationGauges(source) {
      backlog = source;
    },
  };
}
