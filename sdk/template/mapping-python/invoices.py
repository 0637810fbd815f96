"""What `{{name}}` maps, with no host call, so `python3 -m unittest` runs it natively.

For each `orders/create` event the `shopify` connector fetches the order as a `shopify.order`
entity (its fields are listed in the shopify plugin's crate doc). Each such entity becomes one
`intacct.create-invoice` command for the `intacct` connector:

- the customer is the flow's `customer_id`: one Intacct customer for all web sales;
- the date is the day the order was placed, in the shop's time zone; the currency the order's;
- the invoice number is the order's name without `#` (`#1001` -> `1001`);
- one invoice line per order line, on the flow's `revenue_account`: the line's subtotal (price
  x quantity less the line's discount), with the memo `2 × T-Shirt - Blue`. Tax and shipping
  are not invoiced.

The flow's settings, `mapping_config` in mlc.toml (both required):

    mapping_config = { customer_id = "C-WEB", revenue_account = "4000" }

A command's key is `<plugin name>/order/<order id>/invoice`. Intacct runs each key at most once,
so a retried event, a duplicate webhook or a replay never posts an order twice.

Amounts are read as `Decimal`, never as float.
"""

import json
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, List

from componentize_py_types import Err
from wit_world.imports.types import Command, Entity, PluginError_Rejected, Rejection

ORDER = "shopify.order"
CREATE_INVOICE = "intacct.create-invoice"
SETTINGS = ["customer_id", "revenue_account"]
LOCAL_DATE = re.compile(r"^(\d{4}-\d{2}-\d{2})T")


@dataclass
class Settings:
    """The flow's `mapping_config`."""

    customer_id: str
    revenue_account: str


def invoices(plugin: str, records: List[Entity], config: Any) -> List[Command]:
    """One invoice command per `shopify.order` record; other records are ignored."""
    settings = read_settings(plugin, config)
    return [
        invoice(plugin, json.loads(record.body), settings)
        for record in records
        if record.kind == ORDER
    ]


def read_settings(plugin: str, config: Any) -> Settings:
    """Reads the config; a refusal names the key to fix in mlc.toml."""

    def refuse(path: str, message: str) -> Err:
        where = f" `{path}`" if path else ""
        return rejected(f"{plugin}.config", f"mapping config{where}: {message}")

    if not isinstance(config, dict):
        raise refuse("", f"expected an object, found {json.dumps(config)}")
    for key in config:
        if key not in SETTINGS:
            raise refuse(key, f"unknown key (known here: {', '.join(SETTINGS)})")

    def text(key: str) -> str:
        value = config.get(key)
        if value is None:
            raise refuse(key, "missing; this key is required")
        if isinstance(value, str):
            found = value.strip()
        elif isinstance(value, int) and not isinstance(value, bool) and value >= 0:
            found = str(value)
        else:
            raise refuse(key, f"expected text, found {json.dumps(value)}")
        if not found:
            raise refuse(key, "must not be empty")
        return found

    return Settings(customer_id=text("customer_id"), revenue_account=text("revenue_account"))


def invoice(plugin: str, order: Any, settings: Settings) -> Command:
    """The invoice of one order (the body is in the intacct plugin's crate doc)."""
    date = LOCAL_DATE.match(order.get("created_at") or "")
    if date is None:
        raise rejected(f"{plugin}.order", f"order {order['id']}: created_at is not a date-time")
    lines = [
        {
            "gl_account_no": settings.revenue_account,
            "amount": str(amount(plugin, order["id"], line["subtotal"])),
            "memo": f"{line['quantity']} × {line['name']}",
        }
        for line in order["lines"]
    ]
    body = {
        "customer_id": settings.customer_id,
        "date": date.group(1),
        "invoice_no": order["name"].lstrip("#"),
        "description": f"Shopify order {order['name']}",
        "currency": order["currency"],
        "lines": lines,
    }
    return Command(
        kind=CREATE_INVOICE,
        key=f"{plugin}/order/{order['id']}/invoice",
        body=json.dumps(body, ensure_ascii=False),
    )


def amount(plugin: str, order_id: str, text: Any) -> Decimal:
    """A decimal string as a `Decimal`; anything else refuses the order."""
    try:
        if isinstance(text, str):
            return Decimal(text)
    except InvalidOperation:
        pass
    raise rejected(f"{plugin}.order", f"order {order_id}: amount {json.dumps(text)} is not a decimal")


def rejected(code: str, message: str) -> Err:
    """A refusal: the event fails with this code and message."""
    return Err(PluginError_Rejected(Rejection(code=code, message=message)))
