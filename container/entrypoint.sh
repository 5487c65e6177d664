#!/bin/sh
# The image's entry point: what the container runs is its first argument.
#   api      the HTTP API (uvicorn with request deadlines; ICP_API_HOST, ICP_API_PORT,
#            ICP_API_WORKERS, ICP_API_MAX_HEADER_BYTES, ICP_API_KEEP_ALIVE_TIMEOUT_S,
#            ICP_API_HEADER_TIMEOUT_S, ICP_API_BODY_TIMEOUT_S; see docs/security.md)
#   worker   one arq worker
#   migrate  upgrade the database schema to head (run once per release, before api and workers)
#   health   the HEALTHCHECK: /health/live of the API, or arq's health key in a worker container
#   anything else runs as given (e.g. `importctl tenants ...`)
set -eu

role="${1:-api}"
[ "$#" -gt 0 ] && shift

case "$role" in
api)
    exec python -m control_plane.api.server "$@"
    ;;
worker)
    exec python -m workers workers.main.WorkerSettings "$@"
    ;;
migrate)
    exec importctl db upgrade "$@"
    ;;
health)
    if tr '\0' ' ' </proc/1/cmdline | grep -q "workers.main.WorkerSettings"; then
        # arq's health key (refreshed by the worker every few seconds), read with the
        # Redis settings alone: importing the whole worker as `arq --check` does is too slow.
        exec python -c 'import sys, redis
from control_plane.settings import RedisSettings
s = RedisSettings()
r = redis.Redis(host=s.host, port=s.port, db=s.database, ssl=s.tls, socket_timeout=s.socket_timeout_s,
                password=s.password.get_secret_value() if s.password else None)
sys.exit(0 if r.exists(s.queue_name + ":health-check") else 1)'
    fi
    exec python -c 'import os, sys, urllib.request
url = "http://127.0.0.1:%s/health/live" % os.environ["ICP_API_PORT"]
sys.exit(0 if urllib.request.urlopen(url, timeout=4).status == 200 else 1)'
    ;;
*)
    exec "$role" "$@"
    ;;
esac
