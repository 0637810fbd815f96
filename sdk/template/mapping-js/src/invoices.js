// @ts-check
/**
 * What `{{name}}` maps, in plain JavaScript with no host import, so `npm test` runs it in Node.
 *
 * For each `orders/create` event the `shopify` connector fetches the order as a `shopify.order`
 * entity (its fields are listed in the shopify plugin's crate doc). Each such entity becomes one
 * `intacct.create-invoice` command for the `intacct` connector:
 *
 * - the customer is the flow's `customer_id`: one Intacct customer for all web sales;
 * - the date is the day the order was placed, in the shop's time zone; the currency the order's;
 * - the invoice number is the order's name without `#` (`#1001` → `1001`);
 * - one invoice line per order line, on the flow's `revenue_account`: the line's subtotal (price
 *   × quantity less the line's discount), with the memo `2 × T-Shirt - Blue`. Tax and shipping
 *   are not invoiced.
 *
 * The flow's settings, `mapping_config` in mlc.toml (both required):
 *
 *     mapping_config = { customer_id = "C-WEB", revenue_account = "4000" }
 *
 * A command's key is `<plugin name>/order/<order id>/invoice`. Intacct runs each key at most once,
 * so a retried event, a duplicate webhook or a replay never posts an order twice.
 *
 * Amounts are decimal strings and stay strings: a JavaScript number would round them.
 */

export const ORDER = 'shopify.order';
export const CREATE_INVOICE = 'intacct.create-invoice';
const SETTINGS = ['customer_id', 'revenue_account'];
const DECIMAL = /^-?\d+(\.\d+)?$/;
const LOCAL_DATE = /^(\d{4}-\d{2}-\d{2})T/;

/**
 * The flow's `mapping_config`.
 *
 * @typedef {object} Settings
 * @property {string} customer_id
 * @property {string} revenue_account
 */

/**
 * One invoice command per `shopify.order` record; other records are ignored.
 *
 * @param {string} plugin the plugin's name: the start of every command key
 * @param {import('./types').Entity[]} records
 * @param {unknown} config the flow's `mapping_config`
 * @returns {import('./types').Command[]}
 */
export function invoices(plugin, records, config) {
  const settings = readSettings(plugin, config);
  return records
    .filter((record) => record.kind === ORDER)
    .map((record) => invoice(plugin, JSON.parse(record.body), settings));
}

/**
 * The flow's `mapping_config`; a refusal names the key to fix in mlc.toml.
 *
 * @param {string} plugin
 * @param {unknown} config
 * @returns {Settings}
 */
export function readSettings(plugin, config) {
  const refuse = (/** @type {string} */ path, /** @type {string} */ message) =>
    rejected(`${plugin}.config`, `mapping config${path ? ` \`${path}\`` : ''}: ${message}`);
  if (typeof config !== 'object' || config === null || Array.isArray(config)) {
    throw refuse('', `expected an object, found ${JSON.stringify(config)}`);
  }
  const record = /** @type {Record<string, unknown>} */ (config);
  const unknown = Object.keys(record).find((key) => !SETTINGS.includes(key));
  if (unknown !== undefined) {
    throw refuse(unknown, `unknown key (known here: ${SETTINGS.join(', ')})`);
  }
  const text = (/** @type {string} */ key) => {
    const value = record[key];
    if (value === undefined || value === null) throw refuse(key, 'missing; this key is required');
    const found =
      typeof value === 'string' ? value.trim()
      : Number.isSafeInteger(value) && Number(value) >= 0 ? String(value)
      : undefined;
    if (found === undefined) throw refuse(key, `expected text, found ${JSON.stringify(value)}`);
    if (found === '') throw refuse(key, 'must not be empty');
    return found;
  };
  return { customer_id: text('customer_id'), revenue_account: text('revenue_account') };
}

/**
 * The invoice of one order (the body is in the intacct plugin's crate doc).
 *
 * @param {string} plugin
 * @param {any} order a `shopify.order` entity's body
 * @param {Settings} settings
 * @returns {import('./types').Command}
 */
function invoice(plugin, order, settings) {
  const date = LOCAL_DATE.exec(order.created_at ?? '');
  if (!date) throw rejected(`${plugin}.order`, `order ${order.id}: created_at is not a date-time`);
  const lines = order.lines.map((/** @type {any} */ line) => {
    if (!DECIMAL.test(line.subtotal)) {
      throw rejected(`${plugin}.order`, `order ${order.id}: line subtotal ${JSON.stringify(line.subtotal)} is not a decimal`);
    }
    return {
      gl_account_no: settings.revenue_account,
      amount: line.subtotal,
      memo: `${line.quantity} × ${line.name}`,
    };
  });
  const body = {
    customer_id: settings.customer_id,
    date: date[1],
    invoice_no: order.name.replace(/^#+/, ''),
    description: `Shopify order ${order.name}`,
    currency: order.currency,
    lines,
  };
  return {
    kind: CREATE_INVOICE,
    key: `${plugin}/order/${order.id}/invoice`,
    body: JSON.stringify(body),
  };
}

/**
 * A refusal: the event fails with this code and message.
 *
 * @param {string} code
 * @param {string} message
 * @returns {import('./types').PluginError}
 */
export function rejected(code, message) {
  return { tag: 'rejected', val: { code, message } };
}
