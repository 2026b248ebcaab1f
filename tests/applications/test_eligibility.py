"""形式审查的自动检查: each rule with a passing and a failing case (SPEC §3.2)."""
from __future__ import annotations

import itertools
from datetime import date, datetime, timedelta, timezone

import pytest

from app.applications.eligibility import RULES, full_months, gather_facts, run_checks
from app.applications.models import ApplicationCommunity, ApplicationStatus, Attachment
from app.calls.models import CallCategory, CallServiceTarget, CallStatus
from app.orgs.models import Category, CreditStatus, Debarment, EvaluationGrade, LegalStatus, ServiceTarget
from app.regions.models import RegionLevel
from tests.factories import make_application, make_call, make_funder, make_org, make_region

NOW = datetime(2026, 3, 10, 2, 0, tzinfo=timezone.utc)  # 2026-03-10 10:00 in Asia/Shanghai
_files = itertools.count(1)


@pytest.fixture
def world(db):
    county = make_region(level=RegionLevel.COUNTY, name="五华区")
    street = make_region(level=RegionLevel.STREET, parent=county, name="华山街道")
    community = make_region(level=RegionLevel.COMMUNITY, parent=street, name="翠湖社区")
    funder = make_funder(region=county, name="五华区民政局")
    call = make_call(funder, status=CallStatus.SCREENING, title="2026 年五华区公益创投",
                     opens_at=NOW - timedelta(days=40), deadline_at=NOW - timedelta(days=5))
    org = make_org(community=community, name="翠湖助老服务队")
    application = make_application(call, org, status=ApplicationStatus.SUBMITTED, title="长者助餐")
    return {"county": county, "street": street, "community": community, "funder": funder,
            "call": call, "org": org, "app": application}


def check(application, rule, now=NOW):
    """The named check of `application`, or None when the call does not ask for it."""
    from app.extensions import db

    db.session.flush()
    for obj in (application, application.call, application.organization):
        db.session.expire(obj)
    return next((c for c in run_checks(application, now) if c.rule == rule), None)


def attach(application, kind):
    n = next(_files)
    a = Attachment(application_id=application.id, kind=kind, original_name=f"{kind}.pdf",
                   stored_name=f"test-{n:08d}.pdf", content_type="application/pdf", size_bytes=100,
                   sha256=f"{n:064x}", locked=True)
    from app.extensions import db

    db.session.add(a)
    db.session.flush()
    return a


def test_rules_are_ordered_and_keyed_stably():
    assert [r.key for r in RULES] == [
        "legal_status", "org_age", "credit_status", "credit_score", "evaluation_grade", "category", "service_targets",
        "home_community", "service_communities", "requested_amount", "management_share", "matching_funds",
        "attachments", "not_barred", "one_per_org"]


def test_a_clean_application_passes_every_rule_the_call_asks_for(world):
    checks = run_checks(world["app"], NOW)
    assert all(c.passed for c in checks), [c for c in checks if not c.passed]
    # Rules the call does not set are not checked (age 0, no grade, no categories...).
    assert {c.rule for c in checks} == {"legal_status", "credit_status", "home_community", "service_communities",
                                        "requested_amount", "management_share", "not_barred", "one_per_org"}
    assert all(c.label and c.reason for c in checks)


# --- legal status ---------------------------------------------------------------------

def test_legal_status_allowed(world):
    c = check(world["app"], "legal_status")
    assert c.passed and "备案" in c.reason


def test_legal_status_not_allowed(world):
    world["call"].allowed_legal_statuses = ["registered"]
    c = check(world["app"], "legal_status")
    assert not c.passed
    assert c.reason == "组织类型为“备案”，本征集只接受：登记。"


# --- organization age -----------------------------------------------------------------

def test_org_age_enough(world):
    world["call"].min_org_age_months = 12  # founded 2020-05-01, deadline 2026-03-05
    c = check(world["app"], "org_age")
    assert c.passed and "成立 70 个月" in c.reason and "至少 12 个月" in c.reason


def test_org_age_too_young(world):
    world["call"].min_org_age_months = 12
    world["org"].founded_on = date(2025, 7, 1)
    c = check(world["app"], "org_age")
    assert not c.passed
    assert c.reason == "成立 8 个月（2025-07-01 成立，计至截止日 2026-03-05），要求至少 12 个月。"


def test_org_age_counts_from_registration_for_registered_orgs(world):
    org = world["org"]
    org.legal_status, org.credit_code = LegalStatus.REGISTERED, "91350100M000100Y43"
    org.founded_on, org.registered_on = date(2015, 1, 1), date(2025, 9, 5)
    world["call"].min_org_age_months = 6
    c = check(world["app"], "org_age")
    assert c.passed and c.reason.startswith("登记 6 个月")
    org.registered_on = date(2025, 9, 6)
    c = check(world["app"], "org_age")
    assert not c.passed and c.reason.startswith("登记 5 个月")


def test_org_age_is_counted_to_the_deadline_date_in_shanghai(world):
    call = world["call"]
    call.min_org_age_months = 12
    # 2025-06-30 16:30 UTC is already 2025-07-01 in Asia/Shanghai.
    call.opens_at = datetime(2025, 6, 1, tzinfo=timezone.utc)
    call.deadline_at = datetime(2025, 6, 30, 16, 30, tzinfo=timezone.utc)
    world["org"].founded_on = date(2024, 7, 1)
    c = check(world["app"], "org_age")
    assert c.passed and "计至截止日 2025-07-01" in c.reason


def test_full_months():
    assert full_months(date(2024, 1, 15), date(2024, 3, 15)) == 2
    assert full_months(date(2024, 1, 15), date(2024, 3, 14)) == 1
    assert full_months(date(2024, 1, 31), date(2024, 2, 29)) == 0
    assert full_months(date(2025, 1, 1), date(2024, 1, 1)) == 0


# --- credit status --------------------------------------------------------------------

def test_credit_normal(world):
    c = check(world["app"], "credit_status")
    assert c.passed and c.reason == "信用状态正常。"


def test_credit_abnormal(world):
    world["org"].credit_status = CreditStatus.ABNORMAL
    c = check(world["app"], "credit_status")
    assert not c.passed and "活动异常名录" in c.reason


def test_credit_not_checked_when_the_call_does_not_require_it(world):
    world["call"].require_normal_credit = False
    world["org"].credit_status = CreditStatus.SERIOUS
    assert check(world["app"], "credit_status") is None


# --- evaluation grade -----------------------------------------------------------------

def test_grade_high_enough(world):
    world["call"].min_evaluation_grade = EvaluationGrade.A3
    world["org"].evaluation_grade = EvaluationGrade.A4
    c = check(world["app"], "evaluation_grade")
    assert c.passed and "4A" in c.reason and "不低于 3A" in c.reason


@pytest.mark.parametrize("grade", [EvaluationGrade.A2, EvaluationGrade.NONE])
def test_grade_too_low(world, grade):
    world["call"].min_evaluation_grade = EvaluationGrade.A3
    world["org"].evaluation_grade = grade
    c = check(world["app"], "evaluation_grade")
    assert not c.passed and grade.label in c.reason


def test_grade_not_checked_by_default(world):
    world["org"].evaluation_grade = EvaluationGrade.NONE
    assert check(world["app"], "evaluation_grade") is None


# --- category -------------------------------------------------------------------------

def test_category_listed(world):
    world["call"].category_rows = [CallCategory(category=Category.LIFE_SERVICE), CallCategory(category=Category.CHARITY)]
    c = check(world["app"], "category")
    assert c.passed and "生活服务类" in c.reason


def test_category_not_listed(world):
    world["call"].category_rows = [CallCategory(category=Category.CHARITY)]
    c = check(world["app"], "category")
    assert not c.passed
    assert c.reason == "组织类别为“生活服务类”，不在本征集的类别（公益慈善类）内。"


# --- service targets ------------------------------------------------------------------

def test_service_targets_overlap(world):
    world["call"].target_rows = [CallServiceTarget(target=ServiceTarget.ELDERLY),
                                 CallServiceTarget(target=ServiceTarget.CHILDREN)]
    c = check(world["app"], "service_targets")
    assert c.passed and "老年人" in c.reason


def test_service_targets_no_overlap(world):
    world["call"].target_rows = [CallServiceTarget(target=ServiceTarget.CHILDREN)]
    c = check(world["app"], "service_targets")
    assert not c.passed and "老年人" in c.reason and "儿童" in c.reason


def test_service_targets_missing(world):
    world["call"].target_rows = [CallServiceTarget(target=ServiceTarget.CHILDREN)]
    world["app"].target_rows = []
    c = check(world["app"], "service_targets")
    assert not c.passed and "未填写服务对象" in c.reason


# --- region scope ---------------------------------------------------------------------

def test_home_community_inside_scope(world):
    c = check(world["app"], "home_community")
    assert c.passed and "翠湖社区" in c.reason and "五华区" in c.reason


def test_home_community_outside_scope(world):
    elsewhere = make_region(name="远方社区")
    world["org"].home_community_id = elsewhere.id
    c = check(world["app"], "home_community")
    assert not c.passed and c.reason == "组织所在社区“远方社区”不在征集范围“五华区”内。"


def test_service_communities_inside_scope(world):
    other = make_region(level=RegionLevel.COMMUNITY, parent=world["street"], name="莲华社区")
    world["app"].community_rows.append(ApplicationCommunity(community_id=other.id))
    c = check(world["app"], "service_communities")
    assert c.passed and "全部 2 个" in c.reason


def test_service_communities_outside_scope(world):
    elsewhere = make_region(name="远方社区")
    world["app"].community_rows.append(ApplicationCommunity(community_id=elsewhere.id))
    c = check(world["app"], "service_communities")
    assert not c.passed and "远方社区" in c.reason and "翠湖社区" not in c.reason


def test_service_communities_missing(world):
    world["app"].community_rows = []
    c = check(world["app"], "service_communities")
    assert not c.passed and "未填写服务社区" in c.reason


# --- amounts --------------------------------------------------------------------------

def test_requested_within_bounds(world):
    c = check(world["app"], "requested_amount")
    assert c.passed and "¥50,000.00" in c.reason and "¥20,000.00 – ¥100,000.00" in c.reason


@pytest.mark.parametrize("fen, words", [(1_999_999, "低于本征集单个项目最低额 ¥20,000.00"),
                                        (10_000_001, "超过本征集单个项目最高额 ¥100,000.00")])
def test_requested_out_of_bounds(world, fen, words):
    world["app"].requested_fen = fen
    c = check(world["app"], "requested_amount")
    assert not c.passed and words in c.reason


def test_requested_bounds_are_inclusive(world):
    world["app"].requested_fen = 10_000_000
    assert check(world["app"], "requested_amount").passed


def test_management_share_within_cap(world):
    c = check(world["app"], "management_share")  # 5% of the budget, cap 10%
    assert c.passed
    assert c.reason == "管理费用 ¥2,500.00，占预算总额 ¥50,000.00 的 5.00%，上限 10%。"


def test_management_share_at_the_cap_passes(world):
    world["call"].management_cap_pct = 5
    assert check(world["app"], "management_share").passed


def test_management_share_over_cap(world):
    world["call"].management_cap_pct = 4
    c = check(world["app"], "management_share")
    assert not c.passed and "5.00%" in c.reason and "上限 4%" in c.reason


def test_management_share_uses_integer_arithmetic(world):
    # 1001 / 10000 = 10.01%: one fen over a 10% cap fails, and the share shown is above the cap.
    activity, management = world["app"].budget_lines
    assert (activity.head, management.head) == ("业务活动费", "管理费用")
    activity.unit_price_fen, management.unit_price_fen = 8999, 1001
    c = check(world["app"], "management_share")
    assert not c.passed and "10.01%" in c.reason


def test_matching_enough(db, world):
    world["call"].matching_ratio_pct = 20
    rich = make_application(world["call"], make_org(community=world["community"]), status=ApplicationStatus.SUBMITTED,
                            matching_fen=1_000_000)
    c = check(rich, "matching_funds")
    assert c.passed and "20.00%" in c.reason and "不低于 20%" in c.reason


def test_matching_too_little(world):
    world["call"].matching_ratio_pct = 20
    world["app"].matching_fen = 999_999
    c = check(world["app"], "matching_funds")
    assert not c.passed and "19.99%" in c.reason


def test_matching_not_checked_without_ratio(world):
    assert check(world["app"], "matching_funds") is None


# --- attachments ----------------------------------------------------------------------

def test_required_attachments_present(world):
    world["call"].required_attachments = ["组织登记证书", "项目预算表"]
    attach(world["app"], "组织登记证书")
    attach(world["app"], "项目预算表")
    c = check(world["app"], "attachments")
    assert c.passed and "全部 2 项" in c.reason


def test_required_attachment_missing(world):
    world["call"].required_attachments = ["组织登记证书", "项目预算表"]
    attach(world["app"], "组织登记证书")
    attach(world["app"], "其他材料")
    c = check(world["app"], "attachments")
    assert not c.passed and "缺少必需附件：项目预算表" in c.reason


# --- debarment ------------------------------------------------------------------------

def _bar(db, org, funder, starts, ends):
    db.session.add(Debarment(organization_id=org.id, funder_id=funder.id, starts_on=starts, ends_on=ends,
                             reason="2024 年项目违约，未按协议提交结项报告"))
    db.session.flush()


def test_not_barred(db, world):
    # An expired bar by the same funder and a current one by another funder do not count.
    _bar(db, world["org"], world["funder"], date(2022, 1, 1), date(2025, 1, 1))
    _bar(db, world["org"], make_funder(), date(2025, 1, 1), date(2028, 1, 1))
    c = check(world["app"], "not_barred")
    assert c.passed and "五华区民政局" in c.reason


def test_barred_by_the_calls_funder(db, world):
    _bar(db, world["org"], world["funder"], date(2025, 1, 1), date(2028, 1, 1))
    c = check(world["app"], "not_barred")
    assert not c.passed
    assert "2025-01-01 至 2028-01-01" in c.reason and "未按协议提交结项报告" in c.reason


def test_bar_is_judged_on_the_screening_date_in_shanghai(db, world):
    _bar(db, world["org"], world["funder"], date(2023, 3, 11), date(2026, 3, 11))
    # 2026-03-10 16:30 UTC is 2026-03-11 00:30 in Shanghai: the bar has ended.
    assert check(world["app"], "not_barred", now=datetime(2026, 3, 10, 16, 30, tzinfo=timezone.utc)).passed
    assert not check(world["app"], "not_barred", now=datetime(2026, 3, 10, 15, 30, tzinfo=timezone.utc)).passed


# --- one application per organization -------------------------------------------------

def test_one_per_org_alone(world):
    c = check(world["app"], "one_per_org")
    assert c.passed and "另有 0 个" in c.reason


def test_one_per_org_second_application_fails(world):
    make_application(world["call"], world["org"], status=ApplicationStatus.ELIGIBLE, title="社区儿童托管")
    c = check(world["app"], "one_per_org")
    assert not c.passed and "《社区儿童托管》" in c.reason and "最多 1 个" in c.reason


@pytest.mark.parametrize("status", [ApplicationStatus.WITHDRAWN, ApplicationStatus.INELIGIBLE, ApplicationStatus.DRAFT])
def test_one_per_org_ignores_inactive_and_never_submitted(world, status):
    make_application(world["call"], world["org"], status=status)
    assert check(world["app"], "one_per_org").passed


def test_one_per_org_allows_what_the_call_allows(world):
    world["call"].max_applications_per_org = 2
    make_application(world["call"], world["org"], status=ApplicationStatus.SUBMITTED)
    assert check(world["app"], "one_per_org").passed
    make_application(world["call"], world["org"], status=ApplicationStatus.RETURNED)
    assert not check(world["app"], "one_per_org").passed


def test_other_calls_do_not_count(world):
    other_call = make_call(world["funder"], status=CallStatus.SCREENING)
    make_application(other_call, world["org"], status=ApplicationStatus.SUBMITTED)
    assert check(world["app"], "one_per_org").passed


def test_facts_are_gathered_in_two_queries(world, count_queries):
    apps = [world["app"]] + [make_application(world["call"], make_org(community=world["community"]),
                                              status=ApplicationStatus.SUBMITTED) for _ in range(4)]
    with count_queries() as n:
        facts = gather_facts(apps)
    assert n() == 2
    assert len(facts.active_applications) == 5
