"""The Lua sources shipped next to this module, and the error translation both adapters share."""

from __future__ import annotations

from importlib.resources import files

from redis.exceptions import RedisError

from control_plane.domain.errors import DependencyUnavailable

REDIS_ERRORS: tuple[type[BaseException], ...] = (RedisError, OSError)


def lua_source(name: str) -> str:
    return files(__package__ or __name__).joinpath(name).read_text(encoding="utf-8")


def unavailable(exc: BaseException) -> DependencyUnavailable:
    return DependencyUnavailable("redis", f"shared rate-limit/breaker state unavailable: {exc}")


def text(value: bytes | str) -> str:
    """Replies are bytes unless the client decodes them; accept either."""
    return value.decode() if isinstance(value, bytes) else value
