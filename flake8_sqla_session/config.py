"""The fixer's configuration: exactly the flake8 configuration the plugin gets, plus its own table.

flake8 looks for the first of setup.cfg, tox.ini and .flake8 with a `[flake8]`
(or `[flake8:local-plugins]`) section, from the current folder upward, stopping
below the home folder and skipping files it cannot parse; `--config FILE` names
one instead.  With the Flake8-pyproject plugin (the usual way to configure
flake8 in pyproject.toml), a `[tool.flake8]` table in ./pyproject.toml replaces
whatever that search found.  This module does the same, so the command line
acts on what flake8 reports.  `[tool.flake8-sqla-session]` in pyproject.toml
comes on top, and the command line on top of both.
"""
from __future__ import annotations

import configparser
import os
import sys
from dataclasses import dataclass, field
from typing import Any, Callable

from .selection import Selection, build_selection
from .settings import Settings

FLAKE8_FILES = ("setup.cfg", "tox.ini", ".flake8")
PYPROJECT_TABLE = "flake8-sqla-session"


class ConfigError(Exception):
    """A configuration file that cannot be read; the message names it."""


@dataclass
class Config:
    values: dict[str, str] = field(default_factory=dict)  # option name (dashes) -> raw value
    root: str = "."  # folder of the flake8 config file: per-file-ignores are relative to it
    files: list[str] = field(default_factory=list)


def _normal(key: str) -> str:
    return key.strip().lower().replace("_", "-")


def _stat_key(path: str) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_ino, st.st_dev


def find_flake8_config(start: str) -> str | None:
    """flake8's own search (flake8.options.config._find_config_file), step for step."""
    folder = os.path.abspath(start)
    home = os.path.expanduser("~")
    home_key = _stat_key(home) if home != "~" else None
    folder_key = _stat_key(folder)
    while True:
        for name in FLAKE8_FILES:
            candidate = os.path.join(folder, name)
            parser = configparser.RawConfigParser()
            try:
                parser.read(candidate, encoding="utf-8")
            except (configparser.ParsingError, UnicodeDecodeError):
                continue  # flake8 warns and goes on
            except configparser.Error:
                continue
            if parser.has_section("flake8") or parser.has_section("flake8:local-plugins"):
                return candidate
        parent = os.path.dirname(folder)
        parent_key = _stat_key(parent)
        if parent_key == folder_key or parent_key == home_key:
            return None
        folder, folder_key = parent, parent_key


def find_pyproject(start: str) -> str | None:
    folder = os.path.abspath(start)
    while True:
        candidate = os.path.join(folder, "pyproject.toml")
        if os.path.isfile(candidate):
            return candidate
        parent = os.path.dirname(folder)
        if parent == folder:
            return None
        folder = parent


def _load_toml(path: str) -> dict[str, Any]:
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - exercised on 3.9/3.10
        import tomli as tomllib
    try:
        with open(path, "rb") as handle:
            data: dict[str, Any] = tomllib.load(handle)
            return data
    except (OSError, ValueError) as exc:
        raise ConfigError(f"{path}: cannot read: {exc}") from None


def _toml_values(table: dict[str, Any]) -> dict[str, str]:
    values = {}
    for key, value in table.items():
        if isinstance(value, list):
            value = ",".join(str(v) for v in value)
        elif isinstance(value, bool):
            value = "true" if value else "false"
        values[_normal(key)] = str(value)
    return values


def load_config(start: str = ".", config_file: str | None = None) -> Config:
    config = Config(root=os.path.abspath(start))
    flake8_file = config_file or find_flake8_config(start)
    # Flake8-pyproject: [tool.flake8] in the current folder's pyproject.toml replaces the rest.
    here = os.path.join(os.path.abspath(start), "pyproject.toml")
    if os.path.isfile(here):
        table = _load_toml(here).get("tool", {}).get("flake8")
        if isinstance(table, dict):
            config.values.update(_toml_values(table))
            config.root = os.path.dirname(here)
            config.files.append(here)
            flake8_file = None
    if flake8_file is not None:
        parser = configparser.RawConfigParser()
        try:
            if not parser.read(flake8_file, encoding="utf-8"):
                raise ConfigError(f"{flake8_file}: cannot read")
        except (configparser.Error, UnicodeDecodeError) as exc:
            raise ConfigError(f"{flake8_file}: cannot read: {exc}") from None
        if parser.has_section("flake8"):
            config.values.update({_normal(k): v for k, v in parser.items("flake8")})
        config.root = os.path.dirname(os.path.abspath(flake8_file))
        config.files.append(flake8_file)
    pyproject = find_pyproject(start)
    if pyproject is not None:
        table = _load_toml(pyproject).get("tool", {}).get(PYPROJECT_TABLE)
        if isinstance(table, dict):
            config.values.update(_toml_values(table))
            if pyproject not in config.files:
                config.files.append(pyproject)
    return config


def settings_from_options(option: Callable[[str], str | None]) -> Settings:
    """The core's `Settings` from option values looked up by name (`option("sqla-pool-recycle")`).

    SettingsError names the option whose value cannot be used.
    """
    return Settings.build(
        session_names=option("sqla-session-names"),
        session_factories=option("sqla-session-factories"),
        max_pool_recycle=option("sqla-max-pool-recycle"),
        pool_recycle=option("sqla-pool-recycle"),
        src=option("sqla-src"),
        django_settings=option("sqla-django-settings"),
        cache_dir="off" if truthy(option("sqla-no-cache")) else option("sqla-cache-dir"),
    )


def truthy(value: str | None) -> bool:
    """Whether a flag's value (from a command line or a config file) says yes."""
    return (value or "").strip().lower() in ("1", "true", "yes", "on")


def selection_from_options(option: Callable[[str], str | None], root: str) -> Selection:
    """The code selection (select, ignore, per-file-ignores relative to `root`) from option values."""
    return build_selection(
        option("select"),
        option("extend-select"),
        option("ignore"),
        option("extend-ignore"),
        option("per-file-ignores"),
        root=root,
    )
