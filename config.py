"""Configuration classes. Every value comes from the environment (a `.env` file is honoured)."""
from __future__ import annotations

import math
import os
import tempfile
from collections import Counter
from pathlib import Path

from dotenv import load_dotenv

BASE_DIR = Path(__file__).resolve().parent
load_dotenv(BASE_DIR / ".env")

INSECURE_DEFAULT_KEY = "dev-insecure-change-me"
TESTING_KEY = "testing-secret-key"
# Values that appear in docs, examples and this code: public, so never a production key.
KNOWN_KEYS = {INSECURE_DEFAULT_KEY, TESTING_KEY, "change-me", "changeme", "secret", "secret-key",
              "your-secret-key", "replace-me"}
PLACEHOLDER_WORDS = ("change-me", "changeme", "change_me", "insecure", "replace-me", "your-secret",
                     "example", "secret-key", "secretkey", "password")
GENERATE_KEY_HINT = "python -c 'import secrets; print(secrets.token_urlsafe(48))'"


def _bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value not in (None, "") else default


# ---------------------------------------------------------------- the secret key
def secret_key_problem(key: str | None) -> str | None:
    """Why `key` is no secret (None if it looks like real randomness).

    Length alone proves nothing ("x" * 48 is long): a key must not be a known or placeholder
    value, must use enough different characters, must carry enough entropy by Shannon's estimate
    and must not be made of a repeated pattern or a run like "abcdef…". Keys from
    secrets.token_urlsafe(32) or token_hex(16) and longer always pass.
    """
    if not key:
        return "it is not set"
    if key in KNOWN_KEYS or key.strip().lower() in KNOWN_KEYS:
        return "it is a publicly known default"
    lowered = key.lower()
    if any(word in lowered for word in PLACEHOLDER_WORDS):
        return "it looks like a placeholder"
    n = len(key)
    if n < 32:
        return f"it has {n} characters, at least 32 are needed"
    distinct = len(set(key))
    if distinct < 8:
        return f"it uses only {distinct} different characters"
    for period in range(1, n // 2 + 1):
        if key[period:] == key[:-period]:
            return "it repeats a pattern"
    trigrams = [key[i:i + 3] for i in range(n - 2)]
    if len(set(trigrams)) < 0.6 * len(trigrams):
        return "it repeats a pattern"
    steps = sum(1 for a, b in zip(key, key[1:]) if abs(ord(a) - ord(b)) <= 1)
    if steps > 0.6 * (n - 1):
        return "it is a run of neighbouring characters"
    per_char = -sum(c / n * math.log2(c / n) for c in Counter(key).values())
    if per_char < 2.5 or per_char * n < 80:
        return f"its estimated entropy is too low ({per_char * n:.0f} bits, at least 80 needed)"
    return None


def development_secret_key(instance_path: str | os.PathLike) -> str:
    """A random key made once and kept in instance/secret_key (mode 0600), so sessions survive
    a restart and the web server and the worker share it. Never a public constant."""
    import secrets

    path = Path(instance_path) / "secret_key"
    try:
        key = path.read_text().strip()
    except FileNotFoundError:
        key = ""
    if not key:
        path.parent.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(48)
        # Written to a private temporary file, then linked into place: a second process
        # starting at the same moment either wins or reads the complete key of the first.
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".secret_key.")  # mode 0600
        try:
            with os.fdopen(fd, "w") as f:
                f.write(key + "\n")
            try:
                os.link(tmp, path)
            except FileExistsError:
                key = path.read_text().strip()
        finally:
            os.unlink(tmp)
    if path.stat().st_mode & 0o077:
        os.chmod(path, 0o600)
    return key


# ---------------------------------------------------------------- the database
def engine_options(uri: str) -> dict:
    """SQLAlchemy engine options for the final database URL.

    PostgreSQL gets time-outs, so a database that accepts connections but never answers costs a
    request a few seconds and a 503, not a gunicorn worker: connecting (DB_CONNECT_TIMEOUT s),
    waiting for a pooled connection (DB_POOL_TIMEOUT s), each statement
    (DB_STATEMENT_TIMEOUT_MS), each lock (DB_LOCK_TIMEOUT_MS) and a transaction left idle
    (DB_IDLE_IN_TRANSACTION_TIMEOUT_MS). 0 switches a server-side time-out off. JIT compilation
    is off (DB_JIT=on switches it on).
    """
    options: dict = {"pool_pre_ping": True}
    if uri.startswith(("postgresql", "postgres")):
        settings = {
            "statement_timeout": _int("DB_STATEMENT_TIMEOUT_MS", 15000),
            "lock_timeout": _int("DB_LOCK_TIMEOUT_MS", 5000),
            "idle_in_transaction_session_timeout": _int("DB_IDLE_IN_TRANSACTION_TIMEOUT_MS", 60000),
            # JIT compilation of a statement costs more than it saves for this app's statements,
            # which run in milliseconds on a few thousand rows: a candidate list's 16 of 104 ms,
            # a directory export's 0.9 of 2.2 s. DB_JIT=on gives it back.
            "jit": "on" if os.environ.get("DB_JIT", "off").lower() in ("1", "on", "true", "yes") else "off",
        }
        options["pool_timeout"] = _int("DB_POOL_TIMEOUT", 5)
        # the connection used last is handed out next: it holds the statements PostgreSQL has
        # prepared (app.core.readcommit), and idle ones beyond need are left to time out
        options["pool_use_lifo"] = True
        options["connect_args"] = {
            "connect_timeout": _int("DB_CONNECT_TIMEOUT", 5),
            "options": " ".join(f"-c {name}={value}" for name, value in settings.items()),
        }
    return options


class Config:
    # None: taken from the environment when the app is made (see create_app): development
    # then falls back to a random key in instance/secret_key, production refuses to start.
    SECRET_KEY: str | None = None
    SQLALCHEMY_DATABASE_URI = os.environ.get(
        "DATABASE_URL", f"sqlite:///{BASE_DIR / 'instance' / 'willkommen.sqlite'}"
    )
    # Built from the final URL in create_app (time-outs for PostgreSQL, see engine_options);
    # whatever is given here or as an override wins key by key.
    SQLALCHEMY_ENGINE_OPTIONS: dict = {}
    SQLALCHEMY_RECORD_QUERIES = False

    # The public address, used in links inside mails sent by the worker (no request there).
    BASE_URL = os.environ.get("BASE_URL", "http://127.0.0.1:5000")
    # Development without BASE_URL: mailed links use the address the page was opened at (another
    # port works without setting anything). Never in production: the Host header is the
    # client's to choose, and a reset link must not point to an attacker's host.
    BASE_URL_FROM_REQUEST = False

    # The largest request body (a spreadsheet upload is the largest: the shift import takes files
    # of up to 2 MB). Beyond it the request is refused with 413 before it is read (the 413 page
    # says so plainly).
    MAX_CONTENT_LENGTH = _int("MAX_CONTENT_LENGTH", 4 * 1024 * 1024)
    # The largest form field that is no file (Werkzeug's default is 500 kB): the shift import's
    # confirmation carries the previewed rows, signed and compressed: about 330 kB for 500 rows
    # of random text at the longest the import allows, more with non-Latin scripts.
    MAX_FORM_MEMORY_SIZE = _int("MAX_FORM_MEMORY_SIZE", 2 * 1024 * 1024)

    # Sessions and "remember me" cookies.
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = _bool("SESSION_COOKIE_SECURE", False)
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SECURE = _bool("SESSION_COOKIE_SECURE", False)
    REMEMBER_COOKIE_DURATION = 60 * 60 * 24 * _int("REMEMBER_DAYS", 30)
    # A session without "remember me" ends after this many hours without use (server-side).
    SESSION_IDLE_HOURS = _int("SESSION_IDLE_HOURS", 12)

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
    # Wrong passwords per account from browsers that never logged in to it, and per known browser.
    LOGIN_FAILURES_PER_ACCOUNT = os.environ.get("LOGIN_FAILURES_PER_ACCOUNT", "5 per 15 minutes")
    LOGIN_FAILURES_KNOWN_DEVICE = os.environ.get("LOGIN_FAILURES_KNOWN_DEVICE", "10 per 15 minutes")
    # memory:// counts per process: production refuses it unless this says that is intended
    # (a single process); the app then warns at every start.
    RATELIMIT_PER_PROCESS_OK = _bool("RATELIMIT_PER_PROCESS_OK", False)

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
    # The mail worker runs the periodic jobs (app.core.jobs) each round; 0 leaves them to
    # `flask jobs run` from cron.
    JOBS_ENABLED = _bool("JOBS_ENABLED", True)

    # Matching (app.matching): proposals a volunteer gets per 7 days at most (a hard condition of
    # every candidate list), and days a volunteer has to answer a proposal.
    MATCHING_WEEKLY_CAP = _int("MATCHING_WEEKLY_CAP", 3)
    MATCHING_ANSWER_DAYS = _int("MATCHING_ANSWER_DAYS", 3)

    # Cached public activity pages and API answers (app.activities.cache). SimpleCache is per
    # process (correct with several workers: keys carry a version read from the database);
    # RedisCache with CACHE_REDIS_URL shares one cache between processes.
    CACHE_TYPE = os.environ.get("CACHE_TYPE", "SimpleCache")
    CACHE_REDIS_URL = os.environ.get("CACHE_REDIS_URL", "")
    CACHE_KEY_PREFIX = os.environ.get("CACHE_KEY_PREFIX", "willkommen:")
    CACHE_DEFAULT_TIMEOUT = _int("CACHE_DEFAULT_TIMEOUT", 300)
    CACHE_THRESHOLD = _int("CACHE_THRESHOLD", 2000)  # SimpleCache: entries per process
    # How long a cached page may live at most (what changes with the clock alone: a date that
    # has begun, a deadline that has passed); every change of data drops it at once anyway.
    ACTIVITY_CACHE_SECONDS = _int("ACTIVITY_CACHE_SECONDS", 60)
    # A signed-in person's daily pages (activity page, roster, attendance screen) kept for them in
    # this process (app.core.viewerpages): at most this long (0: never kept) and this many pages
    # per process, the oldest going first. Every change of what a page shows drops it at once.
    VIEWER_PAGE_SECONDS = _int("VIEWER_PAGE_SECONDS", 60)
    VIEWER_PAGE_ENTRIES = _int("VIEWER_PAGE_ENTRIES", 200)
    # Answers to visitors who send no cookie (the cached public pages, the API) kept as bytes in
    # front of Flask (app.core.frontcache): at most this many per process (0: off) and this many
    # bytes of them in all. Each use still checks the version in the database.
    FRONT_CACHE_ENTRIES = _int("FRONT_CACHE_ENTRIES", 1000)
    FRONT_CACHE_BYTES = _int("FRONT_CACHE_BYTES", 32 << 20)
    # The Ehrenamtskarte NRW: hours given in the last 12 months from which the coordinators'
    # list suggests the card (app.activities.hours).
    EHRENAMTSKARTE_HOURS = _int("EHRENAMTSKARTE_HOURS", 250)
    # Cache-Control max-age of the public API's answers.
    API_MAX_AGE = _int("API_MAX_AGE", 60)

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
    BASE_URL_FROM_REQUEST = "BASE_URL" not in os.environ


class TestingConfig(Config):
    TESTING = True
    SECRET_KEY = TESTING_KEY
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
    def validate(cls, config: dict | None = None) -> None:
        """Refuse to start with settings that are unsafe in production. `config` is the app's
        final configuration (class, environment and overrides)."""
        config = config if config is not None else {"SECRET_KEY": os.environ.get("SECRET_KEY")}
        problem = secret_key_problem(config.get("SECRET_KEY"))
        if problem:
            raise RuntimeError(
                f"Production needs a random SECRET_KEY; the one given is refused because {problem}. "
                f"Generate one with: {GENERATE_KEY_HINT}"
            )
        if not os.environ.get("DATABASE_URL"):
            raise RuntimeError("Production needs DATABASE_URL (PostgreSQL).")
        storage = str(config.get("RATELIMIT_STORAGE_URI", ""))
        if (config.get("RATELIMIT_ENABLED", True) and storage.startswith("memory://")
                and not config.get("RATELIMIT_PER_PROCESS_OK")):
            raise RuntimeError(
                "RATELIMIT_STORAGE_URI is memory://: every app process (gunicorn worker) would "
                "count log-in attempts on its own, so several workers multiply the limits. Set "
                "RATELIMIT_STORAGE_URI=redis://HOST:6379/0, or RATELIMIT_PER_PROCESS_OK=1 if the "
                "app really runs as one process."
            )


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
