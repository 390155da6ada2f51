"""Round tables: agenda, invitations, delegates, attendance by organisation, minutes."""
from flask import Blueprint

bp = Blueprint("roundtables", __name__, template_folder="templates", url_prefix="/round-tables")

from app.roundtables import audit_labels, mailkinds  # noqa: E402,F401
from app.roundtables import views  # noqa: E402,F401
from app.roundtables import demo  # noqa: E402,F401
