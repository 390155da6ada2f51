"""Configuration classes. Every value comes from the environment (a `.env` file is honoured)."""
from __future__ import annotations

import os
from pathlib import Path

from dotenv import load_dotenv

BASE_DIR = Path(__file__).resolve().parent
load_dotenv(BASE_DIR / ".env")

INSECURE_DEFAULT_KEY = "dev-insecure-change-me"


def _bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value not in (None, "") else default


class Config:
    SECRET_KEY = os.environ.get("SECRET_KEY", INSECURE_DEFAULT_KEY)
    SQLALCHEMY_DATABASE_URI = os.environ.get(
        "DATABASE_URL", f"sqlite:///{BASE_DIR / 'instance' / 'willkommen.sqlite'}"
    )
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    SQLALCHEMY_RECORD_QUERIES = False

    # The public address, used in links inside mails sent by the worker (no request there).
    BASE_URL = os.environ.get("BASE_URL", "http://127.0.0.1:5000")

    # Sessions and "remember me" cookies.
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = _bool("SESSION_COOKIE_SECURE", False)
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SECURE = _bool("SESSION_COOKIE_SECURE", False)
    REMEMBER_COOKIE_DURATION = 60 * 60 * 24 * _int("REMEMBER_DAYS", 30)

    WTF_CSRF_ENABLED = True
    WTF_CSRF_TIME_LIMIT = None  # tied to the session; a form left open over lunch still works

    # Languages: German is the default, English complete beside it.
    LANGUAGES = ["de", "en"]
    BABEL_DEFAULT_LOCALE = "de"
    BABEL_DEFAULT_TIMEZONE = "Europe/Berlin"
    BABEL_TRANSLATION_DIRECTORIES = str(BASE_DIR / "app" / "translations")

    # Signed links: lifetimes in seconds.
    CONFIRM_LINK_MAX_AGE = _int("CONFIRM_LINK_MAX_AGE", 3 * 24 * 3600)
    RESET_LINK_MAX_AGE = _int("RESET_LINK_MAX_AGE", 2 * 3600)

    # Rate limits (Flask-Limiter). memory:// works without a server; use redis:// in production.
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
    RATELIMIT_ENABLED = _bool("RATELIMIT_ENABLED", True)
    RATELIMIT_HEADERS_ENABLED = True
    RATELIMIT_AUTH = os.environ.get("RATELIMIT_AUTH", "10 per minute;50 per hour")

    # Mail. MAIL_TRANSPORT: "sink" writes mails to instance/mail/ and the log; "smtp" sends.
    MAIL_TRANSPORT = os.environ.get("MAIL_TRANSPORT", "sink")
    MAIL_SINK_DIR = os.environ.get("MAIL_SINK_DIR", str(BASE_DIR / "instance" / "mail"))
    MAIL_SERVER = os.environ.get("MAIL_SERVER", "localhost")
    MAIL_PORT = _int("MAIL_PORT", 25)
    MAIL_USE_TLS = _bool("MAIL_USE_TLS", False)
    MAIL_USE_SSL = _bool("MAIL_USE_SSL", False)
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME")
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD")
    MAIL_DEFAULT_SENDER = os.environ.get(
        "MAIL_DEFAULT_SENDER", "Willkommen Dortmund <noreply@willkommen.example>"
    )
    MAIL_TIMEOUT = _int("MAIL_TIMEOUT", 30)
    MAIL_BATCH_SIZE = _int("MAIL_BATCH_SIZE", 200)
    MAIL_MAX_ATTEMPTS = _int("MAIL_MAX_ATTEMPTS", 12)
    MAIL_RETRY_BASE_SECONDS = _int("MAIL_RETRY_BASE_SECONDS", 60)
    # A mail claimed by a worker that died is handed out again after this long (at-least-once).
    MAIL_CLAIM_TIMEOUT = _int("MAIL_CLAIM_TIMEOUT", 600)
    MAIL_POLL_SECONDS = _int("MAIL_POLL_SECONDS", 5)
    REMINDER_DAYS_BEFORE = _int("REMINDER_DAYS_BEFORE", 2)

    # Number of reverse proxies in front of the app whose X-Forwarded-* headers are trusted.
    PROXY_FIX = _int("PROXY_FIX", 0)
    LOG_LEVEL = os.environ.get("LOG_LEVEL", "INFO")
    DEMO_PASSWORD = os.environ.get("DEMO_PASSWORD", "willkommen-demo")

    # The operator of this site, shown in the Impressum (§ 5 DDG) and named as controller on the
    # privacy page. The defaults are placeholders for development: set every OPERATOR_* variable
    # for production (the pages say "placeholder" until OPERATOR_NAME is set).
    OPERATOR_IS_PLACEHOLDER = not os.environ.get("OPERATOR_NAME")
    OPERATOR_NAME = os.environ.get("OPERATOR_NAME", "[Platzhalter] Stadt Dortmund – Sozialamt")
    OPERATOR_STREET = os.environ.get("OPERATOR_STREET", "[Platzhalter] Musterstraße 1")
    OPERATOR_POSTCODE = os.environ.get("OPERATOR_POSTCODE", "44135")
    OPERATOR_CITY = os.environ.get("OPERATOR_CITY", "Dortmund")
    OPERATOR_REPRESENTATIVE = os.environ.get("OPERATOR_REPRESENTATIVE", "[Platzhalter] Vorname Nachname, Leitung")
    OPERATOR_EMAIL = os.environ.get("OPERATOR_EMAIL", "kontakt@willkommen.example")
    OPERATOR_PHONE = os.environ.get("OPERATOR_PHONE", "+49 231 0000000")
    OPERATOR_CONTENT_RESPONSIBLE = os.environ.get("OPERATOR_CONTENT_RESPONSIBLE", "[Platzhalter] Vorname Nachname, Anschrift wie oben")
    OPERATOR_VAT_ID = os.environ.get("OPERATOR_VAT_ID", "")  # only where there is one
    OPERATOR_REGISTER = os.environ.get("OPERATOR_REGISTER", "")  # e.g. "Vereinsregister Dortmund VR 1234"
    OPERATOR_DPO_NAME = os.environ.get("OPERATOR_DPO_NAME", "[Platzhalter] Datenschutzbeauftragte")
    OPERATOR_DPO_EMAIL = os.environ.get("OPERATOR_DPO_EMAIL", "datenschutz@willkommen.example")
    OPERATOR_DPO_ADDRESS = os.environ.get("OPERATOR_DPO_ADDRESS", "")  # empty: the operator's address


class DevelopmentConfig(Config):
    DEBUG = _bool("FLASK_DEBUG", False)


class TestingConfig(Config):
    TESTING = True
    SECRET_KEY = "testing-secret-key"
    SQLALCHEMY_DATABASE_URI = os.environ.get("TEST_DATABASE_URL", "sqlite://")
    MAIL_TRANSPORT = "smtp"
    MAIL_SUPPRESS_SEND = True  # Flask-Mail records, nothing leaves the process
    RATELIMIT_STORAGE_URI = "memory://"
    SERVER_NAME = None
    BASE_URL = "http://localhost"
    MAIL_RETRY_BASE_SECONDS = 1
    PASSWORD_HASH_FAST = True


class ProductionConfig(Config):
    SESSION_COOKIE_SECURE = _bool("SESSION_COOKIE_SECURE", True)
    REMEMBER_COOKIE_SECURE = _bool("SESSION_COOKIE_SECURE", True)
    MAIL_TRANSPORT = os.environ.get("MAIL_TRANSPORT", "smtp")
    PREFERRED_URL_SCHEME = "https"

    @classmethod
    def validate(cls) -> None:
        key = os.environ.get("SECRET_KEY", "")
        if not key or key == INSECURE_DEFAULT_KEY or len(key) < 32:
            raise RuntimeError(
                "Production needs a real SECRET_KEY (at least 32 random characters), "
                "e.g. python -c 'import secrets; print(secrets.token_urlsafe(48))'"
            )
        if not os.environ.get("DATABASE_URL"):
            raise RuntimeError("Production needs DATABASE_URL (PostgreSQL).")


CONFIGS = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}


def get_config(name: str | None = None) -> type[Config]:
    name = name or os.environ.get("APP_ENV", "development")
    try:
        return CONFIGS[name]
    except KeyError:
        raise RuntimeError(f"Unknown APP_ENV {name!r}; use one of {sorted(CONFIGS)}") from None
