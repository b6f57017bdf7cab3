"""Backend configuration for demo.

Production and staging get their values from Vault (deploy/demo/*/secrets.ctmpl, rendered by
vault-agent into /vault/secrets/.env); local development reads .env (see .env.example).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, PostgresDsn, RedisDsn, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Application settings."""

    # An empty value (a template's "" fallback) leaves the default in place.
    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", env_ignore_empty=True
    )

    environment: str = Field(
        default="development",
        validation_alias="ENVIRONMENT",
        description="Deployment environment (production, staging, pr-<N>, development)",
    )
    debug: bool = Field(default=False, validation_alias="DEBUG", description="Never true in production")

    database_url: PostgresDsn = Field(
        default="postgresql://app:app@localhost:5432/demo",
        validation_alias="DATABASE_URL",
        description="PostgreSQL connection string",
    )
    redis_url: RedisDsn = Field(
        default="redis://localhost:6379/0",
        validation_alias="REDIS_URL",
        description="Redis connection",
    )

    base_currency: str = Field(
        default="SGD", validation_alias="BASE_CURRENCY", description="Base accounting currency"
    )
    primary_model: str = Field(
        default="google/gemini-2.0-flash-exp:free",
        validation_alias="PRIMARY_MODEL",
        description="Primary model for AI features",
    )
    ai_daily_limit_usd: float = Field(
        default=2.0, ge=0, validation_alias="AI_DAILY_LIMIT_USD", description="Daily AI spend limit in USD"
    )

    secret_key: SecretStr = Field(
        default=SecretStr(""), validation_alias="SECRET_KEY", description="JWT signing key"
    )
    openrouter_api_key: SecretStr = Field(
        default=SecretStr(""),
        validation_alias="OPENROUTER_API_KEY",
        description="OpenRouter API key (can be empty to disable AI features)",
    )
    s3_access_key: SecretStr = Field(
        default=SecretStr(""), validation_alias="S3_ACCESS_KEY", description="S3 access key"
    )
    s3_secret_key: SecretStr = Field(
        default=SecretStr(""), validation_alias="S3_SECRET_KEY", description="S3 secret key"
    )
    s3_bucket: str = Field(
        default="demo-local", min_length=3, max_length=63, validation_alias="S3_BUCKET", description="Bucket name"
    )

    jwt_algorithm: Literal["HS256", "HS384", "HS512"] = Field(
        default="HS256", validation_alias="JWT_ALGORITHM", description="JWT algorithm"
    )
    access_token_expire_minutes: int = Field(
        default=1440, validation_alias="ACCESS_TOKEN_EXPIRE_MINUTES", description="Token lifetime in minutes"
    )

    worker_concurrency: int = Field(
        default=4, ge=1, validation_alias="WORKER_CONCURRENCY", description="Worker concurrency"
    )
    mail_from_name: str = Field(
        default="Demo Ledger",
        validation_alias="MAIL_FROM_NAME",
        description="Display name the worker signs its e-mails with",
    )


settings = Settings()
