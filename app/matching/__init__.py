"""Needs and matching: record what newcomers need, find the right volunteer or partner, follow it
to the end."""
from flask import Blueprint

bp = Blueprint("matching", __name__, template_folder="templates")

from app.matching import audit_labels, caps, jobs, mailkinds, mine, reference  # noqa: E402,F401
from app.matching import views  # noqa: E402,F401
from app.matching import batch_views  # noqa: E402,F401
from app.matching import neighbour_views  # noqa: E402,F401
from app.matching import demo  # noqa: E402,F401
