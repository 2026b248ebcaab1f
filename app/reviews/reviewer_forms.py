"""Forms of the reviewer's workspace: the conflict declaration, the score sheet, the task
filter and the officer's blind-safe marking."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import Length, Optional

from app.core.forms import BaseForm, clean_search
from app.reviews.scoring import COMMENT_MAX, REASON_MAX, STATE_FILTERS, TaskState

NO_CONFLICT = "none"
CONFLICT = "conflict"


class DeclarationForm(BaseForm):
    decision = RadioField(_l("利益冲突声明"), validate_choice=False)
    reason = TextAreaField(
        _l("回避理由"),
        validators=[Length(max=REASON_MAX, message=_l("回避理由不能超过 500 个字。"))],
        render_kw={"rows": 3, "maxlength": REASON_MAX},
        description=_l("申请回避时必填：例如曾在该组织任职或担任顾问、与其负责人有亲属关系、存在经济往来。"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.decision.choices = [(NO_CONFLICT, _l("本人与该申报项目无利益冲突")),
                                 (CONFLICT, _l("存在利益冲突，申请回避"))]

    def validate_decision(self, field) -> None:
        if field.data not in (NO_CONFLICT, CONFLICT):
            from wtforms.validators import ValidationError

            raise ValidationError(_l("请选择“无利益冲突”或“申请回避”。"))

    @property
    def conflict(self) -> bool:
        return self.decision.data == CONFLICT


class ScoreForm(BaseForm):
    """The comment and the confirmation; the points are read per criterion from the
    request (inputs ``points-<criterion id>``) and checked by the service."""

    comment = TextAreaField(
        _l("评审意见"), validators=[Length(max=COMMENT_MAX, message=_l("评审意见不能超过 2000 个字。"))],
        render_kw={"rows": 6, "maxlength": COMMENT_MAX},
        description=_l("提交时必填：项目的主要优点、不足和改进建议，最多 2000 字。"))
    confirm = BooleanField(_l("我已核对全部评分，提交后不可修改"))

    @staticmethod
    def points_from(formdata, criteria) -> dict[str, str]:
        return {str(c.id): formdata.get(f"points-{c.id}", "") for c in criteria}


class TaskFilterForm(BaseForm):
    class Meta:
        csrf = False

    status = SelectField(_l("任务状态"), validate_choice=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.status.choices = ([("", _l("全部进行中的任务")), ("all", _l("全部（含已回避）"))] +
                               [(key, TaskState.LABELS[key]) for key in STATE_FILTERS])

    def value(self) -> str | None:
        data = self.status.data
        return data if data == "all" or data in STATE_FILTERS else None


BLIND_SAFE_FILTERS = {"marked": _l("已标记可用"), "unmarked": _l("未标记")}


class BlindSafeFilterForm(BaseForm):
    class Meta:
        csrf = False

    q = StringField(_l("项目、组织、文件名或编号"), validators=[Optional(), Length(max=100)])
    marked = SelectField(_l("标记状态"), validate_choice=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.marked.choices = [("", _l("全部"))] + list(BLIND_SAFE_FILTERS.items())

    def search(self) -> str | None:
        return clean_search(self.q.data) or None

    def marked_value(self) -> bool | None:
        return {"marked": True, "unmarked": False}.get(self.marked.data or "")

    def active_args(self) -> dict:
        args = {}
        if self.search():
            args["q"] = self.search()
        if self.marked.data in BLIND_SAFE_FILTERS:
            args["marked"] = self.marked.data
        return args
