"""'My data': everything stored about a person, as a page and a JSON download, and deleting the
account (on top of the areas, which register their sections in app.core.personal_data)."""
from flask import Blueprint

bp = Blueprint("mydata", __name__, template_folder="templates")

from app.mydata import views  # noqa: E402,F401
