// @ts-check
/**
 * `{{name}}`, an ml-connector mapping plugin in JavaScript: the component's exports. `mlc plugin
 * build` turns this module into a WebAssembly component of the contract's `mapping` world
 * (`wit/worlds.wit`) with componentize-js. What the mapping does is in `invoices.js`; this file
 * only connects it to the host: `describe`, `map` and `checkConfig` are the world's exports, and
 * `ml-connector:host/log@0.1.0` the host's log, which lands in the event's audit trail.
 */
import { log } from 'ml-connector:host/log@0.1.0';

import { CREATE_INVOICE, invoices, readSettings } from './invoices.js';

const NAME = '{{name}}';
const VERSION = '0.1.0';

/** @returns {import('./types').PluginInfo} */
export function describe() {
  return {
    name: NAME,
    version: VERSION,
    description: 'Shopify orders to Sage Intacct AR invoices, a line per order line.',
    topics: ['orders/create'],
    commands: [CREATE_INVOICE],
  };
}

/**
 * Maps the records behind `event` into commands. A thrown `PluginError` (see `types.d.ts`) is the
 * result's error: `rejected` fails the event, `needs-review` holds it for a person.
 *
 * @param {import('./types').Event} event
 * @param {import('./types').Entity[]} records
 * @param {string} config the flow's `mapping_config`, JSON
 * @returns {import('./types').Command[]}
 */
export function map(event, records, config) {
  try {
    const commands = invoices(NAME, records, JSON.parse(config));
    log('info', 'mapped', [
      ['event', event.key],
      ['commands', String(commands.length)],
    ]);
    return commands;
  } catch (error) {
    throw asPluginError(error);
  }
}

/**
 * The host asks this when it starts the flow: a bad `mapping_config` stops it there, with this
 * message beside the key, instead of failing every event.
 *
 * @param {string} config
 */
export function checkConfig(config) {
  try {
    readSettings(NAME, JSON.parse(config));
  } catch (error) {
    const refusal = asPluginError(error);
    throw refusal.tag === 'rejected' ? refusal.val.message : refusal.val;
  }
}

const PLUGIN_ERRORS = ['transient', 'rate-limited', 'auth', 'rejected', 'needs-review'];

/**
 * A thrown `PluginError` as it is; anything else thrown (a bug: a `TypeError`, a `JSON.parse` of
 * a bad body) as a refusal with its message, so the event fails saying why.
 *
 * @param {unknown} error
 * @returns {import('./types').PluginError}
 */
function asPluginError(error) {
  const thrown = /** @type {any} */ (error);
  if (PLUGIN_ERRORS.includes(thrown?.tag)) return thrown;
  const message = thrown instanceof Error ? `${thrown.name}: ${thrown.message}` : String(thrown);
  return { tag: 'rejected', val: { code: `${NAME}.error`, message } };
}
