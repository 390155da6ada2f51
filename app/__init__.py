"""The willkommen application factory."""
from __future__ import annotations

import logging
import os

from flask import Flask

from config import (
    INSECURE_DEFAULT_KEY,
    Config,
    ProductionConfig,
    development_secret_key,
    engine_options,
    get_config,
)

log = logging.getLogger(__name__)


def create_app(config: type[Config] | str | None = None, **overrides) -> Flask:
    config_class = config if isinstance(config, type) else get_config(config)
    production = issubclass(config_class, ProductionConfig)

    app = Flask(__name__, instance_relative_config=True)
    app.config.from_object(config_class)
    app.config.update(overrides)
    os.makedirs(app.instance_path, exist_ok=True)
    if not app.config.get("SECRET_KEY"):
        # Read now, not at import: the class attribute is only set by configs with a fixed key.
        app.config["SECRET_KEY"] = os.environ.get("SECRET_KEY") or None
    if production:
        config_class.validate(app.config)
    elif not app.config["SECRET_KEY"] or app.config["SECRET_KEY"] == INSECURE_DEFAULT_KEY:
        # Development without a key of its own: a random one made once, kept in instance/.
        app.config["SECRET_KEY"] = development_secret_key(app.instance_path)
    # Time-outs etc. for the database actually used (an override may change the URL).
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {
        **engine_options(app.config["SQLALCHEMY_DATABASE_URI"]),
        **(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {}),
    }
    # Inside ProxyFix (below), so what it keeps answers under is the real address and scheme.
    from app.core.frontcache import FrontCache

    app.wsgi_app = FrontCache(app, app.wsgi_app)  # type: ignore[method-assign]
    if app.config.get("PROXY_FIX"):
        # Behind a reverse proxy: trust its X-Forwarded-* headers, so rate limits see the real
        # client address and links use https.
        from werkzeug.middleware.proxy_fix import ProxyFix

        n = int(app.config["PROXY_FIX"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)  # type: ignore[method-assign]
    _configure_logging(app)
    if (production and app.config.get("RATELIMIT_ENABLED", True)
            and str(app.config.get("RATELIMIT_STORAGE_URI", "")).startswith("memory://")):
        log.warning(
            "RATE LIMITS ARE PER PROCESS: RATELIMIT_STORAGE_URI is memory:// "
            "(allowed by RATELIMIT_PER_PROCESS_OK). With several gunicorn workers every worker "
            "counts on its own and the limits multiply; use redis:// for more than one process."
        )

    from app.extensions import babel, cache, csrf, db, limiter, login_manager, mail, migrate

    db.init_app(app)
    from app.core import readcommit

    with app.app_context():  # PostgreSQL keeps its prepared statements (see app.core.readcommit)
        readcommit.install(db.engine)
    migrate.init_app(app, db, directory=os.path.join(os.path.dirname(app.root_path), "migrations"),
                     render_as_batch=True, compare_type=True)
    csrf.init_app(app)
    mail.init_app(app)
    limiter.init_app(app)
    cache.init_app(app)

    from app.core.i18n import select_timezone, selected_locale

    babel.init_app(app, locale_selector=selected_locale, timezone_selector=select_timezone)
    login_manager.init_app(app)
    from app.core.security import remember_session_identifiers

    remember_session_identifiers(login_manager)

    # Import every model so metadata (and Alembic autogenerate) sees all tables.
    from app import models  # noqa: F401

    from app.core.urls import BoundedIntConverter

    app.url_map.converters["int"] = BoundedIntConverter  # before any route is added

    from app.accounts import bp as accounts_bp
    from app.activities import bp as activities_bp
    from app.audit import bp as audit_bp
    from app.mydata import bp as mydata_bp
    from app.core import bp as core_bp
    from app.mail import bp as mail_bp
    from app.offices import bp as offices_bp
    from app.people import bp as people_bp
    from app.roundtables import bp as roundtables_bp
    from app.matching import bp as matching_bp

    app.register_blueprint(core_bp)
    app.register_blueprint(accounts_bp)
    app.register_blueprint(offices_bp)
    app.register_blueprint(mail_bp)
    app.register_blueprint(people_bp)
    app.register_blueprint(audit_bp)
    app.register_blueprint(mydata_bp)
    app.register_blueprint(activities_bp)
    app.register_blueprint(roundtables_bp)
    app.register_blueprint(matching_bp)

    from app.activities.api import bp as api_bp

    app.register_blueprint(api_bp)
    csrf.exempt(api_bp)  # GET only, no session: nothing to forge

    from app.accounts.cli import users_cli
    from app.core.cli import register_cli
    from app.mail.cli import mail_cli

    app.cli.add_command(users_cli)
    app.cli.add_command(mail_cli)
    from app.activities.cli import activities_cli

    app.cli.add_command(activities_cli)
    register_cli(app)

    from app.core.errors import register_error_handlers
    from app.core.templating import register_template_helpers

    from app.core.security import register_csrf_reuse, register_security_headers, register_session_cache

    register_error_handlers(app)
    register_template_helpers(app)
    register_security_headers(app)
    register_csrf_reuse(app)
    register_session_cache(app)  # the session cookie, opened once per value
    return app


def _configure_logging(app: Flask) -> None:
    level = getattr(logging, str(app.config.get("LOG_LEVEL", "INFO")).upper(), logging.INFO)
    if not logging.getLogger().handlers:
        logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("app").setLevel(level)
    logging.getLogger("alembic").setLevel(logging.WARNING)
    app.logger.setLevel(level)
