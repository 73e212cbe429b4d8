"""``corridor serve``: the web service and dashboard on one machine (uvicorn, structured JSON logs)."""

from __future__ import annotations

from pathlib import Path

import click

from corridor.i18n import t

SWITCH_INTERVAL = 0.02  # seconds


@click.command("serve")
@click.option("--host", default=None, help="Address to listen on (default 127.0.0.1; config key host).")
@click.option("--port", type=int, default=None, help="Port (default 8000; config key port).")
@click.option(
    "--config",
    "config",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="TOML configuration file (see docs/service.md); CORRIDOR_* environment variables override it.",
)
@click.option(
    "--data-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Data folder: database, profile runs, uploads, registered sources (default ./corridor-data).",
)
@click.option(
    "--forwarded-allow-ips",
    default=None,
    help="Comma-separated addresses of reverse proxies trusted to name the client in X-Forwarded-For "
    "(e.g. 127.0.0.1 when nginx runs on this machine); the real client address is then used for sign-in "
    "throttling, the audit log and the request log (config key forwarded_allow_ips).",
)
@click.option(
    "--check", is_flag=True, help="Build the application, create the schema and first admin, then exit."
)
def command(
    host: str | None,
    port: int | None,
    config: Path | None,
    data_dir: Path | None,
    forwarded_allow_ips: str | None,
    check: bool,
) -> None:
    """Start the corridor web service (pages in es/fr/en, JSON API, background profile jobs).

    On first start, the first administrator is created from CORRIDOR_ADMIN_USER and
    CORRIDOR_ADMIN_PASSWORD (or admin_user / admin_password in the config file); without them,
    the command says how. Stop it with Ctrl-C or SIGTERM: requests in flight finish first.

    \b
    Example:
      CORRIDOR_ADMIN_USER=admin CORRIDOR_ADMIN_PASSWORD='a long passphrase' \\
        corridor serve --data-dir ./corridor-data --port 8000
    """
    from corridor._deps import import_optional
    from corridor.service.settings import load_settings

    uvicorn = import_optional("uvicorn", feature="corridor serve")
    import_optional("fastapi", feature="corridor serve")
    settings = load_settings(
        config, host=host, port=port, data_dir=data_dir, forwarded_allow_ips=forwarded_allow_ips
    )

    from corridor.service import logs
    from corridor.service.app import create_app

    logs.configure(settings.log_level)
    app = create_app(settings)
    if check:
        from corridor.service.app import _bootstrap

        _bootstrap(settings, app.state.services.engine, app.state.services.runner, app.state.services.store,
                   start=False)
        _say_admin(settings)
        click.echo(t("cli.serve.check_ok", data_dir=settings.data_dir, db=settings.db_url))
        return
    _say_admin(settings)
    click.echo(t("cli.serve.serving", url=f"http://{settings.host}:{settings.port}", data_dir=settings.data_dir), err=True)
    import sys

    # the requests share one interpreter: a long one (a write and its overview, a first page) hands the
    # interpreter over every switch interval to whichever of up to 40 request threads waits; at 20 ms
    # instead of Python's 5 ms it finishes in fewer turns (short requests give it up sooner anyway, at
    # their database and socket calls): p99 x0.58-0.75 in 4 of 4 same-run pairs of bench_service, the
    # same CPU per request
    sys.setswitchinterval(SWITCH_INTERVAL)
    uvicorn.run(
        app,
        host=settings.host,
        port=settings.port,
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=10,
        # uvicorn's 5 s default closes idle connections while a client or the reverse proxy may be
        # sending its next request on them; under load that race answers "connection closed". The
        # server must keep a connection longer than the proxy in front of it (60 s in common setups).
        timeout_keep_alive=65,
        proxy_headers=False,
    )


def _say_admin(settings) -> None:
    """Print how to create the first administrator when there is none and none is configured."""
    if settings.admin_user and settings.admin_password:
        return
    from sqlalchemy import inspect, select

    from corridor.programme import db as pdb
    from corridor.service.store import User, session_scope

    engine = pdb.make_engine(settings.db_url)
    try:
        if "svc_user" in inspect(engine).get_table_names():
            with session_scope(engine) as s:
                if s.scalar(select(User).limit(1)) is not None:
                    return
    finally:
        engine.dispose()
    click.echo(t("cli.serve.no_user"), err=True)
