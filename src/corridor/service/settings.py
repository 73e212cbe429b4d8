"""Service configuration: defaults, then a TOML file, then ``CORRIDOR_*`` environment variables.

Every key of :class:`Settings` can be set in the file (``[service]`` table or top level) and by
the environment variable ``CORRIDOR_<KEY>`` in upper case (e.g. ``CORRIDOR_DATABASE_URL``).
"""

from __future__ import annotations

import os
import secrets
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from corridor.errors import SpecError
from corridor.i18n import Message

ENV_PREFIX = "CORRIDOR_"


@dataclass
class Settings:
    """What the service needs to run; see docs/service.md for each key."""

    data_dir: Path = Path("corridor-data")
    database_url: str | None = None  # default: sqlite file in data_dir
    secret_key: str | None = None  # default: generated once into data_dir/secret_key
    host: str = "127.0.0.1"
    port: int = 8000
    session_hours: float = 8.0
    secure_cookies: bool = False  # set true behind HTTPS
    login_attempts: int = 5  # failed sign-ins allowed per window, per (account, client address)
    login_window_seconds: int = 300
    forwarded_allow_ips: str | None = None  # proxies trusted to name the client (X-Forwarded-For)
    upload_max_bytes: int = 5 * 1024 * 1024
    uploads_quota_bytes: int = 1024 * 1024 * 1024  # all files kept in uploads/ and sources/
    login_max_bytes: int = 8 * 1024  # request bodies, refused with 413 as they stream in
    form_max_bytes: int = 256 * 1024
    api_max_bytes: int = 1024 * 1024
    import_max_rows: int = 100_000
    token_days: float = 90.0  # default lifetime of a new API token (0: no expiry)
    min_n: int = 30  # the publication minimum: no lower min_n reaches anyone but analysts
    demo: bool = True  # load the shipped Chile-Colombia demo into an empty database
    seed_profile: bool = True  # queue a first profile run when there is none
    admin_user: str | None = None
    admin_password: str | None = None
    argon2_time_cost: int = 0  # 0: argon2-cffi's default (RFC 9106)
    argon2_memory_kib: int = 0
    log_level: str = "info"
    default_lang: str = "es"
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.data_dir = Path(self.data_dir)
        self.port = int(self.port)

    @property
    def db_url(self) -> str:
        """The database URL (programme tables and the service's own)."""
        return self.database_url or f"sqlite:///{(self.data_dir / 'corridor.sqlite').resolve()}"

    def prepare(self) -> Settings:
        """Create the data folder and its sub-folders; load or create the secret key."""
        for sub in ("", "profiles", "uploads", "sources"):
            try:
                (self.data_dir / sub).mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise SpecError(Message("service.errors.data_folder", path=str(self.data_dir / sub), error=str(exc.strerror)),
                                hint=Message("service.errors.data_folder.hint")) from None
        if not self.secret_key:
            key_file = self.data_dir / "secret_key"
            if not key_file.exists():
                key_file.write_text(secrets.token_urlsafe(48), encoding="utf-8")
                key_file.chmod(0o600)
            self.secret_key = key_file.read_text(encoding="utf-8").strip()
        return self


_BOOL = {
    "1": True,
    "true": True,
    "yes": True,
    "on": True,
    "0": False,
    "false": False,
    "no": False,
    "off": False,
}


def _coerce(name: str, kind: Any, value: Any, where: Message) -> Any:
    text = str(kind)
    try:
        if "bool" in text:
            if isinstance(value, bool):
                return value
            return _BOOL[str(value).strip().lower()]
        if text in ("int", "<class 'int'>"):
            return int(value)
        if text in ("float", "<class 'float'>"):
            return float(value)
    except (KeyError, ValueError):
        # the setting's type as Python names it (bool, int, float)
        raise SpecError(Message("service.errors.setting", where=where, name=name, value=repr(value), type=text),
                        hint=Message("service.errors.setting.hint")) from None
    return value


def load_settings(
    config: str | Path | None = None, *, env: dict[str, str] | None = None, **overrides: Any
) -> Settings:
    """Settings from defaults, the TOML ``config`` file, the environment, then ``overrides`` (not None)."""
    env = dict(os.environ if env is None else env)
    values: dict[str, Any] = {}
    known = {f.name: f.type for f in fields(Settings) if f.name != "extra"}
    if config is not None:
        path = Path(config)
        try:
            doc = tomllib.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise SpecError(Message("service.errors.config_missing", path=str(path)),
                            hint=Message("service.errors.config_missing.hint")) from None
        except tomllib.TOMLDecodeError as exc:
            raise SpecError(Message("service.errors.config_toml", path=str(path), error=str(exc)),
                            hint=Message("service.errors.config_toml.hint")) from None
        doc = doc.get("service", doc)
        unknown = sorted(set(doc) - set(known))
        if unknown:
            raise SpecError(Message("service.errors.config_keys", path=str(path), keys=", ".join(unknown)),
                            hint=Message("service.errors.config_keys.hint", known=", ".join(sorted(known))))
        for k, v in doc.items():
            values[k] = _coerce(k, known[k], v, Message("service.errors.where_config", path=str(path)))
    for k, kind in known.items():
        name = ENV_PREFIX + k.upper()
        if name in env and env[name] != "":
            values[k] = _coerce(k, kind, env[name], Message("service.errors.where_env", name=name))
    for k, v in overrides.items():
        if v is not None:
            values[k] = v
    return Settings(**values)
