"""Requests per second over real HTTP: gunicorn (2 workers by default) and wrk, with demo data.

    apt-get install wrk   # the load generator (Debian package)
    .venv/bin/python bench/http_load.py [--workers 2] [--seconds 10] [--volunteers 2000]
    BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/bench .venv/bin/python bench/http_load.py

The aim for daily pages is 1,000 requests/s on two cores. wrk runs on the same two cores, so the
figures here are a lower bound."""
from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from http.cookiejar import CookieJar
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import csrf_token, database_url, free_port  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--volunteers", type=int, default=2000)
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is not installed: apt-get install wrk")
    url, tmp = database_url("http")
    env = {**os.environ, "APP_ENV": "development", "DATABASE_URL": url, "LOG_LEVEL": "WARNING",
           "RATELIMIT_ENABLED": "0", "SECRET_KEY": "bench-" + "x" * 40}
    flask = [str(Path(sys.executable).with_name("flask")), "--app", "wsgi"]
    if url.startswith("postgresql"):
        from sqlalchemy import create_engine

        engine = create_engine(url)  # start from an empty schema
        with engine.begin() as conn:
            conn.exec_driver_sql("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
        engine.dispose()
    subprocess.run(flask + ["db", "upgrade"], env=env, cwd=ROOT, check=True, capture_output=True)
    subprocess.run(flask + ["seed-demo", "--volunteers", str(args.volunteers)], env=env, cwd=ROOT,
                   check=True, capture_output=True)
    port = free_port()
    gunicorn = subprocess.Popen(
        [str(Path(sys.executable).with_name("gunicorn")), "-w", str(args.workers), "-b", f"127.0.0.1:{port}",
         "--log-level", "warning", "wsgi:app"], env=env, cwd=ROOT)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(base + "/healthz", timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        jar = CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        page = opener.open(base + "/login").read().decode()
        token = csrf_token(page)
        data = urllib.parse.urlencode({"email": "koordination.brackel-aplerbeck@willkommen.example",
                                       "password": "willkommen-demo", "csrf_token": token}).encode()
        opener.open(base + "/login", data=data)
        cookie = "; ".join(f"{c.name}={c.value}" for c in jar)
        print(f"database: {url.split(':')[0]}, gunicorn workers: {args.workers}, {args.volunteers} volunteers")
        for path, auth in [("/healthz", False), ("/login", False), ("/", False), ("/home", True),
                           ("/offices/", True), ("/offices/1", True)]:
            cmd = ["wrk", "-t2", "-c16", f"-d{args.seconds}s", base + path]
            if auth:
                cmd[1:1] = ["-H", f"Cookie: {cookie}"]
            out = subprocess.run(cmd, capture_output=True, text=True).stdout
            rps = re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)
            latency = re.search(r"Latency\s+(\S+)", out).group(1)
            errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
            print(f"{path:<14} {float(rps):>8.0f} req/s   mean latency {latency}"
                  + (f"   NON-2xx: {errors.group(1)}" if errors else ""))
    finally:
        gunicorn.send_signal(signal.SIGTERM)
        gunicorn.wait(timeout=10)
        if tmp:
            tmp.cleanup()


if __name__ == "__main__":
    main()
