"""Configuration safety: the secret key (point 7) and rate-limit storage (point 8)."""
from __future__ import annotations

import logging
import os
import secrets
import stat

import pytest

from app import create_app
from config import (
    INSECURE_DEFAULT_KEY,
    DevelopmentConfig,
    ProductionConfig,
    TestingConfig,
    development_secret_key,
    secret_key_problem,
)

GOOD_KEY = "mJ3kV9q_2ZrT8xLwB5nYc4HsA7dUe1Fg-pQo6RtWiKy"  # token_urlsafe(32)-like, fixed


@pytest.fixture
def production_env(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://x@localhost/x")
    monkeypatch.setenv("SECRET_KEY", GOOD_KEY)
    return monkeypatch


# ---------------------------------------------------------------- point 7: the secret key
@pytest.mark.parametrize("key", [
    None, "", "short", INSECURE_DEFAULT_KEY, "testing-secret-key",
    "x" * 48,                                   # long, one character
    "ab" * 24,                                  # long, two characters
    "0123456789abcdef0123456789abcdef",         # a repeated run
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJ",     # neighbouring characters
    "correcthorsebatterystaplecorrecthorsebatterystaple",  # a repeated phrase
    "please-change-me-before-going-live-1234567890",       # a placeholder
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaabcdefgh",         # 8 characters, nearly all one
    "1111122222333334444455555666667777788888",            # low entropy
])
def test_weak_keys_are_refused(key):
    assert secret_key_problem(key) is not None


def test_random_keys_pass():
    for _ in range(300):
        for key in (secrets.token_urlsafe(32), secrets.token_urlsafe(48), secrets.token_hex(16),
                    secrets.token_hex(32)):
            assert secret_key_problem(key) is None, key


def test_production_refuses_weak_keys_with_a_clear_error(production_env):
    for key in ("x" * 48, INSECURE_DEFAULT_KEY, "short"):
        production_env.setenv("SECRET_KEY", key)
        with pytest.raises(RuntimeError, match=r"SECRET_KEY.*secrets\.token_urlsafe"):
            create_app(ProductionConfig, RATELIMIT_PER_PROCESS_OK=True)
    production_env.delenv("SECRET_KEY")
    with pytest.raises(RuntimeError, match="SECRET_KEY.*not set"):
        create_app(ProductionConfig, RATELIMIT_PER_PROCESS_OK=True)
    production_env.setenv("SECRET_KEY", GOOD_KEY)
    app = create_app(ProductionConfig, RATELIMIT_PER_PROCESS_OK=True)
    assert app.config["SECRET_KEY"] == GOOD_KEY and app.config["SESSION_COOKIE_SECURE"] is True


def test_development_without_a_key_gets_a_random_one_kept_in_instance(monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    app = create_app(DevelopmentConfig)
    key = app.config["SECRET_KEY"]
    assert key and key != INSECURE_DEFAULT_KEY and secret_key_problem(key) is None
    path = os.path.join(app.instance_path, "secret_key")
    assert open(path).read().strip() == key
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert create_app(DevelopmentConfig).config["SECRET_KEY"] == key  # the same after a restart
    # the old public constant, if still in someone's .env, is replaced as well
    monkeypatch.setenv("SECRET_KEY", INSECURE_DEFAULT_KEY)
    assert create_app(DevelopmentConfig).config["SECRET_KEY"] == key
    # a key of one's own is used as given
    monkeypatch.setenv("SECRET_KEY", GOOD_KEY)
    assert create_app(DevelopmentConfig).config["SECRET_KEY"] == GOOD_KEY


def test_development_key_file(tmp_path):
    key = development_secret_key(tmp_path)
    assert len(key) >= 60 and stat.S_IMODE((tmp_path / "secret_key").stat().st_mode) == 0o600
    assert development_secret_key(tmp_path) == key
    (tmp_path / "secret_key").chmod(0o644)  # too open: tightened
    assert development_secret_key(tmp_path) == key
    assert stat.S_IMODE((tmp_path / "secret_key").stat().st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["secret_key"]  # no temporary files left
    assert development_secret_key(tmp_path / "other") != key


def test_testing_keeps_its_fixed_key(monkeypatch):
    monkeypatch.setenv("SECRET_KEY", GOOD_KEY)
    assert create_app(TestingConfig).config["SECRET_KEY"] == "testing-secret-key"


def test_a_forged_cookie_signed_with_the_old_public_key_is_worthless(monkeypatch):
    from flask import Flask
    from flask.sessions import SecureCookieSessionInterface

    monkeypatch.delenv("SECRET_KEY", raising=False)
    app = create_app(DevelopmentConfig)
    forger = Flask("forger")
    forger.secret_key = INSECURE_DEFAULT_KEY  # what the public code used to run with
    cookie = SecureCookieSessionInterface().get_signing_serializer(forger).dumps(
        {"_user_id": "1:0", "_fresh": True})
    with pytest.raises(Exception, match="Signature"):
        SecureCookieSessionInterface().get_signing_serializer(app).loads(cookie)


# ---------------------------------------------------------------- point 8: rate-limit storage
def test_production_refuses_per_process_rate_limits(production_env):
    with pytest.raises(RuntimeError, match="RATELIMIT_STORAGE_URI.*redis://.*RATELIMIT_PER_PROCESS_OK"):
        create_app(ProductionConfig, RATELIMIT_STORAGE_URI="memory://")


def test_production_with_opt_in_warns_loudly_at_start(production_env, caplog):
    with caplog.at_level(logging.WARNING):
        create_app(ProductionConfig, RATELIMIT_STORAGE_URI="memory://", RATELIMIT_PER_PROCESS_OK=True)
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING and "PER PROCESS" in r.getMessage()]
    assert len(warnings) == 1


def test_production_with_shared_storage_starts_quietly(production_env, caplog):
    with caplog.at_level(logging.WARNING):
        create_app(ProductionConfig, RATELIMIT_STORAGE_URI="redis://127.0.0.1:6379/0")
    assert not [r for r in caplog.records if "PER PROCESS" in r.getMessage()]

