"""One worker-like process spending tokens from a shared bucket as fast as it can.

Protocol (line based, so the parent can start several probes together):
prints ``ready`` once Redis answers, reads one line holding the server time
at which to stop, then acquires in a tight loop and prints one JSON line
``{"grants": [server times of granted tokens], "calls": n}``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys

from control_plane.domain.ratelimit import BucketSpec
from control_plane.integrations.queue import create_redis
from control_plane.integrations.redis_state import RedisTokenBucket
from control_plane.settings import RedisSettings


async def probe(key: str, spec: BucketSpec, settings: RedisSettings) -> dict[str, object]:
    redis = create_redis(settings)
    try:
        await redis.ping()
        print("ready", flush=True)
        end = float(await asyncio.to_thread(sys.stdin.readline))
        bucket = RedisTokenBucket(redis)
        grants: list[float] = []
        calls = 0
        while True:
            decision = await bucket.acquire(key, spec)
            calls += 1
            assert decision.at_s is not None
            if decision.at_s >= end:
                break
            if decision.allowed:
                grants.append(decision.at_s)
        return {"grants": grants, "calls": calls}
    finally:
        await redis.aclose()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--key", required=True)
    parser.add_argument("--capacity", type=float, required=True)
    parser.add_argument("--rate", type=float, required=True)
    parser.add_argument("--host", required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--db", type=int, required=True)
    args = parser.parse_args()
    settings = RedisSettings(host=args.host, port=args.port, database=args.db)
    result = asyncio.run(probe(args.key, BucketSpec(args.capacity, args.rate), settings))
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
