"""Round tables: agenda, invitations, delegates, attendance by organisation, minutes."""
from flask import Blueprint

bp = Blueprint("roundtables", __name__, template_folder="templates", url_prefix="/round-tables")
