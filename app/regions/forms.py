from flask_babel import lazy_gettext as _l
from wtforms import SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Regexp

from app.core.forms import BaseForm
from app.regions.models import CommunityKind, RegionLevel


class RegionForm(BaseForm):
    name = StringField(_l("名称"), validators=[DataRequired(_l("请输入区划名称。")),
                                         Length(max=60, message=_l("区划名称不能超过 60 个字。"))])
    code = StringField(_l("区划代码"), validators=[DataRequired(_l("请输入区划代码。")),
                                           Length(max=12, message=_l("区划代码最长 12 位。"))])
    kind = SelectField(_l("社区类型"), validators=[DataRequired(_l("请选择城市社区或农村社区。"))])

    def __init__(self, *args, level: RegionLevel, **kwargs):
        super().__init__(*args, **kwargs)
        # Only communities/villages are urban or rural.
        if level != RegionLevel.COMMUNITY:
            del self.kind
        else:
            # Labels are translated per request, so choices are built here, not at import.
            self.kind.choices = [SelectChoice("", _l("请选择"))] + [
                SelectChoice(value, label) for value, label in CommunityKind.choices()]
        length = {RegionLevel.STREET: 9, RegionLevel.COMMUNITY: 12}.get(level, 6)
        # The service checks the same; checking here too shows every problem at once.
        self.code.validators = list(self.code.validators) + [
            Regexp(rf"^[0-9]{{{length}}}$",
                   message=_l("%(label)s级区划代码应为 %(length)s 位数字（统计用区划代码）。", label=level.label, length=length))]
        self.code.description = (_l("%(length)s 位数字的统计用区划代码，例如 530102（县级）、530102001（街道）、530102001001（社区）。", length=length))
