// The mapping on a sample order, in Node's own test runner: `npm test`.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';

import { invoices, readSettings } from '../src/invoices.js';

/** An order as the `shopify` connector fetches it: a T-shirt line with a discount and a mug
 * line, placed on the evening of 3 November in California (4 November in UTC). */
const ORDER = readFileSync(new URL('../fixtures/order.json', import.meta.url), 'utf8');
const ORDER_ID = '5821001234567890123';
const PLUGIN = '{{name}}';
const CONFIG = { customer_id: 'C-WEB', revenue_account: '4000' };

const records = () => [
  { kind: 'shopify.order', id: ORDER_ID, body: ORDER },
  { kind: 'shopify.customer', id: '7012345678901', body: '{"id":"7012345678901"}' },
];

test('an order is one invoice with a line per order line', () => {
  const commands = invoices(PLUGIN, records(), CONFIG);

  assert.equal(commands.length, 1);
  assert.equal(commands[0].kind, 'intacct.create-invoice');
  assert.equal(commands[0].key, `${PLUGIN}/order/${ORDER_ID}/invoice`);
  assert.deepEqual(JSON.parse(commands[0].body), {
    customer_id: 'C-WEB',
    date: '2025-11-03',
    invoice_no: '1001',
    description: 'Shopify order #1001',
    currency: 'USD',
    lines: [
      { gl_account_no: '4000', amount: '45.00', memo: '2 × T-Shirt - Blue' },
      { gl_account_no: '4000', amount: '44.97', memo: '3 × Mug' },
    ],
  });
});

test('the key comes from the order, so another event of it posts nothing new', () => {
  assert.deepEqual(invoices(PLUGIN, records(), CONFIG), invoices(PLUGIN, records(), CONFIG));
});

test('a config without an account is refused naming the key', () => {
  const missing = {
    tag: 'rejected',
    val: {
      code: `${PLUGIN}.config`,
      message: 'mapping config `revenue_account`: missing; this key is required',
    },
  };
  assert.doesNotThrow(() => readSettings(PLUGIN, CONFIG));
  assert.throws(() => readSettings(PLUGIN, { customer_id: 'C-WEB' }), (error) => {
    assert.deepEqual(error, missing);
    return true;
  });
  assert.throws(() => invoices(PLUGIN, records(), { customer_id: 'C-WEB' }), (error) => {
    assert.deepEqual(error, missing);
    return true;
  });
});
