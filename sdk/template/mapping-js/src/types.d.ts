/**
 * The `mapping` world of the ml-connector contract (`wit/types.wit`, `wit/worlds.wit`) as
 * componentize-js presents it to JavaScript: records are objects with the WIT field names in
 * camelCase, `option<T>` is `T | undefined`, a variant is `{ tag, val }`, and an export's
 * `result<T, E>` is `T` returned or `E` thrown.
 */

/** An event as the source connector reported it. */
export interface Event {
  key: string;
  topic: string;
  /** What a person searches by: an order number, a shipment id. */
  reference: string;
  /** RFC 3339, when the source says. */
  occurredAt?: string;
  /** JSON, when the webhook or poll carried the record. */
  payload?: string;
}

/** A record the source connector fetched for the event, e.g. `shopify.order`; `body` is JSON. */
export interface Entity {
  kind: string;
  id: string;
  body: string;
}

/**
 * What the sink connector is to do, e.g. `intacct.create-invoice`; `body` is JSON. The sink runs
 * each `key` at most once.
 */
export interface Command {
  kind: string;
  key: string;
  body: string;
}

export interface PluginInfo {
  name: string;
  version: string;
  description: string;
  /** The source topics this mapping takes. */
  topics: string[];
  /** The command kinds it produces. */
  commands: string[];
}

export interface RateLimit {
  retryAfterMs: bigint;
  message: string;
}

export interface Rejection {
  code?: string;
  message: string;
}

/**
 * Why a call failed: `transient` and `rate-limited` are retried, `rejected` and `auth` fail the
 * event, `needs-review` holds it for a person with the message as the reason.
 */
export type PluginError =
  | { tag: 'transient'; val: string }
  | { tag: 'rate-limited'; val: RateLimit }
  | { tag: 'auth'; val: string }
  | { tag: 'rejected'; val: Rejection }
  | { tag: 'needs-review'; val: string };

/** `ml-connector:host/log@0.1.0`. */
export type Level = 'trace' | 'debug' | 'info' | 'warn' | 'error';
