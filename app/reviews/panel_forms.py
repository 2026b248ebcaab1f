"""Forms of the panel page (评审小组): draw, add a member, assign by hand."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, EmailField, IntegerField, SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, Optional, ValidationError

from app.core.forms import BaseForm
from app.orgs.forms import MultiCheckboxField, enum_options
from app.reviews.blind import application_code
from app.reviews.models import ExpertiseField
from app.reviews.panels import MAX_DRAW_SIZE


class HeadcountField(IntegerField):
    """A number of people typed with half-width digits: "５", "2.5", "-1", "abc" and
    numbers too large get a clear message instead of WTForms' generic one."""

    def process_formdata(self, valuelist):
        if not valuelist:
            return
        raw = (valuelist[0] or "").strip()
        if not raw:
            self.data = None
            return
        if not (raw.isascii() and raw.isdigit()) or len(raw) > 3:
            self.data = None
            raise ValueError(_l("抽取人数请填写 1 到 %(max)s 之间的整数（半角数字）。", max=MAX_DRAW_SIZE))
        self.data = int(raw)


class DrawForm(BaseForm):
    size = HeadcountField(_l("抽取人数"), render_kw={"min": 1, "max": MAX_DRAW_SIZE, "inputmode": "numeric"},
                          description=_l("通常为每份申报的评审专家人数或略多。"))
    fields = MultiCheckboxField(_l("专业领域（可多选，不选则不限）"),
                                invalid_choice_message=lambda n: _l("专业领域选项无效。"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields.choices = enum_options(ExpertiseField)

    def validate_size(self, field):
        if field.errors:  # the typed text was not a number: that message says it all
            return
        if field.data is None:
            raise ValidationError(_l("请填写抽取人数。"))
        if not 1 <= field.data <= MAX_DRAW_SIZE:
            raise ValidationError(_l("抽取人数请填写 1 到 %(max)s 之间的整数（半角数字）。", max=MAX_DRAW_SIZE))


class AddMemberForm(BaseForm):
    expert_id = SelectField(_l("从专家库选择"), validate_choice=False)
    email = EmailField(_l("或填写专家邮箱"), validators=[Optional(), Length(max=254, message=_l("邮箱不能超过 254 个字符。"))])
    chair = BooleanField(_l("设为评审组长"))

    def __init__(self, *args, experts=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.expert_id.choices = [SelectChoice("", _l("请选择专家"))] + [
            SelectChoice(str(e.id), f"{e.user.name} · {e.title} · {e.employer}") for e in experts]


class AssignmentForm(BaseForm):
    application_id = SelectField(_l("申报书"), validate_choice=False)
    member_id = SelectField(_l("评审专家"), validate_choice=False)

    def __init__(self, *args, applications=(), members=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.application_id.choices = [SelectChoice("", _l("请选择申报书"))] + [
            SelectChoice(str(a.id), f"{application_code(a)} {a.title}") for a in applications]
        self.member_id.choices = [SelectChoice("", _l("请选择评审专家"))] + [
            SelectChoice(str(m.id), m.expert.user.name) for m in members]


def first_error(form: BaseForm, fallback: str) -> str:
    """The form's messages joined, for a flash (the page is redrawn after a redirect)."""
    messages = [str(e) for errors in form.errors.values() for e in errors]
    return " ".join(dict.fromkeys(messages)) or fallback
