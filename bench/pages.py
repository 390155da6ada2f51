"""Speed of the pages people use daily, in one process (no network), with the demo data.

Prints, per page: SQL statements per request, mean milliseconds and requests/s on one core.
The platform's aim is 1,000 requests/s on two cores for such pages (25 × what today's shift
planners manage); one core's figure here is the upper bound per gunicorn worker.

    .venv/bin/python bench/pages.py [--volunteers 2000] [--seconds 3]
    BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/bench .venv/bin/python bench/pages.py
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


from app import create_app  # noqa: E402
from app.extensions import db  # noqa: E402
from bench.common import database_url, login, statements_seen  # noqa: E402
from config import DevelopmentConfig  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--volunteers", type=int, default=2000)
    parser.add_argument("--seconds", type=float, default=3.0)
    args = parser.parse_args()
    url, tmp = database_url("pages")
    app = create_app(DevelopmentConfig, SQLALCHEMY_DATABASE_URI=url, RATELIMIT_ENABLED=False,
                     LOG_LEVEL="WARNING")
    with app.app_context():
        db.drop_all()
        db.create_all()
        from app.core.demo import seed_demo

        seed_demo(volunteers=args.volunteers)
    pw = app.config["DEMO_PASSWORD"]
    clients = {}
    for role, email in [("volunteer", "ehrenamt001@willkommen.example"),
                        ("coordinator", "koordination.brackel-aplerbeck@willkommen.example"),
                        ("admin", "admin@willkommen.example")]:
        clients[role] = app.test_client()
        login(clients[role], email, pw)
    clients["anonymous"] = app.test_client()
    pages = [("anonymous", "/login"), ("anonymous", "/healthz"), ("volunteer", "/home"),
             ("coordinator", "/home"), ("coordinator", "/offices/"), ("coordinator", "/offices/1"),
             ("admin", "/admin/accounts?role=volunteer"), ("admin", "/admin/outbox")]
    with app.app_context():
        engine = db.engine
    print(f"database: {url.split(':')[0]}, {args.volunteers} volunteers")
    print(f"{'page':<42} {'SQL':>4} {'ms':>7} {'req/s':>7}")
    for role, path in pages:
        client = clients[role]
        assert client.get(path).status_code == 200, path
        with statements_seen(engine) as statements:
            client.get(path)
        n_sql = len(statements)
        count, started = 0, time.perf_counter()
        while time.perf_counter() - started < args.seconds:
            client.get(path)
            count += 1
        elapsed = time.perf_counter() - started
        print(f"{role + ' ' + path:<42} {n_sql:>4} {elapsed / count * 1000:>7.2f} {count / elapsed:>7.0f}")
    if tmp:
        tmp.cleanup()


if __name__ == "__main__":
    main()
