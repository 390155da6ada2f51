"""Every Flask extension is created here, once, without an app; create_app() binds them."""
from flask_babel import Babel
from flask_caching import Cache
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_mail import Mail
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

# Stable constraint names, so Alembic migrations are identical on SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)


def schema_objects_of(dialect_name: str):
    """Alembic's `include_object` for a database of this dialect: an index declared for other
    databases only (`Index(...).ddl_if(dialect="postgresql")`, e.g. pg_trgm's) is not part of
    the schema to compare (migrations/env.py, tests/core/test_migrations.py)."""
    def include(obj, name, type_, reflected, compare_to) -> bool:
        ddl_if = getattr(obj, "_ddl_if", None)
        if type_ == "index" and not reflected and ddl_if is not None and ddl_if.dialect:
            wanted = ddl_if.dialect
            return dialect_name == wanted if isinstance(wanted, str) else dialect_name in wanted
        return True

    return include


migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
mail = Mail()
babel = Babel()
limiter = Limiter(key_func=get_remote_address, default_limits=[])
# Rendered public pages and API answers (app.activities.cache); SimpleCache or Redis by config.
cache = Cache()
