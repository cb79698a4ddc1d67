"""Django's Redis cache, made to degrade: while Redis is down, reads miss and writes are dropped.

Everything in the cache can be rebuilt from PostgreSQL (sessions are written through to the database,
the deck's reads have their queries behind them), so an unreachable Redis costs speed, never a failed
request. allauth's rate limits, kept in the cache, are not enforced meanwhile: they fail open, rather
than lock every user out of signing in.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from functools import partial, wraps
from typing import Any, TypeVar

from django.core.cache import cache
from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from django.db import transaction
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)
T = TypeVar("T")
_last_warning = 0.0


def _forgiving(default: Callable[..., Any]) -> Callable[[Callable[..., T]], Callable[..., T]]:
    """Run the cache operation; if Redis cannot be reached, log (once a minute) and return `default(...)`."""

    def decorate(method: Callable[..., T]) -> Callable[..., T]:
        @wraps(method)
        def wrapper(self: ForgivingRedisCache, *args: Any, **kwargs: Any) -> T:
            global _last_warning
            try:
                return method(self, *args, **kwargs)
            except (RedisConnectionError, RedisTimeoutError) as error:
                if time.monotonic() - _last_warning > 60:
                    _last_warning = time.monotonic()
                    logger.warning("Redis unreachable, the cache is bypassed: %s", error)
                return default(*args, **kwargs)

        return wrapper

    return decorate


def _arg(name: str, position: int, fallback: Any = None) -> Callable[..., Any]:
    return lambda *args, **kwargs: kwargs.get(name, args[position] if len(args) > position else fallback)


class ReusingRedisCacheClient(RedisCacheClient):
    """One redis.Redis per connection pool, made once: Django's client builds a new one for every
    operation, and each builds its table of ~170 response callbacks, about 0.15 ms a time."""

    def get_client(self, key: Any = None, *, write: bool = False) -> Any:
        pool = self._get_connection_pool(write)  # type: ignore[attr-defined]
        clients: dict[int, Any] = self.__dict__.setdefault("_clients", {})
        client = clients.get(id(pool))
        if client is None:
            client = clients[id(pool)] = self._client(connection_pool=pool)  # type: ignore[attr-defined]
        return client


class ForgivingRedisCache(RedisCache):
    def __init__(self, server: str, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._class = ReusingRedisCacheClient

    get = _forgiving(_arg("default", 1))(RedisCache.get)
    get_many = _forgiving(lambda *a, **k: {})(RedisCache.get_many)
    has_key = _forgiving(lambda *a, **k: False)(RedisCache.has_key)
    set = _forgiving(lambda *a, **k: None)(RedisCache.set)
    # "Stored": a lock taken with add() (allauth's rate limits) opens instead of shutting everyone out.
    add = _forgiving(lambda *a, **k: True)(RedisCache.add)
    touch = _forgiving(lambda *a, **k: False)(RedisCache.touch)
    set_many = _forgiving(lambda *a, **k: [])(RedisCache.set_many)
    delete = _forgiving(lambda *a, **k: False)(RedisCache.delete)
    delete_many = _forgiving(lambda *a, **k: None)(RedisCache.delete_many)
    clear = _forgiving(lambda *a, **k: False)(RedisCache.clear)

    def incr(self, key: Any, delta: int = 1, version: int | None = None) -> int:
        try:
            return super().incr(key, delta, version)
        except (RedisConnectionError, RedisTimeoutError):
            raise ValueError(f"Key '{key}' not found (Redis unreachable)") from None


def forget(key: str) -> None:
    """Drop a cached read that a write makes stale: now, and again once the write commits, so that a request
    that read the old rows meanwhile cannot leave them in the cache."""
    cache.delete(key)
    transaction.on_commit(partial(cache.delete, key))
