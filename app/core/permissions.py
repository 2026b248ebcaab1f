"""The one place that decides who may do what to which object.

`can(user, action, obj)` answers; `require(...)` raises PermissionDenied. Each action is
a rule function registered below; an unknown action is denied (default deny). Rules read
the user's memberships (loaded with the user): staff roles per funder, applicant roles
per organization, and — arriving with the review domain — reviewer/chair roles per panel,
which plug in here as further rules on the same user.
"""
from __future__ import annotations

from typing import Any, Callable

from flask_babel import gettext as _

from app.core.errors import PermissionDenied

Rule = Callable[[Any, Any], bool]
RULES: dict[str, Rule] = {}


def rule(action: str) -> Callable[[Rule], Rule]:
    def register(fn: Rule) -> Rule:
        if action in RULES:
            raise RuntimeError(f"duplicate permission rule {action}")
        RULES[action] = fn
        return fn

    return register


def _signed_in(user: Any) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False) and user.is_active)


def can(user: Any, action: str, obj: Any = None) -> bool:
    fn = RULES.get(action)
    if fn is None:
        return False
    if action.startswith("public."):
        return fn(user, obj)
    return _signed_in(user) and fn(user, obj)


def require(user: Any, action: str, obj: Any = None) -> None:
    if not can(user, action, obj):
        raise PermissionDenied(_("您没有权限执行此操作。"))


# --- helpers -------------------------------------------------------------------------

def staff_funders(user: Any, *roles: str) -> list[Any]:
    """Funders where the user holds any of `roles` (all staff roles when none given)."""
    return [m.funder for m in user.staff_memberships if not roles or m.role.value in roles]


def covers_organization(funder: Any, organization: Any) -> bool:
    return funder.region is not None and funder.region.covers(organization.home_community)


def _staff_covering(user: Any, organization: Any, *roles: str) -> bool:
    return any(covers_organization(f, organization) for f in staff_funders(user, *roles))


# --- platform ------------------------------------------------------------------------

@rule("admin.access")
def _admin(user, obj) -> bool:
    return user.is_admin


# --- organizations -------------------------------------------------------------------

@rule("org.create")
def _org_create(user, obj) -> bool:
    return user.is_confirmed


@rule("org.view_private")
def _org_view_private(user, org) -> bool:
    """Contacts, members and invitations: members, covering staff, admins."""
    return (
        user.is_admin
        or user.org_role(org.id) is not None
        or _staff_covering(user, org)
    )


@rule("org.edit")
def _org_edit(user, org) -> bool:
    return user.org_role(org.id) in ("owner", "member")


@rule("org.manage_members")
def _org_manage_members(user, org) -> bool:
    return user.org_role(org.id) == "owner"


@rule("org.edit_staff_fields")
def _org_staff_fields(user, org) -> bool:
    """Evaluation grade and credit status: program officers of a covering funder."""
    return _staff_covering(user, org, "program_officer")


# --- funders -------------------------------------------------------------------------

@rule("funder.view")
def _funder_view(user, funder) -> bool:
    return user.is_admin or bool(user.funder_roles(funder.id))


@rule("staff.workspace")
def _staff_workspace(user, obj) -> bool:
    return user.is_staff


# --- calls ---------------------------------------------------------------------------

def _calls_status(call) -> str:
    status = getattr(call, "status", None)
    return getattr(status, "value", status)


@rule("call.create")
def _call_create(user, obj) -> bool:
    """Program officers of any funder (obj: optionally the funder they create it for)."""
    if obj is not None:
        return "program_officer" in user.funder_roles(obj.id)
    return bool(staff_funders(user, "program_officer"))


@rule("call.manage")
def _call_manage(user, call) -> bool:
    return "program_officer" in user.funder_roles(call.funder_id)


@rule("public.call.view")
def _call_view(user, call) -> bool:
    """Published calls are public; a draft only for its funder's staff and admins."""
    if _calls_status(call) != "draft":
        return True
    return _signed_in(user) and (
        user.is_admin or bool(user.funder_roles(call.funder_id)))


# --- applications --------------------------------------------------------------------

def _app_status(application) -> str:
    status = getattr(application, "status", None)
    return getattr(status, "value", status)


@rule("application.create")
def _application_create(user, org) -> bool:
    """Members (owner or member) of the organization apply on its behalf."""
    return user.is_confirmed and org is not None and user.org_role(org.id) is not None


@rule("application.view")
def _application_view(user, application) -> bool:
    """The applying organization's members always; the call's funder staff (officers,
    finance, auditors) once it has been submitted — a draft is the organization's own."""
    if user.org_role(application.organization_id) is not None:
        return True
    funder_id = application.call.funder_id
    return bool(user.funder_roles(funder_id)) and application.current_version > 0


@rule("application.edit")
def _application_edit(user, application) -> bool:
    """Edit, upload attachments, submit, resubmit, withdraw: the organization's members
    (the state — draft or returned — is the service's business: 409 otherwise)."""
    return user.org_role(application.organization_id) is not None


@rule("application.screen")
def _application_screen(user, application) -> bool:
    """Return for correction, screen, compare versions: the call's program officers."""
    return "program_officer" in user.funder_roles(application.call.funder_id) and application.current_version > 0


@rule("call.screen")
def _call_screen(user, call) -> bool:
    """The batch screening view of a call: its funder's program officers."""
    return "program_officer" in user.funder_roles(call.funder_id)


@rule("call.view_applications")
def _call_view_applications(user, call) -> bool:
    """The list of a call's submitted applications: the funder's staff."""
    return bool(user.funder_roles(call.funder_id))


# --- notifications -------------------------------------------------------------------

@rule("notification.read")
def _notification_read(user, notification) -> bool:
    return notification.user_id == user.id


# --- reviews -------------------------------------------------------------------------

@rule("expert.pool")
def _expert_pool(user, obj) -> bool:
    """The expert pool list (专家库): program officers and auditors of any funder, admins."""
    return user.is_admin or bool(staff_funders(user, "program_officer", "auditor"))


@rule("expert.manage")
def _expert_manage(user, obj) -> bool:
    """Enroll, approve, suspend and reinstate experts: program officers of any funder."""
    return bool(staff_funders(user, "program_officer"))


@rule("expert.view")
def _expert_view(user, expert) -> bool:
    """One expert's profile: whoever may see the pool, and the expert themself."""
    return _expert_pool(user, expert) or (expert is not None and expert.user_id == user.id)


@rule("expert.edit")
def _expert_edit(user, expert) -> bool:
    """The expert's own profile (fields, title, employer, bio, affiliations): themself."""
    return expert is not None and expert.user_id == user.id


# --- panels, scoring and results (issue 4) -------------------------------------------
# Objects: a Call (panel.view / panel.manage / results.view / notice.manage), a Panel
# (panel.chair / panel.matrix), a ReviewAssignment (review.assignment), a ScoreSheet
# (review.sheet.view), an Award (award.view).

def _is_funder_staff(user, funder_id) -> bool:
    return bool(user.funder_roles(funder_id))


@rule("panel.view")
def _panel_view(user, call) -> bool:
    """The panel, its draw records (抽取记录) and the assignment: the call's funder staff
    (program officers, finance officers, auditors) and admins."""
    return user.is_admin or _is_funder_staff(user, call.funder_id)


@rule("panel.manage")
def _panel_manage(user, call) -> bool:
    """Draw, add and remove members, name the chair, assign and adjust, mark attachments
    blind-safe, adjust recommended amounts: the call's program officers."""
    return "program_officer" in user.funder_roles(call.funder_id)


@rule("review.assignment")
def _review_assignment(user, assignment) -> bool:
    """Declare conflicts, open and score an assigned application: the assigned expert."""
    member = assignment.member
    return member is not None and member.expert is not None and member.expert.user_id == user.id


@rule("panel.chair")
def _panel_chair(user, panel) -> bool:
    """Reopen a submitted score, finalize the panel: the panel's chair (评审组长)."""
    return panel.chair_user_id is not None and panel.chair_user_id == user.id


@rule("panel.matrix")
def _panel_matrix(user, panel) -> bool:
    """Every reviewer's scores (the matrix and the panel summary 评审汇总表): the chair
    and the call's funder staff. Reviewers see only their own sheets."""
    return _panel_chair(user, panel) or user.is_admin or _is_funder_staff(user, panel.call.funder_id)


@rule("review.sheet.view")
def _review_sheet_view(user, member) -> bool:
    """One reviewer's score sheet (评分表) of a call (obj: the PanelMember): that reviewer,
    the chair and the call's funder staff."""
    panel = member.panel
    return member.expert.user_id == user.id or _panel_matrix(user, panel)


@rule("results.view")
def _results_view(user, call) -> bool:
    """Ranking and recommendation before the notice: the call's funder staff and admins."""
    return user.is_admin or _is_funder_staff(user, call.funder_id)


@rule("notice.manage")
def _notice_manage(user, call) -> bool:
    """Publish the notice, answer objections, close the notice and award: program officers."""
    return "program_officer" in user.funder_roles(call.funder_id)


@rule("award.view")
def _award_view(user, award) -> bool:
    """The award notice PDF (立项通知书): the organization's members and the funder's staff."""
    return (user.org_role(award.organization_id) is not None or user.is_admin
            or _is_funder_staff(user, award.call.funder_id))


# --- money and reports (issue 5) ------------------------------------------------------
# Objects: a Funder (fund.manage / finance.view), a FundSource (fund.view), an Award
# (award.fund / agreement.* / installment.request / refund.record / report.*), an
# Installment (payment.approve), a Payment (payment.reverse / payment.voucher), a Report
# (report.view / report.review).

def _roles(user, funder_id) -> set:
    return set(user.funder_roles(funder_id))


def _award_funder(award) -> int:
    return award.call.funder_id


@rule("finance.view")
def _finance_view(user, funder) -> bool:
    """Fund sources, the journal and reconciliation of a funder (obj None: of any funder
    where the user is staff): its staff and admins."""
    if funder is None:
        return user.is_admin or bool(user.staff_memberships)
    return user.is_admin or bool(_roles(user, funder.id))


@rule("fund.view")
def _fund_view(user, fund) -> bool:
    return user.is_admin or bool(_roles(user, fund.funder_id))


@rule("fund.manage")
def _fund_manage(user, funder) -> bool:
    """Create fund sources, record their appropriation, allocate them to calls: the
    funder's program officers and finance officers (obj None: of any funder)."""
    wanted = {"program_officer", "finance_officer"}
    if funder is None:
        return bool(staff_funders(user, *wanted))
    return bool(_roles(user, funder.id) & wanted)


@rule("award.fund")
def _award_fund(user, award) -> bool:
    """Split an award across fund sources (commitment): the call's program officers."""
    return "program_officer" in _roles(user, _award_funder(award))


@rule("agreement.manage")
def _agreement_manage(user, award) -> bool:
    """Generate the agreement, confirm or refuse the signed scan: program officers."""
    return "program_officer" in _roles(user, _award_funder(award))


@rule("agreement.view")
def _agreement_view(user, award) -> bool:
    """The agreement PDF and scan: the organization's members and the funder's staff."""
    return (user.org_role(award.organization_id) is not None or user.is_admin
            or bool(_roles(user, _award_funder(award))))


@rule("agreement.sign")
def _agreement_sign(user, award) -> bool:
    """Upload the signed scan: the organization's members."""
    return user.org_role(award.organization_id) is not None


@rule("installment.request")
def _installment_request(user, award) -> bool:
    """Request payment of a due installment (the maker): program officers."""
    return "program_officer" in _roles(user, _award_funder(award))


@rule("payment.approve")
def _payment_approve(user, installment) -> bool:
    """Approve and record a payment (the checker): finance officers of the funder. That the
    checker is not the maker, and has a fresh login, the service and view check."""
    return "finance_officer" in _roles(user, _award_funder(installment.award))


@rule("payment.reverse")
def _payment_reverse(user, payment) -> bool:
    return "finance_officer" in _roles(user, _award_funder(payment.installment.award))


@rule("payment.voucher")
def _payment_voucher(user, payment) -> bool:
    """The payment voucher (付款凭证): the funder's staff and the organization's members."""
    award = payment.installment.award
    return (user.is_admin or bool(_roles(user, _award_funder(award)))
            or user.org_role(award.organization_id) is not None)


@rule("refund.record")
def _refund_record(user, award) -> bool:
    """Record money returned by the organization: finance officers."""
    return "finance_officer" in _roles(user, _award_funder(award))


@rule("report.submit")
def _report_submit(user, award) -> bool:
    """Write and submit the progress and final reports: the organization's members."""
    return user.org_role(award.organization_id) is not None


@rule("report.view")
def _report_view(user, report) -> bool:
    """A report before it is accepted: the organization's members and the funder's staff."""
    award = report.award
    return (user.org_role(award.organization_id) is not None or user.is_admin
            or bool(_roles(user, _award_funder(award))))


@rule("report.review")
def _report_review(user, report) -> bool:
    """Accept, return or fail a report and rate it: program officers."""
    return "program_officer" in _roles(user, _award_funder(report.award))


# --- transparency: credit and breaches (issue 6) --------------------------------------

@rule("breach.record")
def _breach_record(user, award) -> bool:
    """Record a breach of an award's agreement (违约), which bars the organization from the
    funder's calls: the call's program officers."""
    return "program_officer" in _roles(user, _award_funder(award))


@rule("debarment.lift")
def _debarment_lift(user, debarment) -> bool:
    """Lift a bar early, with a reason: the barring funder's program officers."""
    return "program_officer" in _roles(user, debarment.funder_id)
