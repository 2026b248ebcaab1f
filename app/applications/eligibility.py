"""Eligibility rules (形式审查的自动检查, SPEC §3.2).

Each rule is a small function registered, in the order the officer reads them, in
`RULES`. A rule looks at the application's current state (locked once submitted, so it
equals the latest submitted version), its organization and its call, and answers
`(passed, reason)` — the reason always says why, with the numbers — or None when the call
does not ask for it (no minimum grade set, no categories listed…).

What a rule needs beyond the application (the funder's bars on the organization, the
organization's other applications in the call) is gathered by `gather_facts` in two
queries for any number of applications, so the batch view does not query per row.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from typing import Any, Callable
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.applications.models import ACTIVE_STATUSES, Application
from app.core.money import format_fen
from app.extensions import db
from app.orgs import credit as org_credit
from app.orgs.models import CreditStatus, Debarment, LegalStatus

CHINA = ZoneInfo("Asia/Shanghai")
# The budget head whose share the call caps (SPEC §2: default heads 业务活动费 / 管理费用 / 税费).
MANAGEMENT_HEAD = "管理费用"


@dataclass(frozen=True)
class Check:
    """One automatic check: `rule` is a stable key, `label` and `reason` are for people."""

    rule: str
    label: str
    passed: bool
    reason: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Facts:
    """What the rules read besides the application, loaded in bulk for a call."""

    # Bars per (organization id, funder id).
    debarments: dict[tuple[int, int], list[Debarment]] = field(default_factory=dict)
    # (application id, title) of the submitted, active applications per (organization id, call id).
    active_applications: dict[tuple[int, int], list[tuple[int, str]]] = field(default_factory=dict)
    # The credit records (app.orgs.credit) of the organizations applying to calls that set a
    # minimum credit score; None when no call in the batch does.
    credit: org_credit.Records | None = None


@dataclass
class Subject:
    application: Application
    facts: Facts
    today: date  # the screening date in Asia/Shanghai

    @property
    def call(self):
        return self.application.call

    @property
    def org(self):
        return self.application.organization


RuleFn = Callable[[Subject], "tuple[bool, str] | None"]


@dataclass(frozen=True)
class Rule:
    key: str
    label: Any  # lazy string: translated when the check is made
    fn: RuleFn


RULES: list[Rule] = []


def rule(key: str, label) -> Callable[[RuleFn], RuleFn]:
    def register(fn: RuleFn) -> RuleFn:
        if any(r.key == key for r in RULES):
            raise RuntimeError(f"duplicate eligibility rule {key}")
        RULES.append(Rule(key, label, fn))
        return fn

    return register


# --- helpers ---------------------------------------------------------------------------

def china_date(moment: datetime) -> date:
    return moment.astimezone(CHINA).date()


def full_months(start: date, end: date) -> int:
    """Whole months from `start` to `end` (0 when `end` is earlier)."""
    months = (end.year - start.year) * 12 + (end.month - start.month)
    if end.day < start.day:
        months -= 1
    return max(months, 0)


def _percent(numerator: int, denominator: int, *, round_up: bool) -> str:
    """numerator / denominator as "12.34%", exact integer arithmetic. Rounded towards the
    side that keeps a failing value visibly on the wrong side of its limit."""
    basis_points, rest = divmod(numerator * 10000, denominator)
    if round_up and rest:
        basis_points += 1
    return f"{basis_points // 100}.{basis_points % 100:02d}%"


def _names(items) -> str:
    return "、".join(str(getattr(i, "label", i)) for i in items)


# --- the rules, in the order they are shown --------------------------------------------

@rule("legal_status", _l("组织类型"))
def _legal_status(s: Subject):
    allowed = s.call.legal_statuses
    status = s.org.legal_status
    if not allowed:
        return False, _("组织类型为“%(status)s”；本征集未设置可申报的组织类型。", status=status.label)
    if status in allowed:
        return True, _("组织类型为“%(status)s”，本征集接受：%(allowed)s。",
                       status=status.label, allowed=_names(allowed))
    return False, _("组织类型为“%(status)s”，本征集只接受：%(allowed)s。",
                    status=status.label, allowed=_names(allowed))


@rule("org_age", _l("成立时间"))
def _org_age(s: Subject):
    minimum = s.call.min_org_age_months or 0
    if minimum <= 0:
        return None
    org = s.org
    if org.legal_status == LegalStatus.REGISTERED and org.registered_on:
        start, basis = org.registered_on, _("登记")
    else:
        start, basis = org.founded_on, _("成立")
    end = china_date(s.call.deadline_at)
    months = full_months(start, end)
    return months >= minimum, _(
        "%(basis)s %(months)s 个月（%(start)s %(basis)s，计至截止日 %(end)s），要求至少 %(minimum)s 个月。",
        basis=basis, months=months, start=start.isoformat(), end=end.isoformat(), minimum=minimum)


@rule("credit_status", _l("信用状态"))
def _credit_status(s: Subject):
    if not s.call.require_normal_credit:
        return None
    status = s.org.credit_status
    if status == CreditStatus.NORMAL:
        return True, _("信用状态正常。")
    return False, _("信用状态为“%(status)s”，本征集要求信用状态正常。", status=status.label)


@rule("credit_score", _l("信用分"))
def _credit_score(s: Subject):
    minimum = s.call.min_credit_score
    if minimum is None:
        return None
    records = s.facts.credit
    if records is None or s.org.id not in records.organization_ids:
        records = org_credit.load_records([s.org.id])
    a = org_credit.evaluate(records, s.org.id, s.today)
    barred = _("，正被禁止申报") if a.active_bars else ""
    return a.score >= minimum, _(
        "平台信用分 %(score)s 分（%(grade)s %(label)s%(barred)s，按 %(today)s 计算），要求不低于 %(minimum)s 分。",
        score=a.score, grade=a.grade.value, label=a.grade.label, barred=barred, today=s.today.isoformat(),
        minimum=minimum)


@rule("evaluation_grade", _l("评估等级"))
def _evaluation_grade(s: Subject):
    minimum = s.call.min_evaluation_grade
    if minimum is None or minimum.rank == 0:
        return None
    grade = s.org.evaluation_grade
    return grade.rank >= minimum.rank, _("评估等级为“%(grade)s”，要求不低于 %(minimum)s。",
                                         grade=grade.label, minimum=minimum.label)


@rule("category", _l("组织类别"))
def _category(s: Subject):
    categories = s.call.categories
    if not categories:
        return None
    category = s.org.category
    if category in categories:
        return True, _("组织类别为“%(category)s”，属于本征集的类别（%(allowed)s）。",
                       category=category.label, allowed=_names(categories))
    return False, _("组织类别为“%(category)s”，不在本征集的类别（%(allowed)s）内。",
                    category=category.label, allowed=_names(categories))


@rule("service_targets", _l("服务对象"))
def _service_targets(s: Subject):
    wanted = s.call.service_targets
    if not wanted:
        return None
    groups = s.application.target_groups
    if not groups:
        return False, _("申报书未填写服务对象；本征集的服务对象为：%(wanted)s。", wanted=_names(wanted))
    common = [g for g in groups if g in wanted]
    if common:
        return True, _("申报的服务对象中，%(common)s 属于本征集的服务对象（%(wanted)s）。",
                       common=_names(common), wanted=_names(wanted))
    return False, _("申报的服务对象（%(groups)s）都不在本征集的服务对象（%(wanted)s）内。",
                    groups=_names(groups), wanted=_names(wanted))


@rule("home_community", _l("组织所在地"))
def _home_community(s: Subject):
    scope, home = s.call.region_scope, s.org.home_community
    if scope.covers(home):
        return True, _("组织所在社区“%(home)s”在征集范围“%(scope)s”内。", home=home.name, scope=scope.name)
    return False, _("组织所在社区“%(home)s”不在征集范围“%(scope)s”内。",
                    home=home.name if home else "—", scope=scope.name)


@rule("service_communities", _l("服务社区"))
def _service_communities(s: Subject):
    scope = s.call.region_scope
    communities = s.application.communities
    if not communities:
        return False, _("申报书未填写服务社区。")
    outside = [c for c in communities if not scope.covers(c)]
    if outside:
        return False, _("服务社区 %(names)s 不在征集范围“%(scope)s”内。",
                        names=_names(c.name for c in outside), scope=scope.name)
    return True, _("全部 %(n)s 个服务社区都在征集范围“%(scope)s”内。", n=len(communities), scope=scope.name)


@rule("requested_amount", _l("申请金额"))
def _requested_amount(s: Subject):
    call, requested = s.call, s.application.requested_fen
    if requested < call.min_award_fen:
        return False, _("申请 %(requested)s，低于本征集单个项目最低额 %(minimum)s。",
                        requested=format_fen(requested), minimum=format_fen(call.min_award_fen))
    if requested > call.max_award_fen:
        return False, _("申请 %(requested)s，超过本征集单个项目最高额 %(maximum)s。",
                        requested=format_fen(requested), maximum=format_fen(call.max_award_fen))
    return True, _("申请 %(requested)s，在本征集单个项目 %(minimum)s – %(maximum)s 的范围内。",
                   requested=format_fen(requested), minimum=format_fen(call.min_award_fen),
                   maximum=format_fen(call.max_award_fen))


@rule("management_share", _l("管理费用占比"))
def _management_share(s: Subject):
    cap = s.call.management_cap_pct
    total = s.application.budget_total_fen
    management = s.application.head_total_fen(MANAGEMENT_HEAD)
    if total <= 0:
        return True, _("预算中没有费用，管理费用为 %(management)s。", management=format_fen(management))
    passed = management * 100 <= cap * total
    return passed, _("管理费用 %(management)s，占预算总额 %(total)s 的 %(share)s，上限 %(cap)s%%。",
                     management=format_fen(management), total=format_fen(total),
                     share=_percent(management, total, round_up=True), cap=cap)


@rule("matching_funds", _l("配套资金"))
def _matching_funds(s: Subject):
    ratio = s.call.matching_ratio_pct
    if not ratio:
        return None
    requested, matching = s.application.requested_fen, s.application.matching_fen
    passed = matching * 100 >= ratio * requested
    share = _percent(matching, requested, round_up=False) if requested else "—"
    return passed, _("配套资金 %(matching)s，为申请金额 %(requested)s 的 %(share)s，要求不低于 %(ratio)s%%。",
                     matching=format_fen(matching), requested=format_fen(requested), share=share, ratio=ratio)


@rule("attachments", _l("必需附件"))
def _attachments(s: Subject):
    required = list(s.call.required_attachments or [])
    if not required:
        return None
    present = {a.kind for a in s.application.attachments}
    missing = [name for name in required if name not in present]
    if missing:
        return False, _("缺少必需附件：%(missing)s（共需 %(n)s 项，已提交 %(done)s 项）。",
                        missing=_names(missing), n=len(required), done=len(required) - len(missing))
    return True, _("已提交全部 %(n)s 项必需附件：%(names)s。", n=len(required), names=_names(required))


@rule("not_barred", _l("未被禁止申报"))
def _not_barred(s: Subject):
    funder = s.call.funder.name
    bars = s.facts.debarments.get((s.org.id, s.call.funder_id), [])
    active = [d for d in bars if d.active_on(s.today)]
    if not active:
        return True, _("截至 %(today)s，未被“%(funder)s”禁止申报。", today=s.today.isoformat(), funder=funder)
    bar = max(active, key=lambda d: d.ends_on)
    return False, _("被“%(funder)s”禁止申报（%(start)s 至 %(end)s）：%(reason)s",
                    funder=funder, start=bar.starts_on.isoformat(), end=bar.ends_on.isoformat(),
                    reason=bar.reason)


@rule("one_per_org", _l("申报数量"))
def _one_per_org(s: Subject):
    maximum = s.call.max_applications_per_org
    mine = s.facts.active_applications.get((s.org.id, s.call.id), [])
    others = [(i, t) for i, t in mine if i != s.application.id]
    if len(others) <= maximum - 1:
        return True, _("本组织在本征集中另有 %(n)s 个有效申报，每个组织最多 %(maximum)s 个。",
                       n=len(others), maximum=maximum)
    titles = "、".join(f"《{t}》" for _i, t in others)
    return False, _("本组织在本征集中另有 %(n)s 个有效申报（%(titles)s），每个组织最多 %(maximum)s 个。",
                    n=len(others), titles=titles, maximum=maximum)


# --- running them ----------------------------------------------------------------------

def gather_facts(applications: list[Application]) -> Facts:
    """Bars and other applications for all `applications` in two queries, plus the credit
    records (three more, whatever the number) when a call of the batch sets a minimum
    credit score."""
    facts = Facts()
    if not applications:
        return facts
    org_ids = {a.organization_id for a in applications}
    funder_ids = {a.call.funder_id for a in applications}
    call_ids = {a.call_id for a in applications}
    bars = db.session.scalars(select(Debarment).where(
        Debarment.organization_id.in_(org_ids), Debarment.funder_id.in_(funder_ids))
        .order_by(Debarment.id)).all()
    for bar in bars:
        facts.debarments.setdefault((bar.organization_id, bar.funder_id), []).append(bar)
    rows = db.session.execute(
        select(Application.id, Application.organization_id, Application.call_id, Application.title)
        .where(Application.call_id.in_(call_ids), Application.organization_id.in_(org_ids),
               Application.current_version > 0, Application.status.in_(ACTIVE_STATUSES))
        .order_by(Application.id)).all()
    for app_id, org_id, call_id, title in rows:
        facts.active_applications.setdefault((org_id, call_id), []).append((app_id, title))
    rated = {a.organization_id for a in applications if a.call.min_credit_score is not None}
    if rated:
        facts.credit = org_credit.load_records(rated)
    return facts


def run_checks(application: Application, now: datetime, facts: Facts | None = None) -> list[Check]:
    """Every rule the call asks for, in order, for `application` on the date of `now`
    (Asia/Shanghai). `facts` from `gather_facts` saves the per-application queries."""
    subject = Subject(application, facts if facts is not None else gather_facts([application]), china_date(now))
    checks = []
    for r in RULES:
        outcome = r.fn(subject)
        if outcome is None:
            continue
        passed, reason = outcome
        checks.append(Check(rule=r.key, label=str(r.label), passed=bool(passed), reason=reason))
    return checks


def all_passed(checks: list[Check]) -> bool:
    return all(c.passed for c in checks)
