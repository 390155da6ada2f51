"""Requests per second over real HTTP: gunicorn (2 workers by default) and wrk, with demo data.

    apt-get install wrk   # the load generator (Debian package)
    .venv/bin/python bench/http_load.py [--workers 2] [--seconds 10] [--volunteers 2000]
    BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/bench .venv/bin/python bench/http_load.py

After `seed-demo` it adds 500 published activities (one festival with 30 shifts) and a roster of
300 on one slot (bench/activity_data.py, set-based), then serves the app under gunicorn beside a
bare Flask "hello" app (bench/hello_app.py) under the same settings, and loads each with wrk on
loopback in the same run. Printed per page: requests/s, p50 and p95 latency, and the ratio to
hello. wrk runs on the same two cores, so the figures are a lower bound.

The aims: anonymous start page, activity list, activity page and API at least 40 % of hello;
daily pages (the logged-in activity page, the roster, the attendance screen) 1,000 requests/s on
two cores."""
from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from http.cookiejar import CookieJar
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import csrf_token, database_url, free_port  # noqa: E402

LUA_REPORT = """
done = function(summary, latency, requests)
  io.write(string.format("P50 %d\\nP95 %d\\n", latency:percentile(50), latency:percentile(95)))
end
"""
LUA_POST = """
wrk.method = "POST"
wrk.body = "{body}"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
"""


def _serve(module: str, port: int, workers: int, env: dict) -> subprocess.Popen:
    return subprocess.Popen(
        [str(Path(sys.executable).with_name("gunicorn")), "-w", str(workers), "-b", f"127.0.0.1:{port}",
         "--log-level", "warning", module], env=env, cwd=ROOT)


def _wait(url: str) -> None:
    for _ in range(150):
        try:
            urllib.request.urlopen(url, timeout=1)
            return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"{url} did not answer")


# One User-Agent for the log-in and for wrk's requests, as a browser keeps its own: Flask-Login
# ("basic" session protection) marks a session whose browser looks different as no longer fresh,
# which changes — and so re-signs and re-sends — the session cookie on every request, since wrk
# sends the cookie of the log-in again and again. A real browser stores the changed cookie once.
USER_AGENT = "willkommen-bench/1"


def _login(base: str, email: str) -> tuple[urllib.request.OpenerDirector, CookieJar]:
    jar = CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    opener.addheaders = [("User-Agent", USER_AGENT)]
    page = opener.open(base + "/login").read().decode()
    data = urllib.parse.urlencode({"email": email, "password": "willkommen-demo",
                                   "csrf_token": csrf_token(page)}).encode()
    opener.open(base + "/login", data=data)
    return opener, jar


def _cookie(jar: CookieJar) -> str:
    return "; ".join(f"{c.name}={c.value}" for c in jar)


def _wrk(url: str, seconds: int, cookie: str | None = None, script: str = "", headers: tuple[str, ...] = ()) -> dict:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(script + LUA_REPORT)
        lua = f.name
    cmd = ["wrk", "-t2", "-c16", f"-d{seconds}s", "-H", f"User-Agent: {USER_AGENT}", "-s", lua, url]
    if cookie:
        cmd[1:1] = ["-H", f"Cookie: {cookie}"]
    for header in headers:
        cmd[1:1] = ["-H", header]
    out = subprocess.run(cmd, capture_output=True, text=True).stdout
    os.unlink(lua)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
            "p50": int(re.search(r"P50 (\d+)", out).group(1)) / 1000,
            "p95": int(re.search(r"P95 (\d+)", out).group(1)) / 1000,
            "errors": int(errors.group(1)) if errors else 0, "kb": _kb_per_answer(out)}


_UNITS = {"B": 1 / 1024, "KB": 1, "MB": 1024, "GB": 1024 * 1024}


def _kb_per_answer(out: str) -> float:
    """wrk's transfer per second over its requests per second: the size of one answer (headers
    included), in KiB."""
    transfer = re.search(r"Transfer/sec:\s+([\d.]+)(B|KB|MB|GB)", out)
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    return float(transfer.group(1)) * _UNITS[transfer.group(2)] / rps if transfer and rps else 0.0


def _line(name: str, r: dict, hello: float | None) -> str:
    ratio = f"{100 * r['rps'] / hello:5.1f} % of hello" if hello else ""
    return (f"{name:<44} {r['rps']:>8.0f} req/s   p50 {r['p50']:6.2f} ms   p95 {r['p95']:6.2f} ms   {r['kb']:6.1f} KiB   {ratio}"
            + (f"   NON-2xx/3xx: {r['errors']}" if r["errors"] else ""))


def _route(flask: list[str], env: dict, endpoint: str) -> str | None:
    out = subprocess.run(flask + ["routes"], env=env, cwd=ROOT, capture_output=True, text=True).stdout
    for line in out.splitlines():
        parts = line.split()
        if parts and parts[0] == endpoint:
            return parts[-1]
    return None


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--volunteers", type=int, default=2000)
    parser.add_argument("--only", default="", help="load only the pages whose name contains this (e.g. 'logged-in|roster|attendance', a regular expression); hello always")
    args = parser.parse_args()
    wanted = re.compile(args.only) if args.only else None
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
    data = json.loads(subprocess.run([sys.executable, "-m", "bench.activity_data"], env=env, cwd=ROOT, check=True,
                                     capture_output=True, text=True).stdout.strip().splitlines()[-1])
    roster_rule = _route(flask, env, "activities.manage_roster")
    attendance_rule = _route(flask, env, "activities.attendance")
    if not _route(flask, env, "activities.mine"):
        print("note: activities.mine is not in the app yet; a stand-in route serves the mails' link")
    port, hello_port = free_port(), free_port()
    gunicorn = _serve("bench.app_wsgi:app", port, args.workers, env)
    hello_server = _serve("bench.hello_app:app", hello_port, args.workers, env)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait(base + "/healthz")
        _wait(f"http://127.0.0.1:{hello_port}/")
        print(f"load average {os.getloadavg()[0]:.1f}; database: {url.split(':')[0]}, gunicorn workers: {args.workers}, {args.volunteers} volunteers, "
              f"{data['activities']} activities, {data['slots']} slots, {data['signups']} sign-ups")
        hello = _wrk(f"http://127.0.0.1:{hello_port}/", args.seconds)
        print(_line("hello (bare Flask)", hello, None))
        h = hello["rps"]
        # a logged-in volunteer (on two of the festival's shifts) and a coordinator
        _opener, vjar = _login(base, "ehrenamt001@willkommen.example")
        vcookie = _cookie(vjar)
        # the coordinator of the roster's own office (another office's roster answers 404)
        copener, cjar = _login(base, data["roster_coordinator"])
        ccookie = _cookie(cjar)
        for entry in [
            ("anonymous start page /", "/", None),
            ("anonymous activity list /activities/", "/activities/", None),
            ("anonymous list, filtered (kind, free)", "/activities/?kind=language_cafe&free=1", None),
            ("anonymous activity page", f"/activities/{data['activity']}", None),
            ("anonymous festival page (30 roles)", f"/activities/{data['festival']}", None),
            ("API list /api/v1/activities", "/api/v1/activities", None),
            # as browsers and HTTP libraries ask (the answer is kept compressed too, app/activities/api.py)
            ("API list, Accept-Encoding: gzip", "/api/v1/activities", None, ("Accept-Encoding: gzip",)),
            ("API one activity", f"/api/v1/activities/{data['activity']}", None),
            ("logged-in activity page, 30 roles", f"/activities/{data['festival']}", vcookie),
            ("logged-in activity list", "/activities/", vcookie),
            ("/home (volunteer)", "/home", vcookie),
        ]:
            name, path, cookie, *extra = entry
            if wanted is None or wanted.search(name):
                print(_line(name, _wrk(base + path, args.seconds, cookie, headers=extra[0] if extra else ()), h))
        if wanted is not None and not wanted.search("roster of 300"):
            pass
        elif roster_rule:
            path = (roster_rule.replace("<int:activity_id>", str(data["roster_activity"]))
                    .replace("<int:role_id>", str(data["roster_role"])).replace("<int:slot_id>", str(data["roster_slot"])))
            if "<" in path:
                print(f"{'roster of 300':<44} not available: can't fill in {roster_rule}")
            else:
                print(_line(f"roster of 300 ({path})", _wrk(base + path, args.seconds, ccookie), h))
        else:
            print(f"{'roster of 300':<44} not available (activities.manage_roster is not in this app yet)")
        # the attendance screen of the same slot (its 250 confirmed people), as the same coordinator
        if wanted is not None and not wanted.search("attendance screen of 300"):
            pass
        elif attendance_rule:
            path = (attendance_rule.replace("<int:activity_id>", str(data["roster_activity"]))
                    .replace("<int:slot_id>", str(data["roster_slot"])))
            print(_line(f"attendance screen of 300 ({path})", _wrk(base + path, args.seconds, ccookie), h))
        else:
            print(f"{'attendance screen of 300':<44} not available (activities.attendance is not in this app)")
        if wanted is not None and not wanted.search("sign-up POST"):
            return
        # The sign-up POST: the volunteer asks again for a slot they already hold (lock, rules,
        # commit, redirect); the first request signs them up.
        vopener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(vjar))
        vopener.addheaders = [("User-Agent", USER_AGENT)]
        page = vopener.open(base + f"/activities/{data['post_activity']}").read().decode()
        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        body = urllib.parse.urlencode({"slot": data["post_slot"], "csrf_token": token})
        r = _wrk(base + f"/activities/{data['post_activity']}/roles/{data['post_role']}/signup", args.seconds,
                 _cookie(vjar), LUA_POST.format(body=body))
        print(_line("sign-up POST (volunteer, one date)", r, h))
    finally:
        for server in (gunicorn, hello_server):
            server.send_signal(signal.SIGTERM)
        for server in (gunicorn, hello_server):
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:  # a busy machine: don't leave it running
                server.kill()
                server.wait()
        if tmp:
            tmp.cleanup()


if __name__ == "__main__":
    main()
