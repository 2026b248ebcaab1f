"""Forms of the notice and award pages. The services check everything again; these give
the messages beside the fields."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import RadioField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from app.awards import services
from app.core.forms import BaseForm, clean_search
from app.orgs.forms import plain_options


def _len(max_len: int, min_len: int = -1):
    if min_len > 0:
        return Length(min=min_len, max=max_len,
                      message=_l("请填写 %(min)s 到 %(max)s 个字。", min=min_len, max=max_len))
    return Length(max=max_len, message=_l("不能超过 %(max)s 个字。", max=max_len))


class PublishForm(BaseForm):
    intro = TextAreaField(_l("公示说明"), validators=[_len(services.INTRO_MAX)],
                          render_kw={"rows": 6, "maxlength": services.INTRO_MAX},
                          description=_l("显示在公示名单上方，说明公示的依据、期限和异议方式。"))
    contact = StringField(_l("异议受理联系方式"),
                          validators=[DataRequired(_l("请填写异议受理联系方式。")), _len(services.CONTACT_MAX)],
                          render_kw={"maxlength": services.CONTACT_MAX},
                          description=_l("公开显示，例如：区民政局社会组织管理科，电话 0871-63000000。"))


WHOLE_LIST = ""


class ObjectionForm(BaseForm):
    name = StringField(_l("姓名"), validators=[DataRequired(_l("请填写姓名。")), _len(services.OBJECTOR_NAME_MAX)],
                       render_kw={"maxlength": services.OBJECTOR_NAME_MAX, "autocomplete": "name"},
                       description=_l("姓名会与异议内容一起公开。"))
    contact = StringField(_l("联系方式"),
                          validators=[DataRequired(_l("请填写电话或电子邮箱。")), _len(services.OBJECTOR_CONTACT_MAX)],
                          render_kw={"maxlength": services.OBJECTOR_CONTACT_MAX},
                          description=_l("电话或电子邮箱，仅资助方工作人员可见，用于核实和答复，不会公开。"))
    application_id = SelectField(_l("异议针对"), validate_choice=False)
    content = TextAreaField(
        _l("异议内容和理由"),
        validators=[DataRequired(_l("请填写异议内容和理由。")),
                    _len(services.OBJECTION_MAX, services.OBJECTION_MIN)],
        render_kw={"rows": 5, "maxlength": services.OBJECTION_MAX},
        description=_l("请写明具体事实和依据（10 到 2000 字）。内容会公开，请勿填写他人的身份证号、电话等个人信息。"))

    def __init__(self, *args, rows=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.application_id.choices = [SelectChoice(WHOLE_LIST, _l("整体名单（不针对某个项目）"))] + [
            SelectChoice(str(r.application.id), f"{r.rank}. {r.title}（{r.organization}）") for r in rows]


ANSWER_CHOICES = [SelectChoice("dismissed", _l("异议不成立")), SelectChoice("upheld", _l("异议成立"))]


class AnswerForm(BaseForm):
    decision = RadioField(_l("答复结论"), choices=ANSWER_CHOICES, validate_choice=False)
    answer = TextAreaField(_l("答复内容"),
                           validators=[DataRequired(_l("请填写答复内容。")),
                                       _len(services.ANSWER_MAX, services.ANSWER_MIN)],
                           render_kw={"rows": 3, "maxlength": services.ANSWER_MAX})

    def upheld(self) -> bool | None:
        return {"upheld": True, "dismissed": False}.get(self.decision.data)


class NoticeFilterForm(BaseForm):
    class Meta:
        csrf = False

    q = StringField(_l("征集名称或资助方"), validators=[Optional(), Length(max=100)])

    def search(self) -> str | None:
        return clean_search(self.q.data) or None

    def active_args(self) -> dict:
        return {"q": self.search()} if self.search() else {}


def _int_choice(value) -> int | None:
    value = (value or "").strip() if isinstance(value, str) else ""
    return int(value) if value.isascii() and value.isdigit() and 0 < len(value) < 10 and int(value) > 0 else None


class AwardFilterForm(BaseForm):
    class Meta:
        csrf = False

    q = StringField(_l("组织或项目名称"), validators=[Optional(), Length(max=100)])
    call = SelectField(_l("征集"), validate_choice=False)
    region = SelectField(_l("地区（县/市/区）"), validate_choice=False)
    year = SelectField(_l("立项年度"), validate_choice=False)

    def __init__(self, *args, choices: services.AwardFilterChoices | None = None, with_call: bool = True,
                 **kwargs):
        super().__init__(*args, **kwargs)
        choices = choices or services.AwardFilterChoices([], [], [])
        self.with_call = with_call
        self.call.choices = plain_options(choices.calls, blank=_l("全部征集"))
        self.region.choices = plain_options(choices.regions, blank=_l("全部地区"))
        self.year.choices = plain_options([(y, str(y)) for y in choices.years], blank=_l("全部年度"))

    def filters(self) -> dict:
        year = _int_choice(self.year.data)
        return {
            "q": clean_search(self.q.data) or None,
            "call_id": _int_choice(self.call.data) if self.with_call else None,
            "region_id": _int_choice(self.region.data),
            "year": year if year is not None and 1900 < year < 3000 else None,
        }

    def active_args(self) -> dict:
        names = ("q", "call", "region", "year") if self.with_call else ("q", "region", "year")
        return {n: getattr(self, n).data for n in names if getattr(self, n).data}
