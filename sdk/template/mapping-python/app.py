"""`{{name}}`, an ml-connector mapping plugin in Python: the component's exports.

`mlc plugin build` turns this module into a WebAssembly component of the contract's `mapping`
world (`wit/worlds.wit`) with componentize-py. What the mapping does is in `invoices.py`; this
file only connects it to the host: `describe`, `map` and `check_config` are the world's exports,
and `wit_world.imports.log` the host's log, which lands in the event's audit trail.

The component is built without WASI (`componentize-py --stub-wasi`): a mapping gets its inputs and
nothing else, so `print`, `open`, `time.time()` and the like stop the call. Log instead.
"""

import json
from typing import List

import wit_world
from componentize_py_types import Err
from wit_world.imports import log
from wit_world.imports.types import (
    Command,
    Entity,
    Event,
    PluginError_Rejected,
    PluginInfo,
    Rejection,
)

import invoices

NAME = "{{name}}"
VERSION = "0.1.0"


class WitWorld(wit_world.WitWorld):
    def describe(self) -> PluginInfo:
        return PluginInfo(
            name=NAME,
            version=VERSION,
            description="Shopify orders to Sage Intacct AR invoices, a line per order line.",
            topics=["orders/create"],
            commands=[invoices.CREATE_INVOICE],
        )

    def map(self, event: Event, records: List[Entity], config: str) -> List[Command]:
        """Raises `Err(PluginError)`: `rejected` fails the event, `needs-review` holds it."""
        try:
            commands = invoices.invoices(NAME, records, json.loads(config))
        except Err:
            raise
        except Exception as error:
            raise as_plugin_error(error) from error
        log.log(
            log.Level.INFO,
            "mapped",
            [("event", event.key), ("commands", str(len(commands)))],
        )
        return commands

    def check_config(self, config: str) -> None:
        """The host asks this when it starts the flow: a bad `mapping_config` stops it there,
        with this message beside the key, instead of failing every event."""
        try:
            invoices.read_settings(NAME, json.loads(config))
        except Err as error:
            if isinstance(error.value, PluginError_Rejected):
                raise Err(error.value.value.message) from error
            raise
        except Exception as error:
            raise Err(f"{type(error).__name__}: {error}") from error


def as_plugin_error(error: Exception) -> Err:
    """Anything raised but `Err` (a bug: a `KeyError`, a bad body) as a refusal with its message,
    so the event fails saying why."""
    message = f"{type(error).__name__}: {error}"
    return Err(PluginError_Rejected(Rejection(code=f"{NAME}.error", message=message)))
