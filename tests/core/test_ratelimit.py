import socket

import pytest

from app import create_app
from config import TestingConfig
from tests.conftest import submit


def _redis_up() -> bool:
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=0.5).close()
        return True
    except OSError:
        return False


def _app(**overrides):
    from app.extensions import db

    app = create_app(TestingConfig, **overrides)
    with app.app_context():
        db.create_all()
    return app


def test_registration_and_reset_are_rate_limited(client):
    codes = [submit(client, "/forgot-password", {"email": f"x{i}@example.org"}).status_code for i in range(12)]
    assert codes[0] == 200 and codes[-1] == 429
    page = client.get("/register")  # GET stays possible: only attempts are limited
    assert page.status_code == 200


@pytest.mark.skipif(not _redis_up(), reason="Redis not running on 127.0.0.1:6379")
def test_limits_shared_through_redis(make):
    """Several app processes share one counter through Redis (RATELIMIT_STORAGE_URI)."""
    import uuid

    prefix = f"test-{uuid.uuid4().hex}"
    apps = [_app(RATELIMIT_STORAGE_URI="redis://127.0.0.1:6379/0", RATELIMIT_KEY_PREFIX=prefix,
                 RATELIMIT_AUTH="3 per minute") for _ in range(2)]
    clients = [a.test_client() for a in apps]
    codes = [submit(clients[i % 2], "/login", {"email": "a@example.org", "password": "x"}).status_code
             for i in range(4)]
    assert codes == [200, 200, 200, 429]  # the two "processes" count together


def test_proxy_fix_uses_forwarded_client_address(make):
    app = _app(PROXY_FIX=1, RATELIMIT_AUTH="2 per minute")
    client = app.test_client()
    data = {"email": "a@example.org", "password": "x"}
    first = [submit(client, "/login", data, headers={"X-Forwarded-For": "10.0.0.1"}).status_code
             for _ in range(3)]
    assert first == [200, 200, 429]
    # another person behind the same proxy is not punished for the first one's attempts
    assert submit(client, "/login", data, headers={"X-Forwarded-For": "10.0.0.2"}).status_code == 200
