from flask import Blueprint

bp = Blueprint("core", __name__, template_folder="templates")

from app.core import views  # noqa: E402,F401
from app.core import tokens  # noqa: E402,F401  (registers the periodic job "purge-used-links")
