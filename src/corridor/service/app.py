"""The web application: ``create_app(settings)`` builds it; ``corridor serve`` runs it with uvicorn."""

from __future__ import annotations

import functools
import logging
import os
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from sqlalchemy import select

import corridor
from corridor.programme import db as pdb
from corridor.service import answers, auth, errors, files, programme_view, store
from corridor.service.deps import Services
from corridor.service.jobs import JobRunner
from corridor.service.middleware import BodyLimits, Frame
from corridor.service.profiles import ProfileStore
from corridor.service.settings import Settings

log = logging.getLogger("corridor.service")
STATIC = Path(__file__).resolve().parent / "static"


def _bootstrap(settings: Settings, engine, runner: JobRunner, store_: ProfileStore, *, start: bool = True) -> None:
    """Schema, demo programme, first admin and first profile, as configured; ``start``: start the job
    runner too (``corridor serve --check`` leaves the first profile's job queued for the real start)."""
    from corridor.service import programme_view

    pdb.upgrade(engine)
    store.create_tables(engine)
    with store.session_scope(engine) as s:
        from corridor.programme import models as m

        files.sweep_uploads(settings.data_dir, set(s.scalars(select(m.ImportBatch.file_name))))
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
    if not start:
        return
    runner.start()
    if seed is not None:
        runner.enqueue(seed.id)


def _warm_up() -> None:
    """Import the heavy modules and compile the templates now, not in the middle of the first requests
    (a first import holds the interpreter for a few hundred milliseconds)."""
    import openpyxl  # noqa: F401 - imports and downloads read XLSX

    import corridor.report.charts  # noqa: F401 - charts (matplotlib)
    from corridor.service.render import TEMPLATES, env

    for t in TEMPLATES.glob("*.html"):
        env().get_template(t.name)


# the worker threads requests run in (anyio's default limit); each holds a connection for its request
REQUEST_THREADS = 40


def engine_options(url: str) -> dict[str, Any]:
    """Connection pool of the service's database. A SQLite file is opened in the process: a connection
    for every request thread (and the job and warm-up threads), so that requests never queue for one, and
    no ping before each use (it checks for a server that has dropped the connection; there is none). A
    database server keeps the pool's defaults, and connections are pinged (a restarted server drops them)."""
    from sqlalchemy.engine import make_url

    u = make_url(url)
    if u.get_backend_name() == "sqlite" and u.database not in (None, "", ":memory:"):
        return {"pool_size": REQUEST_THREADS, "max_overflow": 10}
    if u.get_backend_name() == "sqlite":
        return {}  # in memory: SQLAlchemy's single connection
    return {"pool_pre_ping": True}


class CorridorApp(FastAPI):
    """FastAPI with corridor's frame (and, when configured, the trusted-proxy layer) outermost."""

    wrap: Any = None

    def build_middleware_stack(self) -> Any:
        inner = super().build_middleware_stack()
        return self.wrap(inner) if self.wrap is not None else inner


def create_app(settings: Settings) -> FastAPI:
    """The ASGI application for ``settings`` (data folder, database, secrets, limits)."""
    settings.prepare()
    errors.add_private_roots(settings.data_dir)
    programme_view.PUBLICATION["min_n"] = settings.min_n
    auth.configure_hasher(settings.argon2_time_cost or None, settings.argon2_memory_kib or None)
    engine = pdb.make_engine(settings.db_url, **engine_options(settings.db_url))
    store_ = ProfileStore(settings.data_dir / "profiles", settings.min_n)
    runner = JobRunner(engine, settings.data_dir, settings.min_n)
    services = Services(
        settings=settings,
        engine=engine,
        store=store_,
        runner=runner,
        limiter=auth.LoginLimiter(settings.login_attempts, settings.login_window_seconds),
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        import anyio

        services.cpu = anyio.CapacityLimiter(max(1, min(4, os.cpu_count() or 1)))
        from corridor.service.charts import DRAWER, settle, warm_in_background
        from corridor.service.i18n import LANGS
        from corridor.service.pages_profiles import page_content

        DRAWER.start()  # the charts' drawing processes start while the service prepares the rest

        page = functools.partial(page_content, services.pages)
        runner.on_done = lambda run_id: warm_in_background(store_, run_id, LANGS, page)
        _bootstrap(settings, engine, runner, store_)
        _warm_up()
        settle()
        warm_in_background(store_, next(iter(store_.ids()), None), LANGS, page)
        log.info(
            "service ready",
            extra={"data_dir": str(settings.data_dir), "database": engine.url.render_as_string()},
        )
        yield
        log.info("shutting down: no new jobs; waiting briefly for the running one")
        runner.stop(timeout=5.0)
        engine.dispose()

    app = CorridorApp(
        title="corridor",
        version=corridor.__version__,
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url="/api/v1/openapi.json",
        description="Migration-corridor statistics: the tidy indicator table of corridor profiles, the "
        "indicator catalogue, the binational programme, sources and jobs. Authenticate with "
        '`Authorization: Bearer <token>`. Every error is `{"error": ..., "hint": ...}`.',
    )
    app.state.services = services
    answers.install(app)
    limits = BodyLimits(
        login=settings.login_max_bytes,
        form=settings.form_max_bytes,
        api=settings.api_max_bytes,
        upload=settings.upload_max_bytes,
    )

    def wrap(inner: Any) -> Any:
        framed = Frame(
            inner, limits=limits, default_lang=settings.default_lang, secure_cookies=settings.secure_cookies
        )
        if settings.forwarded_allow_ips:
            from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

            return ProxyHeadersMiddleware(framed, trusted_hosts=settings.forwarded_allow_ips)
        return framed

    app.wrap = wrap

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
