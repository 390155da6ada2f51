"""Accounts blueprint: thin views over app.accounts.services."""
from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from app.accounts import bp, services
from app.accounts.forms import (
    ChangeEmailForm,
    ChangePasswordForm,
    CoordinatorForm,
    EndSessionForm,
    ForgotPasswordForm,
    LoginForm,
    MailPreferencesForm,
    NameForm,
    RegisterForm,
    ResendForm,
    ResetPasswordForm,
    RoleForm,
)
from app.accounts.models import Role, User
from app.core.forms import clean_text
from app.core.deferred import after_response
from app.core.i18n import select_locale
from app.core.pagination import paginate
from app.core.permissions import admin_required
from app.core.safe_redirect import safe_next
from app.core.tokens import TokenError
from app.extensions import db, limiter, login_manager
from app.offices.models import Office

login_manager.login_view = "accounts.login"
login_manager.login_message_category = "warning"


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    return services.session_user(user_id)


@bp.after_app_request
def _no_store_when_logged_in(response):
    # A logged-in page must not stay in a shared computer's cache or the back button's history
    # after log-out. Only asked when the session names a user (no load for anonymous visitors).
    if "_user_id" in session or current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token") in request.cookies:
        response.headers["Cache-Control"] = "no-store"
        response.vary.add("Cookie")
    return response


KNOWN_DEVICE_COOKIE = "known_device"


@login_manager.unauthorized_handler
def unauthorized():
    flash(_("Please log in to see this page."), "warning")
    return redirect(url_for("accounts.login", next=request.full_path if request.method == "GET" else None))


def _auth_limit() -> str:
    return current_app.config["RATELIMIT_AUTH"]


TOKEN_MESSAGES = {
    "expired": lambda: _("This link has expired. Please request a new one."),
    "used": lambda: _("This link has already been used. Please request a new one if needed."),
    "invalid": lambda: _("This link is not valid. Please copy it completely from the mail."),
}


def _token_error(exc: TokenError, target: str):
    flash(TOKEN_MESSAGES.get(exc.reason, TOKEN_MESSAGES["invalid"])(), "error")
    return redirect(url_for(target))


# ---------------------------------------------------------------- register, confirm
@bp.route("/register", methods=["GET", "POST"])
@limiter.limit(_auth_limit, methods=["POST"])
def register():
    if current_user.is_authenticated:
        return redirect(url_for("accounts.dashboard"))
    from app.people.consent import current_texts, plain_text
    from app.people.models import ConsentPurpose

    form = RegisterForm()
    texts = current_texts()
    next_path = safe_next(request.args.get("next"))  # e.g. the activity they want to sign up for
    if form.validate_on_submit():
        try:
            services.register(form.name.data, form.email.data, form.password.data, locale=select_locale(),
                              privacy_text_id=int(form.privacy_text.data) if form.privacy_text.data else None,
                              contact=bool(form.contact.data), next_path=next_path)
        except services.AccountError:
            form.privacy.errors.append(_("The privacy notice has just been changed. Please read the new version and tick the box again."))
            form.privacy.data = False
        else:
            return render_template("accounts/check_mail.html", email=form.email.data, next_path=next_path)
    form.privacy_text.data = str(texts[ConsentPurpose.PRIVACY].id)
    locale = select_locale()
    contact_text = texts[ConsentPurpose.CONTACT]
    return render_template("accounts/register.html", form=form, next_path=next_path,
                           contact_hint=plain_text(contact_text.body(locale)))


@bp.get("/confirm/<token>")
def confirm_email(token: str):
    try:
        user = services.confirm_email(token)
    except TokenError as exc:
        return _token_error(exc, "accounts.unconfirmed" if current_user.is_authenticated else "accounts.login")
    flash(_("Thank you, your e-mail address is confirmed."), "success")
    next_path = services.confirmation_next(token)
    if current_user.is_authenticated and current_user.id == user.id:
        return redirect(next_path or url_for("accounts.dashboard"))
    return redirect(url_for("accounts.login", next=next_path))


@bp.route("/unconfirmed", methods=["GET", "POST"])
@login_required
@limiter.limit(_auth_limit, methods=["POST"])
def unconfirmed():
    if current_user.is_confirmed:
        return redirect(url_for("accounts.dashboard"))
    form = ResendForm()
    if form.validate_on_submit():
        if services.resend_confirmation(current_user):
            flash(_("We have sent you a new link."), "success")
        else:
            flash(_("We have already sent you several links in the last hour. Please look in your spam folder too, or try again in an hour."), "warning")
        return redirect(url_for("accounts.unconfirmed"))
    return render_template("accounts/unconfirmed.html", form=form)


# ---------------------------------------------------------------- log in / out
@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_auth_limit, methods=["POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("accounts.dashboard"))
    form = LoginForm()
    if form.validate_on_submit():
        result = services.log_in(form.email.data, form.password.data, remember=form.remember.data,
                                 user_agent=request.user_agent.string,
                                 device_cookie=request.cookies.get(KNOWN_DEVICE_COOKIE))
        if result.throttled:
            form.password.errors.append(_(
                "Too many wrong passwords for this account. To protect it, log-in from a new device "
                "is paused for 15 minutes. On a device where you have logged in before it still "
                "works, and you can always set a new password with \"Forgot your password?\"."))
        elif result.user is None:
            form.password.errors.append(_("E-mail address or password is wrong."))
        else:
            target = safe_next(request.args.get("next")) or url_for("accounts.dashboard")
            return _logged_in(result.user, form.remember.data, target, result.device_cookie)
    return render_template("accounts/login.html", form=form, next_path=safe_next(request.args.get("next")))


def log_in_from_link(user: User, target: str, message: str):
    """After a mailed link proved the mailbox and a password was just chosen (a reset, an
    accepted invitation): this browser is logged in and becomes a known device, and `message`
    is shown (said after the log-in's fresh session, which drops what was there)."""
    services.start_session(user, request.user_agent.string)
    db.session.commit()
    response = _logged_in(user, False, target, None)
    flash(message, "success")
    return response


def _logged_in(user: User, remember: bool, target: str, device_cookie: str | None):
    """The response after a log-in whose server-side session exists: a fresh session cookie and
    CSRF token (nothing from before survives), and this browser remembered as a known device."""
    keep_lang = session.get("lang")
    session.clear()
    if keep_lang:
        session["lang"] = keep_lang
    login_user(user, remember=remember)
    response = redirect(target)
    response.set_cookie(KNOWN_DEVICE_COOKIE, device_cookie or services.known_device_cookie(user),
                        max_age=services.KNOWN_DEVICE_MAX_AGE, httponly=True, samesite="Lax",
                        secure=current_app.config["SESSION_COOKIE_SECURE"])
    return response


@bp.post("/logout")
@login_required
def logout():
    if current_user.current_session is not None:
        services.end_session(current_user, current_user.current_session.id)
    logout_user()
    session.clear()
    flash(_("You are logged out."), "success")
    return redirect(url_for("core.index"))


# ---------------------------------------------------------------- password reset
@bp.route("/forgot-password", methods=["GET", "POST"])
@limiter.limit(_auth_limit, methods=["POST"])
def forgot_password():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        # After the response: a known and an unknown address answer equally fast.
        after_response(services.request_password_reset, form.email.data)
        return render_template("accounts/check_mail.html", email=form.email.data, reset=True)
    return render_template("accounts/forgot_password.html", form=form)


@bp.route("/reset-password/<token>", methods=["GET", "POST"])
@limiter.limit(_auth_limit, methods=["POST"])
def reset_password(token: str):
    try:
        user = services.check_reset_token(token)
    except TokenError as exc:
        return _token_error(exc, "accounts.forgot_password")
    form = ResetPasswordForm()
    form.personal_words = [user.name, user.email]
    if form.validate_on_submit():
        try:
            user = services.reset_password(token, form.password.data)
        except TokenError as exc:
            return _token_error(exc, "accounts.forgot_password")
        # The link proved the mailbox and the new password is set: this browser is logged in
        # (and becomes a known device, so a stranger's guessing can't keep the owner out).
        return log_in_from_link(user, url_for("accounts.dashboard"), _("Your new password is set. You are logged in."))
    return render_template("accounts/reset_password.html", form=form)


# ---------------------------------------------------------------- own account
_HOME_KEYS: list = []


def register_home_key(fn) -> None:
    """`fn()` -> a tuple that changes whenever what the area shows on a volunteer's overview
    changes (its cache versions). With none registered the overview is made anew every time."""
    if fn not in _HOME_KEYS:
        _HOME_KEYS.append(fn)


@bp.get("/home")
@login_required
def dashboard():
    if current_user.role == Role.VOLUNTEER and _HOME_KEYS:
        # A volunteer's overview is kept for them (app.core.viewerpages) while nothing it shows
        # changes — the areas that put something on it say what (`register_home_key`: the
        # activities give their version and the people's, which cover the name, the profile and
        # the next dates with their states) — and by the clock: until the first date shown ends.
        from app.core import viewerpages

        key = tuple(part for fn in _HOME_KEYS for part in fn())
        return viewerpages.kept(("home", *key), lambda: render_template("accounts/dashboard.html", offices=[]))
    offices = current_user.offices if current_user.role == Role.COORDINATOR else []
    return render_template("accounts/dashboard.html", offices=offices)


def _this_session_id() -> int | None:
    return current_user.current_session.id if current_user.current_session is not None else None


@bp.route("/account", methods=["GET", "POST"])
@login_required
@limiter.limit(_auth_limit, methods=["POST"])
def settings():
    from app.mail.preferences import mail_preference, set_mail_preference

    user = current_user._get_current_object()
    name_form = NameForm(prefix="nm", name=user.name)
    pw_form = ChangePasswordForm(prefix="pw")
    pw_form.personal_words = [user.name, user.email]
    email_form = ChangeEmailForm(prefix="em")
    pref = mail_preference(user.email)
    pref_form = MailPreferencesForm(prefix="mp", messages=pref.wanted)
    if request.method == "POST" and "nm-submit" in request.form and name_form.validate():
        services.change_name(user, name_form.name.data)
        flash(_("Your name has been saved."), "success")
        return redirect(url_for("accounts.settings"))
    if request.method == "POST" and "mp-submit" in request.form and pref_form.validate():
        set_mail_preference(user.email, pref_form.messages.data)
        flash(_("Your mail settings have been saved."), "success")
        return redirect(url_for("accounts.settings") + "#mail")
    if request.method == "POST" and "pw-submit" in request.form and pw_form.validate():
        try:
            services.change_password(user, pw_form.current.data, pw_form.password.data,
                                     keep_session_id=_this_session_id())
        except services.AccountError:
            pw_form.current.errors.append(_("The current password is wrong."))
        else:
            flash(_("Your password has been changed. Other devices are logged out."), "success")
            return redirect(url_for("accounts.settings"))
    elif request.method == "POST" and "em-submit" in request.form and email_form.validate():
        try:
            services.request_email_change(user, email_form.email.data, email_form.current.data)
        except services.AccountError as exc:
            if exc.field == "current":
                email_form.current.errors.append(_("The current password is wrong."))
            elif str(exc) == "too-many":
                email_form.email.errors.append(_("Too many attempts for this address. Please try again in an hour."))
            else:
                email_form.email.errors.append(_("This is already your e-mail address."))
        else:
            flash(_("We have sent a link to %(email)s. Your address changes when you open it.",
                    email=email_form.email.data), "success")
            return redirect(url_for("accounts.settings"))
    return render_template("accounts/settings.html", name_form=name_form, pw_form=pw_form,
                           email_form=email_form, pref=pref, pref_form=pref_form,
                           sessions=services.active_sessions(user), this_session=_this_session_id(),
                           end_form=EndSessionForm())


@bp.post("/account/sessions/<int:session_id>/end")
@login_required
def end_session(session_id: int):
    if not EndSessionForm().validate_on_submit():
        abort(400)
    if session_id == _this_session_id():
        return logout()
    if not services.end_session(current_user, session_id):
        abort(404)
    flash(_("The session has been ended. That device is logged out."), "success")
    return redirect(url_for("accounts.settings") + "#sessions")


@bp.post("/account/sessions/end-others")
@login_required
def end_other_sessions():
    if not EndSessionForm().validate_on_submit():
        abort(400)
    n = services.end_sessions(current_user, keep_id=_this_session_id())
    flash(_("%(n)d other sessions have been ended.", n=n), "success")
    return redirect(url_for("accounts.settings") + "#sessions")


@bp.route("/account/confirm-email/<token>", methods=["GET", "POST"])
def confirm_email_change(token: str):
    """The new address is confirmed from the account's own session, with a button: a link
    scanner or the owner of the new mailbox opening the link alone attaches nothing."""
    try:
        services.check_email_change(token)
    except TokenError as exc:
        return _token_error(exc, "accounts.settings" if current_user.is_authenticated else "accounts.login")
    if not current_user.is_authenticated:
        flash(_("Please log in with your account to confirm the new e-mail address."), "warning")
        return redirect(url_for("accounts.login", next=url_for("accounts.confirm_email_change", token=token)))
    form = ResendForm()
    if form.validate_on_submit():
        try:
            services.confirm_email_change(token, viewer_id=current_user.id, keep_session_id=_this_session_id())
        except TokenError as exc:
            return _token_error(exc, "accounts.settings")
        except services.AccountError as exc:
            if str(exc) == "not-yours":
                abort(404)
            flash(_("This e-mail address is already used by another account."), "error")
            return redirect(url_for("accounts.settings"))
        flash(_("Your new e-mail address is confirmed."), "success")
        return redirect(url_for("accounts.settings"))  # this device stays logged in, no other
    data = services.check_email_change(token)
    if data.payload.get("u") != current_user.id:
        abort(404)  # another account's link: nothing to see here
    return render_template("accounts/confirm_email_change.html", form=form, new_email=data.payload.get("e"))


@bp.route("/account/undo-email-change/<token>", methods=["GET", "POST"])
@limiter.limit(_auth_limit, methods=["POST"])
def undo_email_change(token: str):
    try:
        user, old_email = services.check_undo_email_change(token)
    except TokenError as exc:
        return _token_error(exc, "accounts.login")
    form = ResendForm()
    if form.validate_on_submit():
        try:
            services.undo_email_change(token)
        except TokenError as exc:
            return _token_error(exc, "accounts.login")
        except services.AccountError:
            flash(_("Your old address is now used by another account. Please contact your office."), "error")
            return redirect(url_for("accounts.login"))
        if current_user.is_authenticated:
            logout_user()
        session.clear()
        return render_template("accounts/email_change_undone.html", email=old_email)
    return render_template("accounts/undo_email_change.html", form=form, old_email=old_email,
                           new_email=user.email)


# ---------------------------------------------------------------- admin: staff accounts
def _office_choices() -> list[tuple[int, str]]:
    return [(o.id, o.name) for o in db.session.scalars(select(Office).order_by(Office.name))]


@bp.route("/admin/accounts", methods=["GET", "POST"])
@admin_required
def admin_users():
    form = CoordinatorForm()
    form.offices.choices = _office_choices()
    if form.validate_on_submit():
        try:
            user = services.invite_staff(form.name.data, form.email.data, Role(form.role.data),
                                         form.offices.data, current_user)
        except services.AccountError:
            form.email.errors.append(_("An account with this e-mail address exists already."))
        else:
            flash(_("%(name)s has been invited by mail.", name=user.name), "success")
            return redirect(url_for("accounts.admin_users"))
    role = request.args.get("role", "staff")
    stmt = select(User).options(selectinload(User.offices)).order_by(User.name, User.id)
    if role == "staff":
        stmt = stmt.where(User.role.in_([Role.COORDINATOR, Role.ADMIN]))
    elif role in {r.value for r in Role}:
        stmt = stmt.where(User.role == Role(role))
    q = clean_text(request.args.get("q"))
    if q:
        like = f"%{q.lower()}%"
        stmt = stmt.where(func.lower(User.name).like(like) | User.email.like(like))
    page = paginate(stmt, request.args.get("page", 1, type=int), per_page=50)
    return render_template("accounts/admin_users.html", form=form, page=page, role=role, q=q,
                           counts=services.count_by_role())


@bp.route("/admin/accounts/<int:user_id>", methods=["GET", "POST"])
@admin_required
def admin_user(user_id: int):
    user = db.session.get(User, user_id) or abort(404)
    form = RoleForm(role=user.role.value, offices=[o.id for o in user.offices])
    form.offices.choices = _office_choices()
    if user.organisation_id is None:
        form.role.choices = [c for c in form.role.choices if c[0] != "partner"]
    if user.id != current_user.id and form.validate_on_submit():
        try:
            services.set_role(user, Role(form.role.data), form.offices.data, current_user)
        except services.AccountError as exc:
            target = form.offices if exc.field == "offices" else form.role
            target.errors = list(target.errors) + [ROLE_ERRORS[str(exc)]()]
        else:
            flash(_("Role and offices of %(name)s saved.", name=user.name), "success")
            return redirect(url_for("accounts.admin_user", user_id=user.id))
    return render_template("accounts/admin_user.html", user=user, form=form, active_form=EndSessionForm(),
                           is_self=user.id == current_user.id)


ROLE_ERRORS = {
    "self": lambda: _("You cannot change your own role or deactivate yourself."),
    "unconfirmed": lambda: _("This account's e-mail address is not confirmed. Staff accounts are given by invitation: invite the colleague instead."),
    "last-admin": lambda: _("This is the last active administrator. Make someone else an administrator first."),
    "no-offices": lambda: _("A coordinator needs at least one office."),
    "no-organisation": lambda: _("Only contacts of a partner organisation can have this role."),
}


@bp.post("/admin/accounts/<int:user_id>/active")
@admin_required
def admin_user_active(user_id: int):
    user = db.session.get(User, user_id) or abort(404)
    if not EndSessionForm().validate_on_submit():
        abort(400)
    active = request.form.get("active") == "1"
    try:
        services.set_active(user, active, current_user)
    except services.AccountError as exc:
        flash(ROLE_ERRORS[str(exc)](), "error")
    else:
        flash(_("%(name)s can log in again.", name=user.name) if active else
              _("%(name)s is deactivated and logged out everywhere.", name=user.name), "success")
    return redirect(url_for("accounts.admin_user", user_id=user.id))
