"""Forms of the agreement pages. The services check everything again; these give the
messages beside the fields."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from app.core import uploads
from app.core.forms import BaseForm, clean_search
from app.money import agreements as service
from app.money.models import AgreementStatus
from app.orgs.forms import plain_options


class ScanForm(BaseForm):
    # The service judges the file by its content (a clear message, not WTForms').
    file = FileField(_l("签署件扫描件"),
                     render_kw={"accept": uploads.accept_attribute(service.SCAN_TYPES)},
                     description=_l("双方签字盖章后的协议全文扫描件，PDF、PNG 或 JPEG，单个文件不超过 15 MB。"))


class RefuseForm(BaseForm):
    reason = TextAreaField(
        _l("退回原因"),
        validators=[DataRequired(_l("请填写退回原因，告诉机构签署件哪里需要更正。")),
                    Length(min=service.REASON_MIN, max=service.REASON_MAX,
                           message=_l("请填写 %(min)s 到 %(max)s 个字。", min=service.REASON_MIN,
                                      max=service.REASON_MAX))],
        render_kw={"rows": 3, "maxlength": service.REASON_MAX},
        description=_l("例如：缺少乙方公章；第 3 页未签字。机构会看到这段说明。"))


def _int_choice(value) -> int | None:
    value = value.strip() if isinstance(value, str) else ""
    return int(value) if value.isascii() and value.isdigit() and 0 < len(value) < 10 and int(value) > 0 else None


def agreement_filter() -> list[tuple[str, str]]:
    return [(service.NO_AGREEMENT, _l("尚未生成协议"))] + [(s.value, s.label) for s in AgreementStatus]


class MyAwardsFilterForm(BaseForm):
    class Meta:
        csrf = False

    q = StringField(_l("组织、项目或立项编号"), validators=[Optional(), Length(max=100)])
    status = SelectField(_l("协议状态"), validate_choice=False)
    call = SelectField(_l("征集"), validate_choice=False)

    def __init__(self, *args, calls=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.status.choices = plain_options(agreement_filter(), blank=_l("全部状态"))
        self.call.choices = plain_options(calls, blank=_l("全部征集"))

    def filters(self) -> dict:
        status = self.status.data if self.status.data in {v for v, _label in agreement_filter()} else None
        return {"q": clean_search(self.q.data) or None, "agreement_status": status,
                "call_id": _int_choice(self.call.data)}

    def active_args(self) -> dict:
        return {n: getattr(self, n).data for n in ("q", "status", "call")
                if isinstance(getattr(self, n).data, str) and getattr(self, n).data}
