"""Work-arounds for defects of the PySide6 build we ship on; each checks it is still needed.

PySide6 6.12.0 (measured on our machines) drops one reference to the ``bool`` that
``SignalInstance.emit()`` returns. CPython 3.11's ``True`` and ``False`` are ordinary objects with
a reference count (about 13,000 in the running window), so after that many emissions the
interpreter aborts with "bool_dealloc: deallocating True or False". Views therefore emit through
:func:`emit`, which gives the lost reference back when, and only when, the defect is present.
"""

from __future__ import annotations

import ctypes
import sys
from functools import cache

from PySide6.QtCore import QObject, Signal, SignalInstance

_incref = ctypes.pythonapi.Py_IncRef
_incref.argtypes = [ctypes.py_object]
_incref.restype = None


class _Probe(QObject):
    probed = Signal()


@cache
def emit_drops_a_reference() -> bool:
    """Whether ``emit()`` loses a reference to its result in this PySide6 build."""
    probe = _Probe()
    before = {value: sys.getrefcount(value) for value in (True, False)}
    for _ in range(10):
        probe.probed.emit()
    lost = {value: count - sys.getrefcount(value) for value, count in before.items()}
    for value, count in lost.items():
        for _ in range(max(count, 0)):
            _incref(value)
    return sum(lost.values()) >= 10


def emit(signal: SignalInstance, *args: object) -> None:
    """Emit ``signal`` with ``args``; safe on PySide6 builds that lose a reference to the result."""
    result: object = signal.emit(*args)  # type: ignore[func-returns-value]  # returns bool
    if emit_drops_a_reference():
        _incref(result)
