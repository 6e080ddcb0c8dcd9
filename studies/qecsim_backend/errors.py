"""qecsim's failures as the project's errors: one context manager wraps every call into qecsim."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from protocols.errors import BackendError

# qecsim logs "Failed to load clib: libpypm.so" on import when the optional Blossom V library is absent;
# networkx's matching is used instead, which is what we want, so that message is noise.
logging.getLogger("qecsim.graphtools.blossom5").setLevel(logging.ERROR)


@contextmanager
def qecsim_errors(what: str) -> Iterator[None]:
    """Turn an exception raised inside qecsim while doing `what` into a BackendError naming it."""
    try:
        yield
    except BackendError:
        raise
    except Exception as e:  # qecsim raises QecsimError, ValueError, TypeError, numpy and mpmath errors
        raise BackendError(f"qecsim backend: {what} failed: {type(e).__name__}: {e}") from e
