"""Imports every area's models so SQLAlchemy's metadata and Alembic see all tables."""
from app.accounts.models import Role, User, coordinator_offices  # noqa: F401
from app.core.models import AuditEntry, ScheduledJob, UsedToken  # noqa: F401
from app.mail.models import (  # noqa: F401
    MailTemplateOverride, Message, OutboxAttachment, OutboxMail, SuppressedAddress)
from app.offices.models import District, Office, SatelliteLocation  # noqa: F401
from app.people import models as people_models  # noqa: F401
from app.activities import models as activity_models  # noqa: F401
from app.roundtables import models as roundtable_models  # noqa: F401
from app.matching import models as matching_models  # noqa: F401
from app.activities import cache as activity_cache  # noqa: F401  (the cache version table)
from app.people import cache as people_cache  # noqa: F401  (the directory cache version table)
