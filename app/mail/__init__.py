from flask import Blueprint

bp = Blueprint("mail", __name__, template_folder="templates")

from app.mail import views  # noqa: E402,F401
