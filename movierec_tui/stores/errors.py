"""The one kind of error the stores raise: a store could not do what was asked.

Every pymilvus and redis-py failure leaves `stores/` as a subclass of `StoreError`, with a one-line
message that names the store's address, what failed and what to do, and the library's exception as
`__cause__` (for the log, never for a person). Callers above (the engine, the CLI, the app) catch
`StoreError` and read `store` ("milvus" or "redis") to say which one is down, without importing
pymilvus or redis themselves.
"""

from __future__ import annotations

from typing import ClassVar
from urllib.parse import urlsplit, urlunsplit


class StoreError(Exception):
    """A store cannot be reached or refused a request; `str()` is one line for a person."""

    store: ClassVar[str] = "store"


class MilvusUnavailable(StoreError):
    """Milvus cannot be opened, reached, or did not serve a request."""

    store = "milvus"


class RedisUnavailable(StoreError):
    """Redis cannot be reached or started, or did not serve a request."""

    store = "redis"


LIBRARY_STORES = {"pymilvus": "Milvus", "milvus_lite": "Milvus", "grpc": "Milvus", "redis": "Redis"}


def library_failure(exc: BaseException) -> str | None:
    """For an exception a store library raised that got past `stores/` (a bug: the stores wrap their
    calls), one line naming the store; None for anything else. Tells them apart by module, so the
    caller need not import pymilvus or redis."""
    for klass in type(exc).__mro__:
        store = LIBRARY_STORES.get(klass.__module__.split(".")[0])
        if store is not None:
            return f"{store} failed ({one_line(exc) or type(exc).__name__}); details in the log"
    return None


def one_line(text: object, limit: int = 300) -> str:
    """A library's message on one line (gRPC and redis-py messages span several)."""
    flat = " ".join(str(text).split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def without_password(url: str) -> str:
    """The URL as it may be shown (a message, `status`): a password in it becomes "***"."""
    parts = urlsplit(url)
    userinfo, at, host = parts.netloc.rpartition("@")
    if not at or ":" not in userinfo:
        return url
    return urlunsplit(parts._replace(netloc=f"{userinfo.split(':', 1)[0]}:***@{host}"))
