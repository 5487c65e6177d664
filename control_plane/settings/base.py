"""The base of every settings section."""

from __future__ import annotations

from pydantic_settings import BaseSettings, SettingsConfigDict


class Section(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore", frozen=True)
