"""The dashboard's settings: from the environment (secrets only from there, never logged)."""

from __future__ import annotations

from ipaddress import IPv4Network, IPv6Network, ip_network
from typing import Annotated

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

__all__ = ["WebSettings"]


class WebSettings(BaseSettings):
    """`SOHBET_WEB_*`, `DISCORD_CLIENT_ID`/`DISCORD_CLIENT_SECRET`, `SOHBET_DISCORD_API_URL`."""

    model_config = SettingsConfigDict(
        env_prefix="SOHBET_WEB_", extra="ignore", populate_by_name=True
    )

    port: int | None = None  # `sohbet run` serves the dashboard too when set
    host: str = "127.0.0.1"  # 0.0.0.0 in a container
    # Where browsers reach the dashboard: the OAuth redirect URI is BASE_URL/auth/callback.
    base_url: str = ""
    session_hours: float = Field(12.0, gt=0, le=24 * 30)  # a session ends this long after login
    # How long a member's "Manage Server" answer from Discord is trusted before asking again.
    permission_cache_s: float = Field(120.0, ge=0, le=600)
    login_attempts_per_minute: int = Field(10, ge=1)
    # The reverse proxies in front of the dashboard (addresses or networks, comma-separated):
    # only a request from one of them says who the client is, in X-Forwarded-For.
    trusted_proxies: Annotated[tuple[IPv4Network | IPv6Network, ...], NoDecode] = ()
    client_id: str = Field("", validation_alias="DISCORD_CLIENT_ID")
    client_secret: SecretStr | None = Field(None, validation_alias="DISCORD_CLIENT_SECRET")
    discord_api_url: str = Field(
        "https://discord.com/api/v10", validation_alias="SOHBET_DISCORD_API_URL"
    )
    discord_authorize_url: str = Field(
        "https://discord.com/oauth2/authorize", validation_alias="SOHBET_DISCORD_AUTHORIZE_URL"
    )

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _proxy_list(cls, value: object) -> object:
        """ "127.0.0.1, 10.0.0.0/8" (the environment's form) as networks."""
        if isinstance(value, str):
            value = [part.strip() for part in value.split(",") if part.strip()]
        if isinstance(value, list | tuple):
            try:
                return tuple(ip_network(str(part), strict=False) for part in value)
            except ValueError as exc:
                raise ValueError(f"SOHBET_WEB_TRUSTED_PROXIES: {exc}") from None
        return value

    @property
    def secure_cookies(self) -> bool:
        return self.base_url.lower().startswith("https://")

    @property
    def redirect_uri(self) -> str:
        return self.base_url.rstrip("/") + "/auth/callback"

    @property
    def oauth_ready(self) -> bool:
        return bool(self.client_id and self.client_secret and self.base_url)
