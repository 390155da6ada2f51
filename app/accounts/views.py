"""Accounts blueprint: thin views over app.accounts.services."""
from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from app.accounts import bp, services
from app.accounts.forms import (
    AssignOfficesForm,
    ChangeEmailForm,
    ChangePasswordForm,
    CoordinatorForm,
    ForgotPasswordForm,
    LoginForm,
    RegisterForm,
    ResendForm,
    ResetPasswordForm,
)
from app.accounts.models import Role, User
from app.core.forms import clean_text
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
    try:
        ident, version = (int(x) for x in user_id.split(":", 1))
    except ValueError:
        return None
    user = db.session.get(User, ident)
    if user is None or user.session_version != version or not user.active:
        return None
    return user


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
    form = RegisterForm()
    if form.validate_on_submit():
        services.register(form.name.data, form.email.data, form.password.data, locale=select_locale())
        return render_template("accounts/check_mail.html", email=form.email.data)
    return render_template("accounts/register.html", form=form)


@bp.get("/confirm/<token>")
def confirm_email(token: str):
    try:
        user = services.confirm_email(token)
    except TokenError as exc:
        return _token_error(exc, "accounts.unconfirmed" if current_user.is_authenticated else "accounts.login")
    flash(_("Thank you, your e-mail address is confirmed."), "success")
    if current_user.is_authenticated and current_user.id == user.id:
        return redirect(url_for("accounts.dashboard"))
    return redirect(url_for("accounts.login"))


@bp.route("/unconfirmed", methods=["GET", "POST"])
@login_required
@limiter.limit(_auth_limit, methods=["POST"])
def unconfirmed():
    if current_user.is_confirmed:
        return redirect(url_for("accounts.dashboard"))
    form = ResendForm()
    if form.validate_on_submit():
        services.resend_confirmation(current_user)
        flash(_("We have sent you a new link."), "success")
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
        user = services.authenticate(form.email.data, form.password.data)
        if user is None:
            form.password.errors.append(_("E-mail address or password is wrong."))
        else:
            login_user(user, remember=form.remember.data)
            return redirect(safe_next(request.args.get("next")) or url_for("accounts.dashboard"))
    return render_template("accounts/login.html", form=form)


@bp.post("/logout")
@login_required
def logout():
    logout_user()
    flash(_("You are logged out."), "success")
    return redirect(url_for("core.index"))


# ---------------------------------------------------------------- password reset
@bp.route("/forgot-password", methods=["GET", "POST"])
@limiter.limit(_auth_limit, methods=["POST"])
def forgot_password():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        services.request_password_reset(form.email.data)
        return render_template("accounts/check_mail.html", email=form.email.data, reset=True)
    return render_template("accounts/forgot_password.html", form=form)


@bp.route("/reset-password/<token>", methods=["GET", "POST"])
@limiter.limit(_auth_limit, methods=["POST"])
def reset_password(token: str):
    try:
        services.check_reset_token(token)
    except TokenError as exc:
        return _token_error(exc, "accounts.forgot_password")
    form = ResetPasswordForm()
    if form.validate_on_submit():
        try:
            services.reset_password(token, form.password.data)
        except TokenError as exc:
            return _token_error(exc, "accounts.forgot_password")
        logout_user()
        flash(_("Your new password is set. Please log in."), "success")
        return redirect(url_for("accounts.login"))
    return render_template("accounts/reset_password.html", form=form)


# ---------------------------------------------------------------- own account
@bp.get("/home")
@login_required
def dashboard():
    offices = current_user.offices if current_user.role == Role.COORDINATOR else []
    return render_template("accounts/dashboard.html", offices=offices)


@bp.route("/account", methods=["GET", "POST"])
@login_required
@limiter.limit(_auth_limit, methods=["POST"])
def settings():
    pw_form = ChangePasswordForm(prefix="pw")
    email_form = ChangeEmailForm(prefix="em")
    if request.method == "POST" and "pw-submit" in request.form and pw_form.validate():
        try:
            services.change_password(current_user, pw_form.current.data, pw_form.password.data)
        except services.AccountError:
            pw_form.current.errors.append(_("The current password is wrong."))
        else:
            # re-issue this session with the new version (the real object, not the proxy)
            login_user(current_user._get_current_object(), remember=False)
            flash(_("Your password has been changed. Other devices are logged out."), "success")
            return redirect(url_for("accounts.settings"))
    elif request.method == "POST" and "em-submit" in request.form and email_form.validate():
        try:
            services.request_email_change(current_user, email_form.email.data, email_form.current.data)
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
    return render_template("accounts/settings.html", pw_form=pw_form, email_form=email_form)


@bp.get("/account/confirm-email/<token>")
def confirm_email_change(token: str):
    viewer_id = current_user.id if current_user.is_authenticated else None  # before the change
    try:
        user = services.confirm_email_change(token)
    except TokenError as exc:
        return _token_error(exc, "accounts.settings" if current_user.is_authenticated else "accounts.login")
    except services.AccountError:
        flash(_("This e-mail address is already used by another account."), "error")
        return redirect(url_for("accounts.settings" if current_user.is_authenticated else "accounts.login"))
    flash(_("Your new e-mail address is confirmed."), "success")
    if viewer_id == user.id:
        login_user(user)  # this device stays logged in; the change ended the other sessions
        return redirect(url_for("accounts.settings"))
    return redirect(url_for("accounts.login"))


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
    form = AssignOfficesForm(offices=[o.id for o in user.offices])
    form.offices.choices = _office_choices()
    if user.role != Role.COORDINATOR:
        form = None
    elif form.validate_on_submit():
        services.set_offices(user, form.offices.data)
        flash(_("Offices saved."), "success")
        return redirect(url_for("accounts.admin_user", user_id=user.id))
    return render_template("accounts/admin_user.html", user=user, form=form)
