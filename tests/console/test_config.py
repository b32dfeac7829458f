"""Configuration: SOHBET_* variables, sohbet.toml, secrets from the environment only."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from bot.config import Config, config_error_text, load_config, mask_url
from tests.conftest import isolate_environment


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    isolate_environment(monkeypatch, tmp_path)
    monkeypatch.chdir(tmp_path)
    return monkeypatch


def test_defaults(env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    config = load_config()
    assert config.data_dir == Path("data")
    assert config.resolved_database_url == f"sqlite+aiosqlite:///{tmp_path / 'data' / 'sohbet.db'}"
    assert config.discord_token is None and config.console_admin is True


def test_environment_variables(env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    env.setenv("SOHBET_DATA_DIR", str(tmp_path / "elsewhere"))
    env.setenv("SOHBET_DATABASE_URL", "postgresql+asyncpg://bot:pw@db/sohbet")
    env.setenv("SOHBET_LOG_JSON", "true")
    env.setenv("SOHBET_METRICS_PORT", "9100")
    env.setenv("SOHBET_DEV_GUILD_ID", "123456789012345678")
    env.setenv("DISCORD_TOKEN", "token-from-env")
    config = load_config()
    assert config.data_dir == tmp_path / "elsewhere"
    assert config.resolved_database_url == "postgresql+asyncpg://bot:pw@db/sohbet"
    assert config.log_json is True and config.metrics_port == 9100
    assert config.dev_guild_id == 123456789012345678
    assert config.discord_token is not None
    assert config.discord_token.get_secret_value() == "token-from-env"
    assert "token-from-env" not in repr(config)


def test_plugins_to_load(env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    assert load_config().plugins == []  # everything installed
    env.setenv("SOHBET_PLUGINS", " admin, help ,,chat")
    assert load_config().plugins == ["admin", "help", "chat"]
    toml = tmp_path / "plugins.toml"
    toml.write_text('plugins = ["help"]\n')
    env.delenv("SOHBET_PLUGINS")
    env.setenv("SOHBET_CONFIG_FILE", str(toml))
    assert load_config().plugins == ["help"]


def test_bad_values_are_rejected(env: pytest.MonkeyPatch) -> None:
    env.setenv("SOHBET_METRICS_PORT", "nine thousand")
    with pytest.raises(ValidationError, match="metrics_port"):
        load_config()


def test_toml_file_with_secrets_ignored(env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    toml = tmp_path / "custom.toml"
    toml.write_text(
        'data_dir = "from-toml"\n'
        'log_level = "DEBUG"\n'
        "console_admin = false\n"
        'qdrant_url = "http://reader:qdrant-pw@vectors:6333"\n'
        'discord_token = "leaked-in-toml"\n'
        'DISCORD_TOKEN = "leaked-again"\n'
        'openai_api_key = "sk-leaked"\n'
    )
    env.setenv("SOHBET_CONFIG_FILE", str(toml))
    env.setenv("SOHBET_LOG_LEVEL", "WARNING")  # the environment wins over the file
    config = load_config()
    assert config.data_dir == Path("from-toml")
    assert config.log_level == "WARNING"
    assert config.console_admin is False
    assert config.discord_token is None and config.openai_api_key is None


def test_default_toml_in_the_working_directory(env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    env.delenv("SOHBET_CONFIG_FILE")
    (tmp_path / "sohbet.toml").write_text('model_name = "tiny"\n')
    assert load_config().model_name == "tiny"


def test_safe_dict_masks_secrets(env: pytest.MonkeyPatch) -> None:
    env.setenv("DISCORD_TOKEN", "very-secret-token")
    env.setenv("OPENAI_API_KEY", "sk-very-secret")
    config = Config(
        database_url="postgresql+asyncpg://bot:db-password@db:5432/sohbet",
        qdrant_url="http://reader:qdrant-password@vectors:6333",
        model_base_url="http://llm:8080/v1",
    )
    safe = config.safe_dict()
    text = repr(safe)
    for secret in ("very-secret-token", "sk-very-secret", "db-password", "qdrant-password"):
        assert secret not in text
    assert safe["database_url"] == "postgresql+asyncpg://bot:***@db:5432/sohbet"
    assert safe["qdrant_url"] == "http://reader:***@vectors:6333"
    assert safe["model_base_url"] == "http://llm:8080/v1"
    assert safe["discord_token"] == "set" and safe["openai_api_key"] == "set"


@pytest.mark.parametrize(
    ("url", "masked"),
    [
        ("postgresql+asyncpg://u:p%40ss@h/db", "postgresql+asyncpg://u:***@h/db"),
        ("sqlite+aiosqlite:////tmp/x.db", "sqlite+aiosqlite:////tmp/x.db"),
        ("postgresql+asyncpg://u@h:5432/db", "postgresql+asyncpg://u@h:5432/db"),
        ("not a url", "<unparseable url>"),
    ],
)
def test_mask_url(url: str, masked: str) -> None:
    assert mask_url(url) == masked


@pytest.mark.parametrize(
    "url",
    [
        "redis://:first6/second7@127.0.0.1:6379/0",  # urllib: port "first6"
        "redis://:123/4567@127.0.0.1:6379/0",  # urllib: port 123 on localhost, no error
        "redis://:first6#second7@127.0.0.1:6379/0",
        "redis://:first6?second7@127.0.0.1:6379/0",
    ],
)
def test_a_misread_broker_password_is_refused_unprinted(env: pytest.MonkeyPatch, url: str) -> None:
    env.setenv("SOHBET_BROKER_URL", url)
    with pytest.raises(ValidationError) as caught:
        load_config()
    text = config_error_text(caught.value)
    assert text.startswith("SOHBET_BROKER_URL: `redis://:***@127.0.0.1:6379/0` can't be read")
    assert "percent-encode" in text
    for piece in url.removeprefix("redis://:").partition("@")[0].replace("/", " ").split():
        assert piece.strip("#?") not in text


@pytest.mark.parametrize(
    "url",
    [
        "redis://:first6%2Fsecond7@127.0.0.1:6379/0",  # encoded: fine
        "redis://:p@ss@127.0.0.1:6379/0",  # redis-py reads `@` in a password whole
        "redis://user:pass@localhost:6379/2",
        "redis://localhost",
        "unix:///run/redis.sock?db=1",
    ],
)
def test_broker_urls_read_whole_are_accepted(env: pytest.MonkeyPatch, url: str) -> None:
    env.setenv("SOHBET_BROKER_URL", url)
    assert load_config().broker_url == url


def test_a_broker_url_that_is_not_redis(env: pytest.MonkeyPatch) -> None:
    env.setenv("SOHBET_BROKER_URL", "amqp://guest:guest@localhost:5672/")
    with pytest.raises(ValidationError) as caught:
        load_config()
    text = config_error_text(caught.value)
    assert "is not a Redis URL" in text and "guest:guest" not in text
