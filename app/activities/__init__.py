"""Activities and sign-up: courses, language cafés, theatre, round tables, festival shifts."""
from flask import Blueprint

bp = Blueprint("activities", __name__, template_folder="templates")

# one blueprint, views split by concern
from app.activities import audit_labels, jobs, mailkinds  # noqa: E402,F401
from app.activities import mine, reminders, volunteer_views  # noqa: E402,F401
from app.activities import public_views  # noqa: E402,F401
from app.activities import manage_views  # noqa: E402,F401
from app.activities import demo  # noqa: E402,F401
from app.activities import hours_views  # noqa: E402,F401
from app.activities import attendance_views  # noqa: E402,F401
from app.activities import handover_views  # noqa: E402,F401
from app.activities import roster_message_views  # noqa: E402,F401
from app.activities import shift_import_views  # noqa: E402,F401
from app.activities import urgent_views  # noqa: E402,F401
