"""moto's response serializer with its attribute-name lookups remembered: same bytes, less CPU.

Why: for each member of each structure in a response (every entry of a 500-record PutRecords
reply, every shard of ListShards, ...), moto 5.2's serializer builds a context object and asks
six alias providers which attribute names to try on the Python object — the same answer each
time for the same kind of object, member and shape. Here the answer is worked out once by moto's
own providers and remembered; the value is then read exactly as moto reads it. A 500-entry
PutRecords call then takes 30 % less CPU, ListShards and DescribeStream of 50 shards 35 % less
(benchmarks/bench_serializer_cache.py). No byte of any response changes
(tests/lab/mock/test_serializer_cache.py serializes every response both ways and compares).

Not a fidelity fix — stock moto answers the same — so it is on whenever the lab's mock is, with
the fixes or without (:func:`kinesis_lab.mock.behaviour.apply_mock_behaviour`). A picker moto
configures otherwise (response transformers, another picker class) keeps moto's own path.
"""

from __future__ import annotations

from typing import Any

from moto.core import serialize
from moto.core.constants import MISSING
from moto.core.utils import get_value as _read

_stock_get_value = serialize.ResponseSerializer.get_value
_PLAIN_PICKERS = (serialize.AttributePicker, serialize.XFormedAttributePicker)

# (picker class, its alias providers, object type, the object's Meta, member, shape, parent)
# → (names to try, in moto's order; then what the key's ids stand for, kept alive with it)
_names: dict[tuple[Any, ...], tuple[tuple[str, ...], tuple[Any, ...]]] = {}
# A lab meets a few hundred (shape, kind of object) pairs; the cap only guards a long-running
# endpoint against objects that would each bring a Meta of their own.
MAX_REMEMBERED = 20_000


def _names_to_try(serializer: Any, picker: Any, value: Any, key: str, shape: Any) -> tuple:
    """The attribute names moto's picker would try for this member, in its order."""
    parent = getattr(shape, "parent", None)
    meta = getattr(value, "Meta", None)  # ExplicitAlias reads the object's Meta
    providers = picker.alias_providers
    cache_key = (type(picker), id(providers), type(value), id(meta), key, id(shape), id(parent))
    known = _names.get(cache_key)
    if known is None:
        context = serialize.AttributePickerContext(
            obj=value,
            key=key,
            shape=shape,
            operation_model=serializer.operation_model,
            service_model=serializer.operation_model.service_model,
            key_path=".".join(serializer.path),
        )
        # The ids in the key stay unique while these objects live: they live with the entry.
        known = (tuple(picker.get_possible_keys(context)), (providers, meta, shape, parent))
        if len(_names) >= MAX_REMEMBERED:
            _names.clear()
        _names[cache_key] = known
    return known[0]


def _get_value_remembering_names(self: Any, value: Any, key: str, shape: Any) -> Any:
    """ResponseSerializer.get_value: moto's answer, with the names to try looked up once."""
    picker = self._value_picker
    if type(picker) not in _PLAIN_PICKERS or picker.response_transformers:
        return _stock_get_value(self, value, key, shape)
    for name in _names_to_try(self, picker, value, key, shape):
        found = _read(value, name, MISSING)
        if found is not MISSING:
            return found
    return None


def install() -> None:
    """Remember the serializer's lookups from now on (idempotent)."""
    serialize.ResponseSerializer.get_value = _get_value_remembering_names


def uninstall() -> None:
    """moto's own lookups again (for comparing the two)."""
    serialize.ResponseSerializer.get_value = _stock_get_value


def is_installed() -> bool:
    """Whether install() is in effect."""
    return serialize.ResponseSerializer.get_value is _get_value_remembering_names
