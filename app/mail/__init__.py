from flask import Blueprint

bp = Blueprint("mail", __name__, template_folder="templates")

from app.mail import views  # noqa: E402,F401
from app.mail import personal_data  # noqa: E402,F401  ("my data": mails sent to the person)
from app.mail import reminders  # noqa: E402,F401  (registers the periodic job "send-reminders")
