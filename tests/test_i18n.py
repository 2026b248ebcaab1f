"""The English interface: pages switch language wholesale; Chinese stays the default."""
import re

import pytest

from app.orgs.models import LegalStatus
from app.regions.models import RegionLevel
from tests import factories as f
from tests.conftest import login

CJK = re.compile(r"[\u4e00-\u9fff]")


def _english(client):
    resp = client.post("/auth/language", data={"lang": "en"})
    assert resp.status_code == 302


def _text(resp) -> str:
    html = resp.get_data(as_text=True)
    html = re.sub(r"<(script|style)\b.*?</\1>", "", html, flags=re.S)
    return html


@pytest.fixture
def org(db):
    province = f.make_region(level=RegionLevel.PROVINCE, name="Yunnan")
    prefecture = f.make_region(level=RegionLevel.PREFECTURE, parent=province, name="Kunming")
    county = f.make_region(level=RegionLevel.COUNTY, parent=prefecture, name="Wuhua")
    street = f.make_region(level=RegionLevel.STREET, parent=county, name="Huashan")
    community = f.make_region(level=RegionLevel.COMMUNITY, parent=street, name="Cuihu")
    org = f.make_org(community=community, name="Cuihu Volunteers", legal_status=LegalStatus.FILED)
    org.registration_authority = "Huashan Office"
    org.contact_name = "Li"
    db.session.commit()
    return org


def test_chinese_is_the_default(client, org):
    html = _text(client.get("/orgs/"))
    assert "社区社会组织名录" in html
    assert "Community social organization directory" not in html
    assert "备案" in html  # the enum label, untranslated


def test_directory_in_english(client, org):
    _english(client)
    html = _text(client.get("/orgs/"))
    assert "Community social organization directory" in html
    assert "社区社会组织名录" not in html
    assert "All categories" in html and "Filed" in html and "Older people" in html
    assert '<html lang="en">' in html


@pytest.mark.parametrize("url, expected", [
    ("/", "How projects work"),
    ("/auth/login", "Forgot your password?"),
    ("/auth/register", "Confirm password"),
    ("/auth/forgot", "Send reset email"),
])
def test_public_pages_have_no_chinese_left_in_english(client, org, url, expected):
    _english(client)
    html = _text(client.get(url))
    assert expected in html
    # The only Chinese left is the switch back to Chinese ("中文") and data.
    leftover = set(CJK.findall(html.replace("中文", "")))
    assert not leftover, leftover


def test_org_profile_in_english(client, org):
    _english(client)
    html = _text(client.get(f"/orgs/{org.id}"))
    assert "Community social organizations" in html or "Service targets" in html
    assert "Community services" in html  # Category.LIFE_SERVICE label
    assert "Urban community" in html
    assert not CJK.findall(html.replace("中文", ""))


@pytest.mark.parametrize("url, expected", [
    ("/admin/", "Total users"),
    ("/admin/users", "User list"),
])
def test_admin_pages_in_english(client, db, org, url, expected):
    admin = f.make_admin(name="Admin")
    login(client, admin)
    _english(client)
    html = _text(client.get(url))
    assert expected in html and "Administration" in html
    assert not CJK.findall(html.replace("中文", ""))


def test_flash_and_form_errors_follow_the_language(client, db):
    _english(client)
    resp = client.post("/auth/login", data={"email": "nobody@example.cn", "password": "wrong-password"})
    assert "Incorrect email or password." in resp.get_data(as_text=True)
    resp = client.post("/auth/register", data={"email": "x@example.cn", "name": "",
                                               "password": "a", "password2": "b"})
    html = resp.get_data(as_text=True)
    assert "Please enter a name." in html and "The two passwords do not match." in html


def test_validation_messages_stay_chinese_by_default(client, db):
    resp = client.post("/auth/login", data={"email": "nobody@example.cn", "password": "wrong-password"})
    assert "邮箱或密码不正确。" in resp.get_data(as_text=True)


def test_login_required_message_is_translated(client, db):
    _english(client)
    resp = client.get("/orgs/mine", follow_redirects=True)
    assert "Please sign in first." in resp.get_data(as_text=True)


def test_service_error_in_english(client, db):
    user = f.make_user(name="Someone")
    login(client, user)
    _english(client)
    resp = client.post("/auth/password", data={"current_password": "not-my-password",
                                               "password": "Another-long-pass-42", "password2": "Another-long-pass-42"})
    html = resp.get_data(as_text=True)
    assert "The current password is incorrect." in html
    assert "当前密码不正确。" not in html


# --- the application journey (申报), the inbox and eligibility screening in English -------
#
# The factories fill applications with Chinese content; these tests give every object they
# create English text, so any Chinese left on a page comes from the interface itself.

_OTHER_KIND = "其他材料"  # app.applications.attachments.OTHER_KIND: a stored attachment kind, not a msgid
_MANAGEMENT_HEAD = 'data-management-head="管理费用"'  # the budget-head identifier the form script reads


def _no_chinese(html: str, *known: str) -> None:
    """Nothing Chinese except the switch back to Chinese and the `known` data values."""
    for text in ("中文", *known):
        html = html.replace(text, "")
    leftover = sorted(set(CJK.findall(html)))
    assert not leftover, leftover


def _in_english(application, owner, *, title: str) -> None:
    """Replace the factory's Chinese proposal with English (and re-take the submitted snapshot)."""
    from app.applications.services import snapshot

    a = application
    a.title, a.summary = title, "Hot meals, home visits and health talks for older people living alone."
    a.leader_name, a.created_by_id = "Li Hong", owner.id
    a.need = "28% of residents are over 60; 120 of them live alone and struggle to cook."
    a.objectives = "Meals five days a week for 100 older people within a year."
    a.activities = "A meal point, volunteer visits and a monthly health talk."
    a.sustainability = "The community canteen and the volunteer team carry the service on."
    a.beneficiary_description = "Older people living alone or without family nearby"
    a.matching_source = "Raised by the community" if a.matching_fen else ""
    for line, (head, item) in zip(a.budget_lines, [("Activities", "Meals"), ("Administration", "Management")]):
        line.head, line.item, line.unit = head, item, "item"
    a.indicators[0].name, a.indicators[0].unit, a.indicators[0].measurement = "Meals served", "meals", "Sign-in sheets"
    a.milestones[0].title, a.milestones[0].deliverable = "Meal point opens", "Meal point records"
    a.team[0].name, a.team[0].role, a.team[0].qualification = "Li Hong", "Project leader", "Social worker"
    for version in a.versions:
        version.snapshot = snapshot(a)


@pytest.fixture
def journey(db, org):
    """English-named funder, calls, people and applications around the directory's `org`."""
    from datetime import timedelta

    from app.applications.models import ApplicationStatus
    from app.calls.models import CallStatus
    from app.core.db import utcnow
    from app.funders.models import StaffRole
    from app.orgs.models import MemberRole

    county = f.ancestor(org.home_community, RegionLevel.COUNTY)
    funder = f.make_funder(region=county, name="Wuhua Civil Affairs Bureau")
    officer = f.make_staff(funder, StaffRole.PROGRAM_OFFICER, name="Officer Wang")
    owner = f.make_user(name="Li Hong")
    f.add_member(org, owner, MemberRole.OWNER)

    def call(title, **kw):
        c = f.make_call(funder, title=title, **kw)
        c.summary, c.description = "Services for older people.", "Details of the call."
        c.budget_heads = ["Activities", "Administration"]
        c.required_attachments = ["Registration certificate"]
        return c

    now = utcnow()
    open_call = call("Wuhua community care 2026", status=CallStatus.OPEN)
    screening_call = call("Wuhua elder care 2025", status=CallStatus.SCREENING,
                          opens_at=now - timedelta(days=40), deadline_at=now - timedelta(days=3))
    draft = f.make_application(open_call, org, created_by=owner)
    _in_english(draft, owner, title="Meals and company for older people")
    submitted = f.make_application(screening_call, org, status=ApplicationStatus.SUBMITTED, created_by=owner)
    _in_english(submitted, owner, title="Evening walks for older people")
    f.make_attachment(submitted, kind="Registration certificate", name="certificate.pdf")
    # A second organization whose request is below the minimum: its checks fail.
    other = f.make_org(community=org.home_community, name="Lianhua Youth Home")
    failing = f.make_application(screening_call, other, status=ApplicationStatus.SUBMITTED,
                                 requested_fen=1_000_000)
    _in_english(failing, owner, title="After-school care")
    db.session.commit()
    return {"officer": officer, "owner": owner, "open_call": open_call, "screening_call": screening_call,
            "draft": draft, "submitted": submitted, "failing": failing}


def test_my_applications_in_english(client, journey):
    login(client, journey["owner"])
    _english(client)
    html = _text(client.get("/applications/"))
    assert "<h1 class=\"h3 mb-0\">My applications</h1>" in html
    assert "Meals and company for older people" in html and "Evening walks for older people" in html
    assert "All statuses" in html and "All organizations" in html
    assert "Complete and submit (deadline" in html  # the draft's next step
    assert "Awaiting eligibility screening" in html  # the submitted one's
    assert "Continue" in html and "Version 1" in html
    _no_chinese(html)


def test_application_detail_in_english(client, journey):
    login(client, journey["owner"])
    _english(client)
    html = _text(client.get(f"/applications/{journey['draft'].id}"))
    assert "Next step" in html and "Completeness check" in html and "Submit application" in html
    assert "Application content" in html and "Outcome indicators" in html and "Declarations" in html
    assert "Required attachments missing: Registration certificate." in html
    assert "Status history" in html and "Call rules" in html
    # The upload form's "other documents" kind is a stored value, not yet translated.
    _no_chinese(html, _OTHER_KIND)


def test_submitted_application_detail_for_the_officer_in_english(client, journey):
    login(client, journey["officer"])
    _english(client)
    html = _text(client.get(f"/applications/{journey['submitted'].id}"))
    assert "Current progress" in html and "Awaiting eligibility screening" in html
    assert "Reason for return (what needs correcting)" in html  # the return-for-correction form
    assert "This is version 1, submitted on" in html
    _no_chinese(html)


def test_application_edit_page_in_english(client, journey):
    login(client, journey["owner"])
    _english(client)
    html = _text(client.get(f"/applications/{journey['draft'].id}/edit"))
    assert "Fill in the application" in html and "Save draft" in html and "Add a budget row" in html
    assert "Choose a category…" in html and "Licensed social worker" in html
    assert "Budget total {total} vs. amount requested {requested}" in html  # the script's messages
    assert "Huashan" in html and "Cuihu" in html  # the call area's communities
    _no_chinese(html, _MANAGEMENT_HEAD)


def test_notifications_inbox_in_english(client, db, journey):
    from app.core.db import utcnow
    from app.notifications.models import Notification

    owner = journey["owner"]
    db.session.add_all([
        Notification(user_id=owner.id, kind="test", title="Application returned: Evening walks",
                     body="Please add the registration certificate.", link="/applications/"),
        Notification(user_id=owner.id, kind="test", title="Application submitted: Meals", link="/applications/",
                     read_at=utcnow()),
    ])
    login(client, owner)
    _english(client)
    html = _text(client.get("/notifications/"))
    assert "<h1 class=\"h3 mb-0\">Notifications</h1>" in html
    assert "Mark all as read" in html and "Unread" in html and "1 unread" in html
    assert "Notifications: 2" in html and "Application returned: Evening walks" in html
    _no_chinese(html)
    empty = _text(client.get("/notifications/?q=nothing-like-this"))
    assert "No matching notifications" in empty and "Show all notifications" in empty
    _no_chinese(empty)


@pytest.mark.parametrize("page", ["batch", "one", "list"])
def test_eligibility_screening_pages_in_english(client, journey, page):
    call, submitted = journey["screening_call"], journey["submitted"]
    url = {"batch": f"/applications/call/{call.id}/screening",
           "one": f"/applications/{submitted.id}/screening",
           "list": f"/applications/call/{call.id}"}[page]
    login(client, journey["officer"])
    _english(client)
    html = _text(client.get(url))
    assert "Eligibility screening" in html
    if page == "batch":
        assert "Suggested: pass" in html and "Suggested: fail" in html
        assert "Confirm all that passed (1)" in html and "Applications: 2" in html
        assert "below this call&#39;s minimum per project" in html  # the failing check's reason
    elif page == "one":
        assert "Automatic checks suggest:" in html and "Save screening decision" in html
        assert "Not barred from applying" in html
    else:
        assert "Applications" in html and "Submitted" in html and "Eligibility screening (batch)" in html
    _no_chinese(html)


# --- the expert pool (专家库) in English ----------------------------------------------------

def test_expert_pool_list_in_english(client, db):
    from app.funders.models import StaffRole
    from app.reviews import experts
    from app.reviews.models import ExpertiseField

    officer = f.make_staff(f.make_funder(name="Wuhua Civil Affairs Bureau"), StaffRole.PROGRAM_OFFICER,
                           name="Officer Wang")
    profile = {"title": "Associate professor", "employer": "Yunnan University", "bio": "",
               "fields": [ExpertiseField.SOCIAL_WORK.value, ExpertiseField.LAW.value], "affiliations": []}
    experts.enroll(officer, f.make_user(name="Chen Jing"), profile)
    applicant = f.make_user(name="Zhao Min")
    experts.enroll(applicant, applicant, {**profile, "fields": [ExpertiseField.ELDERLY_CARE.value]})
    db.session.commit()
    login(client, officer)
    _english(client)
    html = _text(client.get("/reviews/experts"))
    assert "<h1 class=\"h3 mb-0\">Expert pool</h1>" in html and "Add expert" in html
    assert "Chen Jing" in html and "Yunnan University" in html and "Experts found: 2" in html
    assert "Social work" in html and "Law" in html and "Elderly care" in html  # ExpertiseField labels
    assert ">Active</span>" in html and ">Pending approval</span>" in html  # ExpertStatus labels
    assert "Applications to join the pool pending approval: 1" in html
    assert "All areas" in html and "For example: Zhang or Yunnan University" in html
    _no_chinese(html)


def test_expert_application_form_in_english(client, db):
    from app.reviews.experts import RELATIONS

    login(client, f.make_user(name="Zhao Min"))
    _english(client)
    html = _text(client.get("/reviews/me"))
    assert "<h1 class=\"h3 mb-0\">Apply to join the expert pool</h1>" in html
    assert "Professional title" in html and "Employer" in html and "Areas of expertise" in html
    assert "Affiliations (for recusal)" in html and "Row 1 Organization or employer name" in html
    assert "Submit application" in html and "Mental health" in html
    # The relationship choices are stored in Chinese (the options' value attributes) and
    # shown translated.
    assert ">Adviser</option>" in html and ">Board member</option>" in html
    _no_chinese(html, *RELATIONS)


def test_english_catalog_has_no_guesses_and_no_chinese():
    """`pybabel compile -f` would ship fuzzy guesses; a msgstr with Chinese would show on English pages."""
    from pathlib import Path

    from babel.messages.pofile import read_po

    path = Path(__file__).resolve().parents[1] / "app/translations/en/LC_MESSAGES/messages.po"
    with path.open("rb") as fh:
        catalog = read_po(fh)
    messages = [m for m in catalog if m.id]
    assert len(messages) > 1000
    assert not [m.id for m in messages if m.fuzzy]
    translations = [s for m in messages for s in (m.string if isinstance(m.string, (list, tuple)) else [m.string])]
    assert not [s for s in translations if CJK.search(s or "")]
    assert not [(m.id, errors) for m, errors in catalog.check()]


# --- public notices (公示), awards (立项) and the review workspaces in English ------------------
#
# As above, every object gets English text, so any Chinese left on a page comes from the
# interface itself.

def _english_reviewed_call(specs, *, county: str, title: str):
    """tests.awards.reviewed_call with its Chinese names replaced by English ones."""
    from tests.awards import reviewed_call

    s = reviewed_call(specs)
    s.county.name, s.funder.name = f"{county} District", f"{county} Civil Affairs Bureau"
    s.call.title = title
    s.call.summary, s.call.description = "Services for older people.", "Details of the call."
    for i, application in enumerate(s.applications, 1):
        application.organization.home_community.name = f"Cuihu {i}"
        application.organization.home_community.parent.name = "Huashan"
        _in_english(application, s.owners[i - 1], title=application.title)
    s.officer.name, s.finance.name = "Officer Wang", "Finance Zhao"
    s.reviewer.user.name, s.reviewer.employer = "Reviewer Chen", "Yunnan University"
    s.chair.user.name, s.chair.employer = "Chair Li", "Yunnan Academy of Social Sciences"
    s.reviewer.title = s.chair.title = "Professor"
    for owner in s.owners:
        owner.name = "Owner"
    return s


@pytest.fixture
def notices(db):
    """One call whose recommended list is on public notice (with an objection awaiting a
    reply), and one whose notice has ended and made its awards."""
    from datetime import timedelta

    from app.awards import services
    from app.core.db import utcnow
    from tests.awards import Spec

    contact = "Xishan Civil Affairs Bureau, tel. 0871-63000000"
    running = _english_reviewed_call((
        Spec("88.40", True, org_name="Cuihu Elder Care Centre", title="Lunch table for older people"),
        Spec("55.00", False, org_name="Daguan Dance Club", title="Square dance team"),
    ), county="Xishan", title="Xishan community venture round 2026")
    running.notice = services.publish_notice(running.officer, running.call, "Published after expert review.",
                                             contact, utcnow())
    services.file_objection(running.notice, "Resident Wang", "13912345678",
                            "The organization did not finish last year's project on time.",
                            application_id=running.applications[0].id)
    closed = _english_reviewed_call((
        Spec("91.00", True, org_name="Huashan Youth Service", title="After-school homework club"),
    ), county="Panlong", title="Panlong elder care purchase 2025")
    closed.notice = services.publish_notice(closed.officer, closed.call, "Published after expert review.",
                                            contact, utcnow())
    closed.notice.ends_at = utcnow() - timedelta(minutes=1)
    services.close_notice(closed.officer, closed.call)
    db.session.commit()
    return {"running": running, "closed": closed}


def test_public_notice_list_in_english(client, notices):
    _english(client)
    html = _text(client.get("/notices/"))
    assert "<h1 class=\"h3 mb-0\">Award public notices</h1>" in html
    assert "View the award list" in html and "Search public notices" in html
    assert "Public notices: 2" in html
    assert "Xishan community venture round 2026" in html and "Panlong elder care purchase 2025" in html
    assert "Xishan Civil Affairs Bureau" in html
    assert "1 awaiting reply" in html and "Objections" in html
    assert "Working days left" in html or "Closes at midnight today" in html
    assert "Notice ended · Awarded" in html
    _no_chinese(html)
    empty = _text(client.get("/notices/?q=nothing-like-this"))
    assert "No matching public notices" in empty
    _no_chinese(empty)


def test_public_award_list_in_english(client, notices):
    _english(client)
    html = _text(client.get("/awards/"))
    assert "<h1 class=\"h3 mb-0\">Award list</h1>" in html
    assert "Projects awarded after expert review and public notice." in html
    assert "Awarded projects: 1" in html and "Filter awarded projects" in html and "All years" in html
    assert "After-school homework club" in html and "Panlong elder care purchase 2025" in html
    assert "Review score" in html and "Grant amount" in html and "Service communities" in html
    # Still on notice: not awarded yet.
    assert "Lunch table for older people" not in html
    _no_chinese(html)



def test_public_notice_page_in_english(client, notices):
    running = notices["running"]
    _english(client)
    html = _text(client.get(f"/notices/{running.call.id}"))
    assert "Public notice of projects recommended for award under" in html
    assert "Contact for objections" in html and "Working days left" in html
    assert "Lunch table for older people" in html and "Recommended for award" in html
    assert "Objections and replies" in html and "Awaiting reply" in html
    assert "Raise an objection" in html and "Submit objection" in html
    assert "The list as a whole (not a particular project)" in html
    _no_chinese(html)

@pytest.fixture
def review(db, org):
    """A call in expert review with a three-expert panel (the chair is one of them) and
    three applications in different scoring states."""
    from app.applications.models import ApplicationStatus
    from app.calls.models import CallStatus
    from app.funders.models import StaffRole
    from app.reviews.models import AssignmentStatus

    county = f.ancestor(org.home_community, RegionLevel.COUNTY)
    funder = f.make_funder(region=county, name="Wuhua Civil Affairs Bureau")
    officer = f.make_staff(funder, StaffRole.PROGRAM_OFFICER, name="Officer Wang")
    call = f.make_call(funder, status=CallStatus.REVIEWING, title="Wuhua community venture round 2026")
    call.summary, call.description = "Services for older people.", "Details of the call."
    for criterion, name in zip(call.criteria, ["Need", "Design", "Budget", "Team", "Sustainability", "Other"]):
        criterion.name, criterion.description = name, ""
    owner = f.make_user(name="Li Hong")
    titles = ["Meals and company for older people", "Evening walks for older people", "After-school care"]
    applications = []
    for title in titles:
        a = f.make_application(call, org, status=ApplicationStatus.UNDER_REVIEW, created_by=owner)
        _in_english(a, owner, title=title)
        applications.append(a)
    chair = f.make_expert(f.make_user(name="Chair Li"), employer="Yunnan University")
    reviewer = f.make_expert(f.make_user(name="Reviewer Chen"), employer="Kunming University")
    third = f.make_expert(f.make_user(name="Reviewer Zhao"), employer="Yunnan Normal University")
    for expert in (chair, reviewer, third):
        expert.title = "Professor"
    panel = f.make_panel(call, reviewers=[reviewer, third], chair=chair, created_by=officer)
    # Reviewer Chen: one submitted, one draft, one still to declare.
    f.make_sheet(f.make_assignment(panel, applications[0], reviewer), submitted=True, comment="Sound plan.")
    f.make_sheet(f.make_assignment(panel, applications[1], reviewer), comment="Needs detail.")
    f.make_assignment(panel, applications[2], reviewer, status=AssignmentStatus.PENDING)
    # The chair and the third reviewer have each submitted the first application.
    f.make_sheet(f.make_assignment(panel, applications[0], chair), submitted=True, comment="Good.")
    f.make_sheet(f.make_assignment(panel, applications[0], third), submitted=True, comment="Fine.")
    f.make_assignment(panel, applications[1], third)
    db.session.commit()
    return {"call": call, "panel": panel, "officer": officer, "chair": chair.user, "reviewer": reviewer.user,
            "applications": applications}


def test_reviewer_task_list_in_english(client, review):
    login(client, review["reviewer"])
    _english(client)
    html = _text(client.get("/reviews/tasks"))
    assert "<h1 class=\"h3 mb-1\">My review tasks</h1>" in html
    assert "For each project, first declare any conflict of interest" in html
    assert "Wuhua community venture round 2026" in html and "Expert review" in html  # the call and its stage
    assert "Submitted: 1 of 3" in html
    assert "Meals and company for older people" in html and "Evening walks for older people" in html
    assert "Declare conflict of interest" in html and "Awaiting declaration" in html
    assert "Download my score sheet (PDF)" in html and "Task status" in html
    _no_chinese(html)


@pytest.mark.parametrize("who", ["chair", "officer"])
def test_chair_matrix_in_english(client, review, who):
    login(client, review[who])
    _english(client)
    html = _text(client.get(f"/reviews/calls/{review['call'].id}/chair"))
    if who == "chair":
        assert "<h1 class=\"h3 mb-1\">Chair workspace</h1>" in html
        assert "End review" in html and "Once all scores are submitted, the panel chair ends the review." in html
    else:
        assert "<h1 class=\"h3 mb-1\">Review progress and score summary</h1>" in html
        assert "This page is read-only" in html
    assert "Scoring progress" in html and "All scores: 3 of 6 submitted (50%)" in html
    assert "Score matrix" in html and "Provisional score" in html and "Standard deviation" in html
    assert "Panel score summary (Excel)" in html and "Each reviewer's score sheet" in html
    assert "Not fully scored" in html and "Chair" in html
    assert "Chair Li" in html and "Reviewer Chen" in html and "Meals and company for older people" in html
    assert "Draft" in html and "Awaiting declaration" in html  # cell states
    _no_chinese(html)



# --- money and reports (资金、协议、拨付、捐赠、项目报告) in English -------------------------
#
# As above, every object gets English text, so any Chinese left on a page comes from the
# interface itself.

@pytest.fixture
def funded(db, journey):
    """The journey's screening call with an award to the directory's organization, its
    signed grant agreement, installments (the first paid) and reports, and two fund
    sources of the funder (one open to public donations)."""
    from datetime import date, timedelta

    from app.applications.models import ApplicationStatus
    from app.funders.models import StaffRole
    from app.money.models import FundSourceKind, InstallmentStatus
    from app.reports.models import ReportKind, ReportRating, ReportStatus

    submitted = journey["submitted"]
    call, funder = submitted.call, submitted.call.funder
    submitted.status = ApplicationStatus.AWARDED
    finance = f.make_staff(funder, StaffRole.FINANCE_OFFICER, name="Finance Zhao")
    lottery = f.make_fund_source(funder, name="Wuhua welfare lottery fund 2026", amount_fen=30_000_000)
    donations = f.make_fund_source(funder, name="Cuihu community fund", amount_fen=0,
                                   kind=FundSourceKind.DONATION, accepts_donations=True,
                                   donation_target_fen=10_000_000)
    lottery.description = "Grants for community services for older people."
    donations.description = "Gifts from residents for the Cuihu community."
    award = f.make_award(submitted, number="WH-2026-001")
    f.make_funding(award, lottery)
    agreement = f.make_agreement(award, number="XY-WH-2026-001")
    installments = f.make_installments(award, statuses=[InstallmentStatus.DUE])
    f.make_payment(installments[0], approved_by=finance)
    progress = f.make_report(award, due_on=date.today() - timedelta(days=5))
    progress.narrative = "Meals served every weekday."
    final = f.make_report(award, kind=ReportKind.FINAL, status=ReportStatus.ACCEPTED)
    final.narrative, final.rating = "All targets met.", ReportRating.GOOD
    db.session.commit()
    return {**journey, "finance": finance, "funder": funder, "call": call, "award": award,
            "agreement": agreement, "lottery": lottery, "donations": donations}


def test_public_donation_funds_in_english(client, funded):
    _english(client)
    html = _text(client.get("/funds/"))
    assert "<h1 class=\"h3 mb-2\">Donate</h1>" in html
    assert "The community funds below accept public donations." in html
    assert "Cuihu community fund" in html and "Wuhua Civil Affairs Bureau" in html
    assert "Public donations" in html and "Year 2026" in html  # the kind's label and the year
    assert "Raised ¥0.00" in html and "Target ¥100,000.00 · 0% reached" in html and "Donations: 0" in html
    assert "Learn more and donate" in html
    assert "Wuhua welfare lottery fund 2026" not in html  # not open to donations
    _no_chinese(html)


def test_finance_home_in_english(client, funded):
    login(client, funded["finance"])
    _english(client)
    html = _text(client.get("/finance/"))
    assert "<h1 class=\"h3 mb-0\">Finance</h1>" in html
    assert "Reconciliation" in html and "Journal" in html
    assert "Every balance is summed from the journal entries" in html
    assert "Disbursements pending approval" in html and "Fund totals" in html
    assert "Appropriations and donations" in html and "Allocation to a call" in html and "Available" in html
    assert "Wuhua welfare lottery fund 2026" in html and "Welfare lottery fund" in html
    assert "Cuihu community fund" in html and "Accepts donations" in html
    _no_chinese(html)


def test_my_awards_in_english(client, funded):
    login(client, funded["owner"])
    _english(client)
    html = _text(client.get("/awards/mine"))
    assert "<h1 class=\"h3 mb-1\">Awarded projects</h1>" in html
    assert "Agreements, payment progress and next steps." in html
    assert "Evening walks for older people" in html and "WH-2026-001" in html and "Wuhua elder care 2025" in html
    assert "Grant amount" in html and "Agreement" in html and "Payment progress" in html and "Next step" in html
    assert ">In force</span>" in html  # AgreementStatus.SIGNED
    assert "Installments paid: 1 of 3" in html
    _no_chinese(html)


def test_project_reports_in_english(client, funded):
    login(client, funded["owner"])
    _english(client)
    html = _text(client.get("/reports/"))
    assert "<h1 class=\"h3 mb-1\">Project reports</h1>" in html
    assert "Progress and final reports of awarded projects" in html
    assert "Report type" in html and "Overdue only" in html and "All statuses" in html
    assert "Reports: 2" in html
    assert "Progress report" in html and "Final report" in html  # ReportKind labels
    assert ">Overdue</span>" in html and "Rating: Good" in html and ">Accepted</span>" in html
    assert "Evening walks for older people" in html and "Cuihu Volunteers" in html
    _no_chinese(html)
    award = _text(client.get(f"/reports/awards/{funded['award'].id}"))
    assert "Reports" in award and "Fill in the report" in award and "Download the completion certificate" in award
    assert "Installments" in award and "Installment 1" in award
    _no_chinese(award)
