from flask import Blueprint

bp = Blueprint("offices", __name__, template_folder="templates", url_prefix="/offices")

from app.offices import views  # noqa: E402,F401
