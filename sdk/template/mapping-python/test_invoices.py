"""The mapping on a sample order, with Python's own test runner: `python3 -m unittest` (after
`mlc plugin build`, which writes the typed bindings these modules import into bindings/)."""

import json
import sys
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent / "bindings"))

from componentize_py_types import Err
from wit_world.imports.types import Entity, PluginError_Rejected, Rejection

import invoices

# An order as the `shopify` connector fetches it: a T-shirt line with a discount and a mug line,
# placed on the evening of 3 November in California (4 November in UTC).
ORDER = (Path(__file__).parent / "fixtures" / "order.json").read_text()
ORDER_ID = "5821001234567890123"
PLUGIN = "{{name}}"
CONFIG = {"customer_id": "C-WEB", "revenue_account": "4000"}


def records():
    return [
        Entity(kind="shopify.order", id=ORDER_ID, body=ORDER),
        Entity(kind="shopify.customer", id="7012345678901", body='{"id":"7012345678901"}'),
    ]


class Invoices(unittest.TestCase):
    def test_an_order_is_one_invoice_with_a_line_per_order_line(self):
        commands = invoices.invoices(PLUGIN, records(), CONFIG)

        self.assertEqual(len(commands), 1)
        self.assertEqual(commands[0].kind, "intacct.create-invoice")
        self.assertEqual(commands[0].key, f"{PLUGIN}/order/{ORDER_ID}/invoice")
        self.assertEqual(
            json.loads(commands[0].body),
            {
                "customer_id": "C-WEB",
                "date": "2025-11-03",
                "invoice_no": "1001",
                "description": "Shopify order #1001",
                "currency": "USD",
                "lines": [
                    {"gl_account_no": "4000", "amount": "45.00", "memo": "2 × T-Shirt - Blue"},
                    {"gl_account_no": "4000", "amount": "44.97", "memo": "3 × Mug"},
                ],
            },
        )

    def test_the_key_comes_from_the_order_so_another_event_of_it_posts_nothing_new(self):
        self.assertEqual(
            invoices.invoices(PLUGIN, records(), CONFIG),
            invoices.invoices(PLUGIN, records(), CONFIG),
        )

    def test_a_config_without_an_account_is_refused_naming_the_key(self):
        missing = Err(
            PluginError_Rejected(
                Rejection(
                    code=f"{PLUGIN}.config",
                    message="mapping config `revenue_account`: missing; this key is required",
                )
            )
        )
        invoices.read_settings(PLUGIN, CONFIG)
        with self.assertRaises(Err) as refused:
            invoices.read_settings(PLUGIN, {"customer_id": "C-WEB"})
        self.assertEqual(refused.exception, missing)
        with self.assertRaises(Err) as refused:
            invoices.invoices(PLUGIN, records(), {"customer_id": "C-WEB"})
        self.assertEqual(refused.exception, missing)


if __name__ == "__main__":
    unittest.main()
