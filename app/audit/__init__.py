"""The audit log's page (on top of the areas; the log itself is app.core.audit)."""
from flask import Blueprint

bp = Blueprint("audit", __name__, template_folder="templates")

from app.audit import views  # noqa: E402,F401
