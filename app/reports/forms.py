"""Forms of the report pages. The services check everything again; these carry the CSRF
token and give the messages beside the fields.

The edit form's fields depend on the application (one per target group, indicator and
budget line), so the page renders them by name (services.field_names) and the service
reads them from the submitted data; ``ReportEditForm`` only checks the token.
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from app.core.forms import BaseForm
from app.reports import services
from app.reports.models import ReportKind, ReportStatus


class ReportEditForm(BaseForm):
    """The CSRF token of the edit page (its fields are read by services.save_report)."""


class PhotoForm(BaseForm):
    file = FileField(_l("选择照片"), validators=[FileRequired(message=_l("请选择要上传的照片。"))])
    caption = StringField(_l("照片说明"), validators=[Optional(), Length(max=services.CAPTION_MAX,
                                                                   message=_l("照片说明不能超过 %(max)s 个字。",
                                                                              max=services.CAPTION_MAX))],
                          render_kw={"maxlength": services.CAPTION_MAX,
                                     "placeholder": _l("例如：2026年5月助餐点开放日")})


def _rating_choices():
    return [("", _l("请选择评定等级…"))] + [(r.value, r.label) for r in services.FINAL_RATINGS]


class AcceptForm(BaseForm):
    rating = SelectField(_l("结项评定等级"), validate_choice=False)
    comment = TextAreaField(_l("审核意见（选填）"),
                            validators=[Optional(), Length(max=services.COMMENT_MAX,
                                                           message=_l("不能超过 %(max)s 个字。",
                                                                      max=services.COMMENT_MAX))],
                            render_kw={"rows": 3, "maxlength": services.COMMENT_MAX})

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.rating.choices = _rating_choices()


class ReasonForm(BaseForm):
    reason = TextAreaField(_l("理由"), validators=[
        DataRequired(_l("请填写理由。")),
        Length(min=services.REASON_MIN, max=services.REASON_MAX,
               message=_l("请填写 %(min)s 到 %(max)s 个字。", min=services.REASON_MIN, max=services.REASON_MAX))],
        render_kw={"rows": 3, "maxlength": services.REASON_MAX})


class ReportFilterForm(BaseForm):
    class Meta:
        csrf = False

    status = SelectField(_l("状态"), validate_choice=False)
    kind = SelectField(_l("报告类型"), validate_choice=False)
    overdue = BooleanField(_l("只看逾期未交"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.status.choices = [("", _l("全部状态"))] + ReportStatus.choices()
        self.kind.choices = [("", _l("全部类型"))] + ReportKind.choices()

    def filters(self) -> services.ReportFilters:
        return services.ReportFilters(status=ReportStatus.coerce(self.status.data or None),
                                      kind=ReportKind.coerce(self.kind.data or None),
                                      overdue=bool(self.overdue.data))

    def active_args(self) -> dict:
        f = self.filters()
        args = {}
        if f.status:
            args["status"] = f.status.value
        if f.kind:
            args["kind"] = f.kind.value
        if f.overdue:
            args["overdue"] = "y"
        return args


