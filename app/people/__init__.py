from flask import Blueprint

bp = Blueprint("people", __name__, template_folder="templates", url_prefix="/people")

# one blueprint, views split by concern
from app.people import (  # noqa: E402,F401
    audit_labels,
    consent_views,
    directory_views,
    organisation_views,
    profile_views,
    views,
)
