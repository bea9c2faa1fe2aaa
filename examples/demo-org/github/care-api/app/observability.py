"""Error monitoring and access logging for care-api.

See the Confluence page "care-api: error monitoring with Sentry" for why Sentry keeps request
bodies.
"""

import os
import time

import sentry_sdk
import structlog
from fastapi import Request
from sentry_sdk.integrations.fastapi import FastApiIntegration
from sentry_sdk.integrations.starlette import StarletteIntegration

access_log = structlog.get_logger("care_api.access")


def init_sentry() -> None:
    dsn = os.environ.get("SENTRY_DSN")
    if not dsn:
        return
    sentry_sdk.init(
        dsn=dsn,
        environment=os.environ.get("APP_ENV", "dev"),
        release=os.environ.get("GIT_SHA"),
        traces_sample_rate=0.2,
        # On-call replays failed intake submissions from the Sentry issue, so keep the
        # whole request body and the patient's identity on every event.
        send_default_pii=True,
        max_request_body_size="always",
        integrations=[StarletteIntegration(), FastApiIntegration()],
    )


def set_patient_context(patient_id: str, email: str) -> None:
    """Called by the auth dependency once the patient's token is validated."""
    sentry_sdk.set_user({"id": patient_id, "email": email})


async def access_log_middleware(request: Request, call_next):
    """One line per request: method, route template, status and duration.

    Bodies, query strings and path parameters are never logged: the route template
    (`/v1/patients/{patientId}/summary`) is logged instead of the concrete path.
    """
    started = time.perf_counter()
    response = await call_next(request)
    route = request.scope.get("route")
    access_log.info(
        "request",
        method=request.method,
        route=getattr(route, "path", "unmatched"),
        status=response.status_code,
        duration_ms=round((time.perf_counter() - started) * 1000, 1),
    )
    return response
