"""Backend configuration for finance_report.

Note: values come from Vault.
Production and staging render them through secrets.ctmpl; local development
reads .env (see .env.example).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Annotated, ClassVar, Literal

from pydantic import Field, PostgresDsn, SecretStr, computed_field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


class Settings(BaseSettings):
    """Application settings.

    Note: values come from Vault in production.
    DEBUG: never true in production.
    """

    # .env also carries compose and frontend variables; empty (the templates' fallback) = default.
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore", env_ignore_empty=True)

    SUPPORTED_CURRENCIES: ClassVar[tuple[str, ...]] = ("SGD", "USD", "EUR", "CNY")

    # Database and cache
    database_url: PostgresDsn = Field(
        default="postgresql+asyncpg://postgres:postgres@localhost:5432/finance_report",
        validation_alias="DATABASE_URL",
        description="PostgreSQL connection string",
    )
    redis_url: str | None = Field(
        default=None,
        validation_alias="REDIS_URL",
        description="Redis connection (prod/staging only)",
    )

    # Object storage (MinIO / S3)
    s3_endpoint: str = Field(
        default="http://localhost:9000",
        validation_alias="S3_ENDPOINT",
        description="MinIO/S3 endpoint",
    )
    s3_access_key: SecretStr = Field(validation_alias="S3_ACCESS_KEY", description="S3 access key")
    s3_secret_key: SecretStr = Field(validation_alias="S3_SECRET_KEY", description="S3 secret key")
    s3_bucket: str = Field(
        default="finance-report-local",
        validation_alias="S3_BUCKET",
        description="Bucket name",
        min_length=3,
        max_length=63,
    )

    # AI features
    openrouter_api_key: SecretStr = Field(
        default=SecretStr(""),
        validation_alias="OPENROUTER_API_KEY",
        description="AI features (can be empty to disable)",
    )
    primary_model: str = Field(
        default="google/gemini-2.0-flash-exp:free",
        validation_alias="PRIMARY_MODEL",
        description="Primary OpenRouter model",
    )
    fallback_models: Annotated[list[str], NoDecode] = Field(
        default=["qwen/qwen-2.5-72b-instruct:free", "nvidia/llama-3.1-nemotron-70b-instruct:free"],
        validation_alias="FALLBACK_MODELS",
        description="Comma-separated fallback models",
    )
    openrouter_daily_limit_usd: float = Field(
        default=2.0,
        ge=0,
        validation_alias="OPENROUTER_DAILY_LIMIT_USD",
        description="Daily OpenRouter spend limit in USD",
    )

    # Auth
    webhook_secret: SecretStr = Field(validation_alias="WEBHOOK_SECRET", description="Webhook signing secret")
    secret_key: SecretStr = Field(validation_alias="SECRET_KEY", description="JWT signing key")
    jwt_algorithm: Literal["HS256", "HS384", "HS512"] = "HS256"
    access_token_expire_minutes: int = Field(
        default=1440,
        ge=1,
        description="Token lifetime in minutes",
    )
    cors_origins: list[str] = Field(
        default=["http://localhost:3000"],
        validation_alias="CORS_ORIGINS",
        description="Allowed origins (JSON list)",
    )

    # Application
    debug: bool = Field(default=True, description="Never true in prod")
    base_currency: str = Field(
        default="SGD",
        min_length=3,
        max_length=3,
        pattern=r"^[A-Z]{3}$",
        description="Base accounting currency",
    )

    # Observability (optional but recommended)
    otel_exporter_otlp_endpoint: str = Field(
        default="",
        validation_alias="OTEL_EXPORTER_OTLP_ENDPOINT",
        description="OTLP collector endpoint; empty disables tracing",
    )
    otel_service_name: str = Field(
        default="finance-report-backend",
        validation_alias="OTEL_SERVICE_NAME",
        description="Service name reported to the collector",
    )
    otel_resource_attributes: str = Field(
        default="",
        validation_alias="OTEL_RESOURCE_ATTRIBUTES",
        description="Extra resource attributes, key=value pairs",
    )

    # Frontend reference: links back to the web app (OAuth redirects, email links)
    next_public_app_url: str = Field(
        default="http://localhost:3000",
        validation_alias="NEXT_PUBLIC_APP_URL",
    )

    _warned: bool = False

    @field_validator("fallback_models", mode="before")
    @classmethod
    def _split_models(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @computed_field  # type: ignore[prop-decorator]
    @property
    def ai_enabled(self) -> bool:
        return bool(self.openrouter_api_key.get_secret_value())

    def cors_headers(self) -> dict[str, str]:
        pairs: dict[str, str] = {}
        origin: str = ",".join(self.cors_origins)
        pairs["Access-Control-Allow-Origin"] = origin
        return pairs


@lru_cache
def get_settings() -> Settings:
    return Settings()  # type: ignore[call-arg]
