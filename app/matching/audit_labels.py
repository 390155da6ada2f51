"""How the audit page names the matching area's actions, records and details."""
from flask_babel import lazy_gettext as _l

from app.core.audit import register_labels

register_labels(
    actions={
        "need.recorded": _l("Need recorded"),
        "need.updated": _l("Need changed"),
        "need.state_changed": _l("State of a need changed"),
        "need.check_in_due": _l("Partnership check-in reminder sent"),
        "proposal.sent": _l("Need proposed to a volunteer"),
        "proposal.accepted": _l("Proposal accepted"),
        "proposal.declined": _l("Proposal declined"),
        "proposal.expired": _l("Proposal not answered in time"),
        "proposal.withdrawn": _l("Proposal withdrawn"),
        "district.neighbours_changed": _l("Neighbouring districts changed"),
    },
    records={"needs": _l("Need"), "proposals": _l("Proposal"), "districts": _l("District")},
    details={"need": _l("Need"), "category": _l("Category"), "score": _l("Score"), "hours": _l("Hours"),
             "weeks": _l("Weeks"), "added": _l("Added"), "removed": _l("Removed")},
)
