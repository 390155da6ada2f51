from flask import Blueprint

bp = Blueprint("people", __name__, template_folder="templates", url_prefix="/people")

from app.people import views  # noqa: E402,F401
