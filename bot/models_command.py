"""`sohbet models list|pull|use|remove`: the local models this bot can run (bot.ai.catalog)."""

from __future__ import annotations

import sys

from bot.ai.catalog import CATALOG, DEFAULT_CHOICE, DEMO, CatalogModel, find, installed_path
from bot.ai.catalog import models_dir as default_models_dir
from bot.ai.local_default import CHOICE_FILE, choose_model, chosen_model, local_default
from bot.ai.model_pull import PullError, human_size, human_time, pull, remove
from bot.config import Config

__all__ = ["models_command"]


def models_command(config: Config, action: str, name: str | None, *, if_missing: bool) -> int:
    if action == "list":
        print(render_list(config))
        return 0
    if action == "pull":
        return _pull(config, name, if_missing=if_missing)
    if name is None:
        print(f"`sohbet models {action}` needs a model name: {_names()}.", file=sys.stderr)
        return 2
    model = _lookup(name)
    if model is None:
        return 2
    if action == "use":
        return _use(config, model)
    if action == "remove":
        return _remove(config, model)
    raise AssertionError(action)


def render_list(config: Config) -> str:
    in_use = local_default(config.data_dir)
    chosen = chosen_model(config.data_dir)
    rows = [("NAME", "MODEL", "PARAMS", "QUANT", "SIZE", "RAM", "LICENCE", "HERE")]
    for model in CATALOG.values():
        marks = []
        if model.name == DEFAULT_CHOICE:
            marks.append("default")
        if model.name == chosen:
            marks.append("chosen")
        if model.name == in_use.model and not config.model_name:
            marks.append("answers")
        rows.append((
            model.name,
            model.title,
            model.params,
            model.quantization,
            human_size(model.size),
            f"{model.ram_gb:.1f} GB",
            model.licence,
            _state(model) + (f" ({', '.join(marks)})" if marks else ""),
        ))  # fmt: skip
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
             for row in rows]  # fmt: skip
    lines.append("")
    lines.append(f"Models folder: {default_models_dir()} (SOHBET_MODELS_DIR)")
    if config.model_name or config.model_base_url:
        lines.append(
            f"SOHBET_MODEL_NAME / SOHBET_MODEL_BASE_URL are set: the bot uses "
            f"{config.model_name or config.model_base_url}, not this list."
        )
    elif in_use.reason:
        lines.append(f"The demo model answers now: {in_use.reason}.")
    return "\n".join(lines)


def _state(model: CatalogModel) -> str:
    if model.bundled is not None:
        return "bundled" if installed_path(model) else "package missing"
    if installed_path(model) is not None:
        return "installed"
    partial = default_models_dir() / f"{model.filename}.partial"
    if partial.exists():
        share = 100 * partial.stat().st_size / model.size
        return f"{share:.0f} % pulled"
    return "-"


def _names() -> str:
    return ", ".join(CATALOG)


def _lookup(name: str) -> CatalogModel | None:
    model = find(name)
    if model is None:
        print(f"There is no model called {name!r} in the catalog; `sohbet models list` shows "
              f"them ({_names()}).", file=sys.stderr)  # fmt: skip
    return model


def _pull(config: Config, name: str | None, *, if_missing: bool) -> int:
    if name is None:
        if if_missing and (config.model_name or config.model_base_url
                           or config.model_provider not in ("auto", "llamacpp")):  # fmt: skip
            return 0  # the operator configured a model: nothing to fetch for them
        name = local_default(config.data_dir).wanted.name
    model = _lookup(name)
    if model is None:
        return 2
    if if_missing and installed_path(model) is not None:
        return 0
    if if_missing:  # `make chat`'s first run: say what is coming
        print(f"First run: downloading the default model, {model.title} "
              f"({human_size(model.size)}, {model.licence}), once; later runs start at once.",
              file=sys.stderr)  # fmt: skip
    try:
        result = pull(model)
    except PullError as error:
        print(error.user_message, file=sys.stderr)
        if if_missing:
            print("Sohbet will answer with the small demo model until then.", file=sys.stderr)
            return 0
        return 1
    if result.fetched:
        speed = result.fetched / max(result.seconds, 1e-3)
        print(f"Pulled {model.name} in {human_time(result.seconds)} ({human_size(speed)}/s) "
              f"from the {result.source}: {result.path}", file=sys.stderr)  # fmt: skip
    else:
        print(f"{model.name} is here and matches its checksum: {result.path}", file=sys.stderr)
    if model.name != local_default(config.data_dir).wanted.name and not if_missing:
        print(f"`sohbet models use {model.name}` makes the bot answer with it.", file=sys.stderr)
    return 0


def _use(config: Config, model: CatalogModel) -> int:
    if installed_path(model) is None:
        print(f"{model.name} isn't downloaded yet: run `sohbet models pull {model.name}` first "
              f"({human_size(model.size)}).", file=sys.stderr)  # fmt: skip
        return 1
    choose_model(config.data_dir, model.name)
    print(f"The bot now answers with {model.name} ({model.title}) when no model is configured; "
          "restart `sohbet chat` / `sohbet run` to switch.")  # fmt: skip
    if config.model_name or config.model_base_url:
        print(f"Note: SOHBET_MODEL_NAME / SOHBET_MODEL_BASE_URL are set ("
              f"{config.model_name or config.model_base_url}) and take precedence.",
              file=sys.stderr)  # fmt: skip
    return 0


def _remove(config: Config, model: CatalogModel) -> int:
    if model.name == DEMO:
        print("The demo model ships inside Sohbet's packages; there is nothing to remove.",
              file=sys.stderr)  # fmt: skip
        return 1
    try:
        removed = remove(model)
    except PullError as error:
        print(error.user_message, file=sys.stderr)
        return 1
    if not removed:
        print(f"{model.name} isn't downloaded; nothing to remove.")
        return 0
    freed = sum(model.size for p in removed if p.suffix == ".gguf")
    print(f"Removed {', '.join(str(p) for p in removed)}" + (
        f" ({human_size(freed)} freed)." if freed else "."))  # fmt: skip
    if chosen_model(config.data_dir) == model.name:
        (config.data_dir / CHOICE_FILE).unlink(missing_ok=True)
        print(f"It was the chosen model: the bot goes back to the default "
              f"({local_default(config.data_dir).model}).")  # fmt: skip
    return 0
