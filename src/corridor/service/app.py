"""The web application: ``create_app(settings)`` builds it; ``corridor serve`` runs it with uvicorn."""

from __future__ import annotations

import logging
import time
import uuid
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.staticfiles import StaticFiles
from sqlalchemy import select

import corridor
from corridor.errors import CorridorError
from corridor.programme import db as pdb
from corridor.service import auth, store
from corridor.service.deps import Services
from corridor.service.errors import handle_corridor_error
from corridor.service.i18n import pick_lang
from corridor.service.jobs import JobRunner
from corridor.service.profiles import ProfileStore
from corridor.service.settings import Settings

log = logging.getLogger("corridor.service")
STATIC = Path(__file__).resolve().parent / "static"
CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'self'"
)


def _bootstrap(settings: Settings, engine, runner: JobRunner, store_: ProfileStore) -> None:
    """Schema, demo programme, first admin and first profile, as configured."""
    from corridor.service import programme_view

    pdb.upgrade(engine)
    store.create_tables(engine)
    with store.session_scope(engine) as s:
        if settings.demo and programme_view.current(s) is None:
            programme_view.load_demo(s)
            log.info("loaded the shipped Chile-Colombia demo programme (training records SYNTHETIC)")
        if s.scalar(select(store.User).limit(1)) is None:
            if settings.admin_user and settings.admin_password:
                auth.create_user(s, settings.admin_user, settings.admin_password, "admin")
                log.info("created the first administrator", extra={"user": settings.admin_user})
            else:
                log.warning(
                    "no users yet: set CORRIDOR_ADMIN_USER and CORRIDOR_ADMIN_PASSWORD (or admin_user and "
                    "admin_password in the configuration file) and restart to create the first administrator"
                )
        seed = None
        if (
            settings.seed_profile
            and not store_.ids()
            and s.scalar(select(store.Job).where(store.Job.status.in_(("queued", "running"))).limit(1))
            is None
        ):
            seed = runner.submit(s, "profile", {"origin": "COL", "destination": "CHL"}, "system")
    runner.start()
    if seed is not None:
        runner.enqueue(seed.id)


def create_app(settings: Settings) -> FastAPI:
    """The ASGI application for ``settings`` (data folder, database, secrets, limits)."""
    settings.prepare()
    auth.configure_hasher(settings.argon2_time_cost or None, settings.argon2_memory_kib or None)
    engine = pdb.make_engine(settings.db_url, pool_pre_ping=True)
    store_ = ProfileStore(settings.data_dir / "profiles", settings.min_n)
    runner = JobRunner(engine, settings.data_dir)
    services = Services(
        settings=settings,
        engine=engine,
        store=store_,
        runner=runner,
        limiter=auth.LoginLimiter(settings.login_attempts, settings.login_window_seconds),
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        _bootstrap(settings, engine, runner, store_)
        log.info(
            "service ready",
            extra={"data_dir": str(settings.data_dir), "database": engine.url.render_as_string()},
        )
        yield
        log.info("shutting down: no new jobs; waiting briefly for the running one")
        runner.stop(timeout=5.0)
        engine.dispose()

    app = FastAPI(
        title="corridor",
        version=corridor.__version__,
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url="/api/v1/openapi.json",
        description="Migration-corridor statistics: the tidy indicator table of corridor profiles, the "
        "indicator catalogue, the binational programme, sources and jobs. Authenticate with "
        "`Authorization: Bearer <token>`.",
    )
    app.state.services = services
    app.add_exception_handler(CorridorError, handle_corridor_error)

    @app.middleware("http")
    async def frame(request: Request, call_next):
        rid = uuid.uuid4().hex[:12]
        t0 = time.perf_counter()
        q = request.query_params.get("lang")
        request.state.lang = pick_lang(
            q, request.cookies.get("lang"), request.headers.get("accept-language"), settings.default_lang
        )
        request.state.principal = None
        try:
            response = await call_next(request)
        except Exception:
            log.exception("unhandled error", extra={"request_id": rid, "path": request.url.path})
            raise
        response.headers["X-Request-ID"] = rid
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "same-origin"
        response.headers.setdefault("X-Frame-Options", "SAMEORIGIN")
        if q and q[:2] == request.state.lang:
            response.set_cookie(
                "lang",
                request.state.lang,
                max_age=365 * 86400,
                samesite="lax",
                secure=settings.secure_cookies,
            )
        p = getattr(request.state, "principal", None)
        log.info(
            "request",
            extra={
                "request_id": rid,
                "method": request.method,
                "path": request.url.path,
                "status": response.status_code,
                "ms": round(1000 * (time.perf_counter() - t0), 1),
                "user": p.username if p else None,
            },
        )
        return response

    @app.get("/health", tags=["service"], summary="Liveness and readiness")
    def health() -> dict:
        """Public: whether the database answers, and the profile runs and jobs."""
        from sqlalchemy import text

        try:
            with engine.connect() as c:
                c.execute(text("SELECT 1"))
            db_ok = True
        except Exception:  # noqa: BLE001 - health reports, never raises
            db_ok = False
        return {
            "status": "ok" if db_ok else "degraded",
            "database": db_ok,
            "version": corridor.__version__,
            "profiles": len(store_.ids()),
            "jobs_idle": runner.idle(),
        }

    from corridor.service import api, pages

    app.include_router(api.router)
    app.include_router(pages.router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    return app
