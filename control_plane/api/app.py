"""The Litestar application: the only place that knows about HTTP."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from contextlib import asynccontextmanager

from litestar import Litestar, Router
from litestar.config.cors import CORSConfig
from litestar.di import Provide
from litestar.logging.config import LoggingConfig
from litestar.openapi import OpenAPIConfig
from litestar.openapi.spec import Components, SecurityScheme

from control_plane.api.access import access, authorize
from control_plane.api.allow import list_every_method
from control_plane.api.body_schemas import document_request_bodies
from control_plane.api.dependencies import (
    provide_admission,
    provide_db_session,
    provide_job_changes,
    provide_ops_state,
    provide_principal,
    provide_provider_clients,
    provide_queue,
    provide_request_database,
    provide_secrets,
    provide_settings,
)
from control_plane.api.headers import add_security_headers
from control_plane.api.json_body import CheckedRequest
from control_plane.api.links import link_operations
from control_plane.api.parameters import check_parameters
from control_plane.api.problem_docs import document_problems
from control_plane.api.problems import EXCEPTION_HANDLERS, PROBLEM_DETAILS
from control_plane.api.request_db import (
    CloseRequestDatabase,
    CompanyShares,
    company_share_limit,
    write_share,
    write_share_limit,
)
from control_plane.api.request_timing import LogRequestDuration
from control_plane.api.routes.health import live, ready
from control_plane.api.routes.imports import ImportController
from control_plane.api.routes.integrations import IntegrationController
from control_plane.api.routes.mappings import MappingController
from control_plane.api.routes.metrics import autoscaler, metrics
from control_plane.api.routes.ops import OpsController
from control_plane.api.routes.ops_history import OpsHistoryController
from control_plane.api.routes.ops_read import OpsReadController
from control_plane.api.routes.ops_reports import OpsReportsController
from control_plane.api.tenant_admission import ReleaseAdmission, TenantAdmission
from control_plane.db.engine import create_engine, create_session_factory
from control_plane.domain.principals import Access
from control_plane.integrations.providers import ProviderClients, create_http_client
from control_plane.integrations.queue import RedisWorkQueue, create_redis
from control_plane.integrations.redis_state.job_changes import JobChangeListener, JobChangePublisher
from control_plane.integrations.redis_state.ops_state import RedisOpsState
from control_plane.integrations.secrets import SecretBox
from control_plane.logging import configure_logging
from control_plane.services.limits import ApiAdmission
from control_plane.settings import Settings, ensure_production_secrets, get_settings

API_VERSION = "0.1.0"
KEEP_JSON_LOGS = LoggingConfig(
    configure_root_logger=False, loggers={"litestar": {"level": "INFO", "handlers": [], "propagate": True}}
)
"""Litestar's own records go to the root logger configure_logging set up (one JSON line each);
its default configuration would replace that handler with a plain-text one at startup."""


def create_app(settings: Settings | None = None) -> Litestar:
    """Build the app; ``settings`` lets tests point it at their own database."""
    settings = settings or get_settings()
    ensure_production_secrets(settings)  # production never starts on the public development secrets
    configure_logging()

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncGenerator[None, None]:
        engine = create_engine(settings.database)
        redis = create_redis(settings.redis)
        http = create_http_client(settings)
        app.state.settings = settings
        app.state.engine = engine
        pool = settings.database.pool_size + settings.database.max_overflow
        timeout_s = settings.database.connect_timeout_s
        app.state.write_share = write_share(write_share_limit(pool, settings.api.read_reserved_connections), timeout_s)
        publisher = JobChangePublisher(redis, settings.redis.queue_name)
        app.state.sessions = create_session_factory(engine, announce=publisher.announce)
        app.state.redis = redis
        company_shares = CompanyShares(company_share_limit(pool, settings.api.company_pool_share), timeout_s)
        app.state.tenant_admission = TenantAdmission(ApiAdmission(redis, settings.limits), company_shares)
        app.state.job_changes = listener = JobChangeListener(redis, settings.redis.queue_name)
        await listener.start()
        app.state.queue = RedisWorkQueue(redis, settings.redis.queue_name)
        app.state.ops_state = RedisOpsState(redis, settings.redis.queue_name)
        app.state.secrets = SecretBox(settings.provider.secrets_key.get_secret_value())
        app.state.provider_clients = ProviderClients(http, redis, settings)
        try:
            yield
        finally:
            await listener.stop()
            await http.aclose()
            await redis.aclose()
            await engine.dispose()

    app = Litestar(
        route_handlers=[
            ImportController,
            IntegrationController,
            MappingController,
            OpsController,
            OpsReadController,
            OpsHistoryController,
            OpsReportsController,
            live,
            ready,
            metrics,
            autoscaler,
        ],
        lifespan=[lifespan],
        dependencies={
            "db_session": Provide(provide_db_session),
            "request_database": Provide(provide_request_database, sync_to_thread=False),
            "job_changes": Provide(provide_job_changes, sync_to_thread=False),
            "queue": Provide(provide_queue, sync_to_thread=False),
            "settings": Provide(provide_settings, sync_to_thread=False),
            "principal": Provide(provide_principal, sync_to_thread=False),
            "secrets": Provide(provide_secrets, sync_to_thread=False),
            "provider_clients": Provide(provide_provider_clients, sync_to_thread=False),
            "ops_state": Provide(provide_ops_state, sync_to_thread=False),
            "admission": Provide(provide_admission, sync_to_thread=False),
        },
        guards=[authorize],  # every route declares its access in opt; undeclared routes are refused
        request_class=CheckedRequest,  # JSON bodies: media type, UTF-8, depth and NUL checked (api.json_body)
        before_request=check_parameters,  # oversized headers 431; NUL in a query parameter or header 422
        # outermost first: the logged duration includes handing the request's database connection back
        # the connection goes back, errors included; then the request's place among its company's in flight
        middleware=[LogRequestDuration(), ReleaseAdmission(), CloseRequestDatabase()],
        before_send=[add_security_headers, list_every_method],  # OPTIONS lists every method of the path
        exception_handlers=EXCEPTION_HANDLERS,
        logging_config=KEEP_JSON_LOGS,
        # problem documents for every mapped error (control_plane.api.problems); closed bodies in the schema
        plugins=[PROBLEM_DETAILS],
        request_max_body_size=settings.api.max_body_bytes,
        cors_config=CORSConfig(allow_origins=[]),
        debug=settings.api.debug,
        openapi_config=OpenAPIConfig(
            title="Import Control Plane",
            version=API_VERSION,
            description="Import vendors' product catalogs from commerce providers.",
            openapi_router=Router(
                path="/schema", route_handlers=[], opt=access(Access.PUBLIC), include_in_schema=False
            ),
            components=Components(
                security_schemes={"bearer": SecurityScheme(type="http", scheme="bearer", description="API key or JWT")}
            ),
            security=[{"bearer": []}],
        ),
    )
    document_problems(app)  # the problem answers every operation gives, in the OpenAPI document
    document_request_bodies(app)  # builds the document (so every route must be in): bodies as msgspec decodes them
    link_operations(app)  # which answer feeds which next operation
    return app
