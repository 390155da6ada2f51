#!/usr/bin/env bash
# Serves the app on http://127.0.0.1:5000 with the mail worker beside it (which also runs the
# periodic jobs: reminders, purges, app/core/jobs.py), so mails of the demo
# reach the local sink (instance/mail/*.eml and the log). Ctrl-C stops both.
set -euo pipefail
cd "$(dirname "$0")/.."
FLASK=".venv/bin/flask --app wsgi"
$FLASK mail worker --poll 2 &
worker=$!
trap 'kill -TERM $worker 2>/dev/null; wait $worker 2>/dev/null' EXIT INT TERM
echo "Mail goes to instance/mail/ (MAIL_TRANSPORT=sink). Open http://127.0.0.1:${PORT:-5000}"
$FLASK run --host 127.0.0.1 --port "${PORT:-5000}"
