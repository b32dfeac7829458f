"""Configuration from SOHBET_* environment variables and an optional sohbet.toml."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import (
    BaseSettings,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

__all__ = ["Config", "config_error_text", "load_config"]


class Config(BaseSettings):
    """Process-wide settings. Per-server behaviour lives in plugin settings instead."""

    model_config = SettingsConfigDict(
        env_prefix="SOHBET_", extra="ignore", toml_file="sohbet.toml", populate_by_name=True
    )

    data_dir: Path = Path("data")
    database_url: str | None = None  # default: sqlite in data_dir
    qdrant_url: str | None = None  # default: embedded store in data_dir
    log_level: str = "INFO"
    log_json: bool = False
    metrics_port: int | None = None  # health + Prometheus metrics on 127.0.0.1 when set
    metrics_host: str = "127.0.0.1"  # 0.0.0.0 in a container, so Prometheus can scrape
    console_admin: bool = True  # the local console user may run admin commands
    # Plugins to load, by entry-point name ("admin,help,chat"); empty: every installed one.
    plugins: Annotated[list[str], NoDecode] = Field(default_factory=list)
    # Chat model defaults (admins can override per server through the chat plugin settings).
    # "auto": `sohbet chat`/`run` with no model_name/base_url use a local Ollama or llama.cpp
    # server answering on its standard port, else the local model (llama.cpp for a GGUF when
    # llama-cpp-python is installed, else transformers). See bot.ai.local_servers.
    model_provider: Literal["auto", "transformers", "openai", "llamacpp", "fake"] = "auto"
    model_name: str = ""  # empty: the bundled SmolLM2-135M-Instruct GGUF
    model_server: str = ""  # set at start when a local model server was found ("Ollama")
    # More OpenAI-compatible servers for "auto" to try first, comma-separated (in compose:
    # http://ollama:11434/v1); the standard local ports are always tried.
    model_server_urls: str = ""
    model_base_url: str | None = None
    model_timeout_s: float = 120.0  # per wait for model output, once it is this request's turn
    model_queue_timeout_s: float = 300.0  # a local model's queue: longest wait for a turn
    model_temperature: float = 0.3
    # Models server admins may choose per server (besides the default); empty: none.
    allowed_models: list[str] = []
    embedding_model: str = ""  # empty: the bundled multilingual default; openai:NAME = a server
    embedding_base_url: str | None = None  # OpenAI-compatible /v1 for `openai:` embeddings
    # Ceiling of the per-upload budget (servers may set lower ones in the docs settings):
    # CPU seconds and memory (MB) to parse and split one uploaded document.
    upload_max_cpu_s: int = Field(60, ge=1)
    upload_max_memory_mb: int = Field(1024, ge=64)
    # Scaling out (README "Scaling out"): with a broker, uploads are ingested by `sohbet worker`
    # processes and cooldowns are shared; unset, everything runs in this process as before.
    broker_url: str | None = None  # redis://host:6379/0
    job_heartbeat_s: int = Field(30, ge=1)  # a running job silent this long is run again
    job_sweep_s: int = Field(5, ge=1)  # how often workers look for such jobs
    job_attempts: int = Field(3, ge=1)  # then the job goes to the dead-letter list
    # Discord
    dev_guild_id: int | None = None  # sync commands to this guild only (instant, for development)
    message_content_intent: bool = False
    # Secrets: only from the environment, never from sohbet.toml, never logged.
    discord_token: SecretStr | None = Field(default=None, validation_alias="DISCORD_TOKEN")
    openai_api_key: SecretStr | None = Field(default=None, validation_alias="OPENAI_API_KEY")

    @field_validator("broker_url")
    @classmethod
    def _broker(cls, value: str | None) -> str | None:
        """Parsed once here, as the jobs will parse it: a misread URL stops the start with a
        sentence that names no part of the password."""
        if value:
            check_redis_url(value)
        return value

    @field_validator("plugins", mode="before")
    @classmethod
    def _names(cls, value: Any) -> Any:
        """SOHBET_PLUGINS="admin, help" or a TOML list."""
        if isinstance(value, str):
            return [name.strip() for name in value.split(",") if name.strip()]
        return value

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        toml_path = Path(os.environ.get("SOHBET_CONFIG_FILE", "sohbet.toml"))
        toml = _NoSecretsToml(settings_cls, toml_file=toml_path)
        return init_settings, env_settings, toml

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / 'sohbet.db').resolve()}"

    def safe_dict(self) -> dict[str, Any]:
        """Configuration for display: secrets and passwords masked."""
        data = self.model_dump(exclude={"discord_token", "openai_api_key"})
        data["database_url"] = mask_url(self.resolved_database_url)
        for key in ("qdrant_url", "model_base_url", "broker_url"):  # may carry user:password@ too
            if data[key]:
                data[key] = mask_url(data[key])
        data["discord_token"] = "set" if self.discord_token else "not set"
        data["openai_api_key"] = "set" if self.openai_api_key else "not set"
        return data


class _NoSecretsToml(TomlConfigSettingsSource):
    """sohbet.toml may not carry secrets: they are dropped with the rest read normally."""

    def __call__(self) -> dict[str, Any]:
        data = super().__call__()
        for secret in ("discord_token", "openai_api_key", "DISCORD_TOKEN", "OPENAI_API_KEY"):
            data.pop(secret, None)
        return data


def url_password(url: str) -> str | None:
    """The password in scheme://user:password@host..., even when it holds `/`, `@` or `#`
    unescaped (everything between the user's colon and the last `@` before the host)."""
    scheme, sep, rest = url.partition("://")
    if not sep or not scheme:
        return None
    userinfo, at, _after = rest.rpartition("@")
    if not at or ":" not in userinfo:
        return None
    return userinfo.split(":", 1)[1] or None


def mask_url(url: str) -> str:
    """Hide the password in a database (or any scheme://user:password@host) URL.

    Split by hand, not with urllib: a password with an unescaped `/` or `@` makes urllib
    misread the host and hand the password back in the clear."""
    if "://" not in url:
        return "<unparseable url>"
    password = url_password(url)
    if password is None:
        return url
    scheme, _, rest = url.partition("://")
    userinfo, _, after = rest.rpartition("@")
    user = userinfo.split(":", 1)[0]
    return f"{scheme}://{user}:***@{after}"


# What the operator must write instead of each character that ends a URL's password early.
PERCENT_ENCODE_HINT = (
    "percent-encode the password: `/` as `%2F`, `@` as `%40`, `:` as `%3A`, `#` as `%23`, "
    "`?` as `%3F`, `%` as `%25` (Python: urllib.parse.quote(password, safe=''))"
)


# Why a URL's password was misread, and how to write it (for any URL setting).
PASSWORD_MISREAD = (
    "its password holds a character that ends it early, so part of it would be taken for "
    f"the host or port. Please {PERCENT_ENCODE_HINT}"
)


def password_misread(url: str, parsed_password: str | None) -> bool:
    """True when a parser's password isn't the one written between `user:` and the last `@`."""
    from urllib.parse import unquote

    written = url_password(url)
    return written is not None and unquote(written) != (parsed_password or "")


def check_redis_url(url: str) -> None:
    """Raise ValueError, naming no part of the password, unless redis-py reads `url` whole."""
    from redis.connection import parse_url

    try:
        parsed = parse_url(url)
    except ValueError:  # its reason may quote a piece of the password ("Port ... as 'se'")
        parsed = None
    written = url_password(url) or ""
    if (parsed is None and any(c in written for c in "/?#@[]")) or (
        parsed is not None and password_misread(url, parsed.get("password"))
    ):
        raise ValueError(f"`{mask_url(url)}` can't be read: {PASSWORD_MISREAD}.") from None
    if parsed is None:
        raise ValueError(
            f"`{mask_url(url)}` is not a Redis URL. Write it as "
            "redis://[:password@]host[:port][/database], e.g. redis://localhost:6379/0."
        ) from None


def config_error_text(error: ValidationError) -> str:
    """pydantic's errors without the values given (a URL's password, a token)."""
    lines = []
    for err in error.errors():
        name = "_".join(str(part) for part in err["loc"])
        where = name if name.isupper() else f"SOHBET_{name.upper()}"  # DISCORD_TOKEN as is
        message = str(err["msg"]).removeprefix("Value error, ")
        lines.append(f"{where}: {message}" if name else message)
    return "\n".join(lines)


def load_config(**overrides: Any) -> Config:
    return Config(**overrides)
