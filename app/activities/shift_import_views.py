"""Importing festival shifts from a spreadsheet, on the management pages
(/manage/activities/<id>/shifts/import): upload, preview with every row's problems, confirm.
Coordinators of the activity's office and admins only (anyone else 403, another office's
activity 404). The work is in app.activities.shift_import.

How the confirmation knows the rows: the preview page carries the rows it showed (the cells as
read from the file, not the file) in a hidden field, signed with the app's secret key
(app.core.tokens, purpose "shift-import") together with the activity, the coordinator and the
file's SHA-256, valid for an hour and spent on use. We chose this over
- re-uploading the file with its hash: a file input can't be filled in again by the page, so the
  coordinator would have to pick the file a second time (and could pick another one);
- the Flask session: it is a cookie here, 4 kB, too small for 500 rows;
- a table or files for drafts: state to clean up, a migration, and files on one server's disk
  that another worker or host doesn't see.
The signature means the confirmation saves exactly the rows that were previewed (changing a
byte makes it invalid), for this activity and this person only, and a second send of the same
preview is refused ("used"); every row is checked again under the activity's lock before
anything is stored, so a colleague's change in between is reported instead of doubled."""
from __future__ import annotations

from functools import wraps

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user, login_required
from flask_wtf.file import FileField
from wtforms import HiddenField

from app.activities import bp
from app.activities import manage as svc
from app.activities import shift_import as importer
from app.activities.attendance_sheets import XLSX_MIMETYPE
from app.activities.manage_views import PREFIX, _level_names
from app.core.forms import BaseForm
from app.core.tokens import TokenError, consume_token, make_token, read_token
from app.extensions import db

TOKEN_PURPOSE = "shift-import"
TOKEN_MAX_AGE = 3600


class UploadForm(BaseForm):
    file = FileField(_l("Spreadsheet with the shifts (xlsx or CSV)"))


class ConfirmImportForm(BaseForm):
    rows = HiddenField()


def staff_required(view):
    """Coordinators and admins; volunteers and partner contacts 403."""

    @wraps(view)
    @login_required
    def wrapped(*args, **kwargs):
        if not svc.is_staff(current_user):
            abort(403)
        return view(*args, **kwargs)

    return wrapped


def _activity_for_import(activity_id: int):
    """The activity if this coordinator may add shifts to it: another office's answers 404, a
    cancelled one 403 (as its other edit pages)."""
    activity = svc.overview(activity_id)
    if activity is None or not svc.may_manage(current_user, activity):
        abort(404)
    if not svc.may_edit(current_user, activity):
        abort(403)
    return activity


def _page(activity, form, table=None, confirm_form=None, file_error=None, status=200):
    return render_template("activities/manage/shift_import.html", activity=activity, form=form, table=table,
                           confirm_form=confirm_form, file_error=file_error, columns=importer.COLUMNS, headings_en=importer.HEADINGS_EN,
                           column_labels=importer.COLUMN_LABELS, required=importer.REQUIRED,
                           max_rows=importer.MAX_ROWS, max_mb=importer.MAX_FILE_BYTES // (1024 * 1024),
                           level_names=_level_names()), status


@bp.route(f"{PREFIX}/<int:activity_id>/shifts/import", methods=["GET", "POST"])
@staff_required
def shift_import(activity_id: int):
    activity = _activity_for_import(activity_id)
    form = UploadForm()
    if not form.validate_on_submit():
        return _page(activity, form)
    upload = request.files.get("file")
    data = upload.stream.read(importer.MAX_FILE_BYTES + 1) if upload is not None else b""
    if upload is None or (not upload.filename and not data):
        form.file.errors = [_("Please choose a file.")]
        return _page(activity, form)
    try:
        if len(data) > importer.MAX_FILE_BYTES:
            raise importer.ImportFileError(_l("The file is too large (at most %(mb)d MB).",
                                              mb=importer.MAX_FILE_BYTES // (1024 * 1024)))
        table = importer.preview(activity.id, data)
    except importer.ImportFileError as exc:
        form.file.errors = [str(exc.message)]
        return _page(activity, form)
    confirm_form = None
    if table.ok:
        confirm_form = ConfirmImportForm()
        confirm_form.rows.data = make_token(TOKEN_PURPOSE, a=activity.id, u=current_user.id,
                                            h=importer.file_hash(data), rows=table.cells())
    return _page(activity, form, table=table, confirm_form=confirm_form)


@bp.post(f"{PREFIX}/<int:activity_id>/shifts/import/confirm")
@staff_required
def shift_import_confirm(activity_id: int):
    activity = _activity_for_import(activity_id)
    form = ConfirmImportForm()
    again = redirect(url_for("activities.shift_import", activity_id=activity.id))
    if not form.validate_on_submit():
        flash(_("The form expired. Please upload the file again."), "error")
        return again
    token = form.rows.data or ""
    try:
        data = read_token(TOKEN_PURPOSE, token, TOKEN_MAX_AGE)
        if data.payload.get("a") != activity.id or data.payload.get("u") != current_user.id:
            raise TokenError("invalid")
        consume_token(TOKEN_PURPOSE, token, TOKEN_MAX_AGE)  # spent in the import's transaction
        result = importer.import_shifts(current_user, activity.id, data.payload.get("rows") or [])
    except TokenError as exc:
        db.session.rollback()
        if exc.reason == "used":
            flash(_("These shifts were saved already."), "warning")
            return redirect(url_for("activities.manage_show", activity_id=activity.id))
        flash(_("The preview is too old or incomplete. Please upload the file again."), "error")
        return again
    except svc.ManageError as exc:
        db.session.rollback()
        flash(str(exc.message), "error")
        return again
    if not result.roles:
        flash(_("Nothing was saved: the activity changed since the preview. Please check the rows below, "
                "correct the file and upload it again."), "error")
        return _page(activity, UploadForm(formdata=None), table=result.table)
    shifts = len(result.table.rows)  # as the button said: one per row (a role runs on every day)
    flash(ngettext("%(num)d shift imported.", "%(num)d shifts imported.", shifts), "success")
    if result.dates:
        flash(ngettext("%(num)d date added.", "%(num)d dates added.", result.dates), "success")
    return redirect(url_for("activities.manage_show", activity_id=activity.id))


@bp.get(f"{PREFIX}/<int:activity_id>/shifts/template.<fmt>")
@staff_required
def shift_import_template(activity_id: int, fmt: str):
    activity = _activity_for_import(activity_id)
    name = "schichten-vorlage"
    if fmt == "xlsx":
        body, mimetype = importer.template_xlsx(activity.id), XLSX_MIMETYPE
    elif fmt == "csv":
        body, mimetype = importer.template_csv(activity.id), "text/csv; charset=utf-8"
    else:
        abort(404)
    return Response(body, mimetype=mimetype, headers={
        "Content-Disposition": f'attachment; filename="{name}.{fmt}"', "Cache-Control": "no-store"})
