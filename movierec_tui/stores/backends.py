"""Opening the two stores from the settings, and closing them in the right order."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from movierec_tui.config import Settings
from movierec_tui.stores.cards import CardStore
from movierec_tui.stores.milvus_store import MilvusStore
from movierec_tui.stores.redis_server import RedisConnection, open_redis


@dataclass
class Backends:
    redis: RedisConnection
    cards: CardStore
    milvus: MilvusStore

    def close(self) -> None:
        try:
            self.milvus.close()
        finally:
            self.redis.close()

    def __enter__(self) -> Backends:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_redis_for(settings: Settings) -> RedisConnection:
    return open_redis(settings.redis_url, settings.redis_dir)


def open_milvus_for(settings: Settings) -> MilvusStore:
    if not settings.uses_milvus_lite:
        return MilvusStore(settings.effective_milvus_uri, settings.milvus_token)
    settings.home.mkdir(parents=True, exist_ok=True)
    older = settings.old_milvus_lite_dir if settings.milvus_lite_path == Path(settings.effective_milvus_uri) else None
    return MilvusStore(settings.effective_milvus_uri, settings.milvus_token, older_data=older)


def open_backends(settings: Settings) -> Backends:
    redis_connection = open_redis_for(settings)
    try:
        milvus = open_milvus_for(settings)
    except BaseException:
        redis_connection.close()
        raise
    cards = CardStore(redis_connection.client, settings.profile_namespace, settings.profile_ttl)
    return Backends(redis_connection, cards, milvus)
