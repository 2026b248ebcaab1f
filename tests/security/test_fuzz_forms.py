"""Form fuzzing (QUALITY.md, ASVS 2.2.1): every POST route, signed in as a role that may
use it, gets hypothesis-generated form data — empty, very long, full-width digits, emoji,
NUL and control characters, SQL-ish and script strings, odd numbers and impossible
dates, real select options — plus hidden fields it must not trust. It never answers 500.

Then "bad input writes nothing": for the main forms, clearly invalid data gives the form
back (200) with a visible Chinese message, and no row (nor audit entry, nor email) is
written or changed.
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import timedelta
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from app.auth.models import User
from app.core.audit import AuditEntry
from app.extensions import limiter
from app.funders.models import Funder
from app.orgs.models import (CreditStatus, EvaluationGrade, Invitation, OrgMembership,
                             Organization, OrganizationServiceTarget)
from app.orgs.services import china_today
from app.regions.models import Region
from tests.conftest import login
from tests.security.routes import ALLOW, ROUTES, url_for_route
from tests.security.world import World, build_world

# --- which role fuzzes which route ----------------------------------------------------

OWNER_ROUTES = {"orgs.edit", "orgs.members", "orgs.invite", "orgs.change_role",
                "orgs.remove_member", "orgs.revoke_invitation"}
PREFERRED_ROLE = {"orgs.staff_fields": "officer", "orgs.invitation": "reviewer",
                  # the reviewer has an expert profile: the edit form, not the application form
                  "reviews.my_expert_profile": "reviewer",
                  # review work: the assigned panel reviewer and the panel's chair
                  "reviews.assignment_declare": "reviewer_on_panel",
                  "reviews.assignment_score": "reviewer_on_panel",
                  "reviews.sheet_reopen": "chair", "reviews.panel_finalize": "chair"}
# Forms for signed-out visitors: a signed-in user is just sent to the dashboard.
PUBLIC_FORMS = {"auth.register", "auth.login", "auth.forgot_password", "auth.reset_password",
                "auth.set_language"}
FALLBACK_ORDER = ["applicant_own", "member_own", "reviewer", "officer", "finance", "admin", "public",
                  "reviewer_on_panel", "chair"]


# A role the world leaves out of order ("409": e.g. finalizing a panel with sheets missing)
# still fuzzes the route: the input must not get past the state check into a 500.
FUZZABLE = (ALLOW, "409", "400")  # 400: the Stripe webhook refuses unsigned bodies


def pick_role(endpoint: str) -> str:
    allowed = {role for role, expect in ROUTES[endpoint][1]["POST"].items() if expect in FUZZABLE}
    if endpoint.startswith("admin."):
        wanted = "admin"
    elif endpoint in OWNER_ROUTES:
        wanted = "applicant_own"
    elif endpoint in PREFERRED_ROLE:
        wanted = PREFERRED_ROLE[endpoint]
    elif endpoint in PUBLIC_FORMS:
        wanted = "public"
    else:
        wanted = next(r for r in FALLBACK_ORDER if r in allowed)
    assert wanted in allowed, f"{endpoint}: {wanted} is not allowed to POST"
    return wanted


POST_ENDPOINTS = sorted(ep for ep, (_, methods) in ROUTES.items() if "POST" in methods)


# --- where the form of a route is shown ------------------------------------------------

def _token_for_reset(w: World) -> str:
    from app.auth.services import _password_fingerprint, _serializer

    user = w.users["applicant_own"]
    return _serializer("reset-password").dumps({"uid": user.id, "pw": _password_fingerprint(user)})


# A real reset token reaches the form (the matrix's "not-a-token" only redirects).
POST_URL_OVERRIDE = {"auth.reset_password": lambda w: f"/auth/reset/{_token_for_reset(w)}"}

_members = lambda w: f"/orgs/{w.objects['org'].id}/members"  # noqa: E731
_user_page = lambda w: f"/admin/users/{w.users['applicant_own'].id}"  # noqa: E731
_funder_page = lambda w: f"/admin/funders/{w.objects['funder'].id}"  # noqa: E731
FORM_PAGE = {
    "auth.logout": lambda w: "/dashboard",
    "auth.resend_confirmation": lambda w: "/dashboard",
    "auth.change_password": lambda w: "/auth/account",
    "auth.set_language": lambda w: "/",
    "orgs.staff_fields": lambda w: f"/orgs/{w.objects['org'].id}",
    "awards.lift_debarment": lambda w: f"/orgs/{w.objects['org'].id}/credit",
    "orgs.invite": _members, "orgs.change_role": _members, "orgs.remove_member": _members,
    "orgs.revoke_invitation": _members,
    "admin.user_add_staff": _user_page, "admin.user_deactivate": _user_page,
    "admin.user_reactivate": _user_page, "admin.user_grant_admin": _user_page,
    "admin.user_revoke_admin": _user_page,
    "admin.user_remove_staff": lambda w: f"/admin/users/{w.users['officer'].id}",
    "admin.funder_add_staff": _funder_page, "admin.funder_remove_staff": _funder_page,
    "calls.publish": lambda w: f"/calls/{w.objects['call_draft'].id}",
    "calls.cancel": lambda w: f"/calls/{w.objects['call_draft'].id}",
    "calls.advance": lambda w: f"/calls/{w.objects['call_open'].id}",
    "applications.submit": lambda w: f"/applications/{w.objects['app_draft'].id}",
    "applications.upload_attachment": lambda w: f"/applications/{w.objects['app_draft'].id}",
    "applications.withdraw": lambda w: f"/applications/{w.objects['app_submitted'].id}",
    "applications.return_": lambda w: f"/applications/{w.objects['app_submitted'].id}",
    "applications.delete_attachment": lambda w: f"/applications/{w.objects['app_submitted'].id}",
    "applications.screening_confirm_all":
        lambda w: f"/applications/call/{w.objects['call_screening'].id}/screening",
    "notifications.open": lambda w: "/notifications/",
    "notifications.mark_all_read": lambda w: "/notifications/",
    "reviews.expert_approve": lambda w: f"/reviews/experts/{w.objects['expert'].id}",
    "reviews.expert_suspend": lambda w: f"/reviews/experts/{w.objects['expert'].id}",
    # review (issue 4)
    "reviews.panel_draw": lambda w: f"/reviews/calls/{w.objects['call_reviewing'].id}/panel",
    "reviews.panel_add_member": lambda w: f"/reviews/calls/{w.objects['call_reviewing'].id}/panel",
    "reviews.panel_remove_member": lambda w: f"/reviews/calls/{w.objects['call_reviewing'].id}/panel",
    "reviews.panel_set_chair": lambda w: f"/reviews/calls/{w.objects['call_reviewing'].id}/panel",
    "reviews.panel_auto_assign": lambda w: f"/reviews/calls/{w.objects['call_reviewing'].id}/panel",
    "reviews.panel_add_assignment": lambda w: f"/reviews/calls/{w.objects['call_reviewing'].id}/panel",
    "reviews.panel_remove_assignment": lambda w: f"/reviews/calls/{w.objects['call_reviewing'].id}/panel",
    "reviews.assignment_declare": lambda w: "/reviews/tasks",
    "reviews.assignment_score": lambda w: f"/reviews/assignments/{w.objects['assignment'].id}",
    "reviews.blind_safe_save": lambda w: f"/reviews/calls/{w.objects['call_reviewing'].id}/blind-safe",
    "reviews.sheet_reopen": lambda w: f"/reviews/calls/{w.objects['call_reviewing'].id}/chair",
    "reviews.panel_finalize": lambda w: f"/reviews/calls/{w.objects['call_reviewing'].id}/chair",
    "reviews.outcome_adjust": lambda w: f"/reviews/calls/{w.objects['call_notice'].id}/results",
    "reviews.outcome_clear": lambda w: f"/reviews/calls/{w.objects['call_notice'].id}/results",
    "awards.object": lambda w: f"/notices/{w.objects['call_notice'].id}",
    "awards.answer": lambda w: f"/notices/{w.objects['call_notice'].id}",
    "awards.close": lambda w: f"/notices/{w.objects['call_notice'].id}",
}

# Discovery must find at least these (else the fuzzing would silently test nothing).
EXPECTED_FIELDS = {
    "auth.register": {"email", "name", "phone", "password", "password2"},
    "auth.login": {"email", "password", "remember"},
    "auth.reauthenticate": {"password"},
    "auth.forgot_password": {"email"},
    "auth.reset_password": {"password", "password2"},
    "auth.account": {"name", "phone"},
    "auth.change_password": {"current_password", "password", "password2"},
    "auth.set_language": {"lang"},
    "orgs.create": {"name", "legal_status", "credit_code", "registered_on", "category",
                    "service_targets", "home_community_id", "founded_on", "social_worker_count",
                    "contact_email", "mission"},
    "orgs.edit": {"name", "legal_status", "credit_code", "service_targets", "founded_on"},
    "orgs.staff_fields": {"evaluation_grade", "credit_status"},
    "orgs.invite": {"email", "role"},
    "orgs.change_role": {"role"},
    "admin.user_new": {"email", "name", "role", "funder_id", "password", "password2"},
    "admin.user_add_staff": {"funder_id", "role"},
    "admin.funder_new": {"name", "short_name", "kind", "region_id", "website", "description"},
    "admin.funder_edit": {"name", "kind", "region_id", "is_active"},
    "admin.funder_add_staff": {"email", "role"},
    "admin.region_new": {"name", "code"},
    "admin.region_edit": {"name", "code"},
    "calls.create": {"title", "kind", "region_scope_id", "budget", "min_award", "max_award",
                     "opens_at", "deadline_at", "allowed_legal_statuses", "pass_line",
                     "min_credit_score", "credit_bonus_max"},
    "awards.record_breach": {"reason", "starts_on", "years"},
    "awards.lift_debarment": {"reason"},
    "calls.rubric": {"criteria-0-name", "criteria-0-max_points", "criteria-0-weight"},
    "calls.installments": {"steps-0-percent", "steps-0-trigger"},
    "calls.cancel": {"reason"},
    "calls.advance": {"to"},
    "applications.new": {"organization_id", "title"},
    "applications.edit": {"title", "need", "requested", "matching", "starts_on", "target_groups",
                          "community_ids", "declares_truthful", "budget_lines-0-head", "budget_lines-0-quantity",
                          "budget_lines-0-unit_price", "indicators-0-target", "milestones-0-due_on",
                          "team-0-name"},
    "applications.withdraw": {"reason"},
    "applications.return_": {"reason", "due_on"},
    "applications.upload_attachment": {"kind", "file"},
    "applications.screen": {"decision", "reason"},
    "reviews.expert_new": {"email", "title", "employer", "fields", "bio"},
    "reviews.my_expert_profile": {"title", "employer", "fields", "bio", "affiliations-0-name",
                                  "affiliations-0-relation", "affiliations-0-since"},
    "reviews.expert_suspend": {"reason"},
    "reviews.panel_draw": {"size", "fields"},
    "reviews.panel_add_member": {"email"},
    "reviews.assignment_score": {"comment", "confirm", "action"},
    "reviews.sheet_reopen": {"reason"},
    "awards.publish": {"intro", "contact"},
    "awards.object": {"name", "contact", "content", "application_id"},
    "awards.answer": {"decision", "answer"},
}


def valid_seed(endpoint: str, w: World) -> dict:
    """A plausible valid submission, so fuzzed variants reach the services' rules."""
    community, county = w.objects["community_a"], w.objects["county_a"]
    seeds = {
        "auth.register": {"email": "fuzz@example.cn", "name": "模糊测试", "phone": "13800001111",
                          "password": "plum-harbor-quietly", "password2": "plum-harbor-quietly"},
        "auth.login": {"email": w.users["applicant_own"].email, "password": "correct-horse-battery"},
        "auth.reauthenticate": {"password": "correct-horse-battery"},
        "auth.change_password": {"current_password": "correct-horse-battery",
                                 "password": "plum-harbor-quietly", "password2": "plum-harbor-quietly"},
        "auth.reset_password": {"password": "plum-harbor-quietly", "password2": "plum-harbor-quietly"},
        "orgs.create": {
            "name": "模糊测试服务社", "legal_status": "registered", "credit_code": "91350100M000100Y43",
            "registered_on": "2021-05-01", "registration_authority": "华山街道",
            "category": "life_service", "service_targets": ["elderly", "other"],
            "service_target_other": "新市民", "home_community_id": str(community.id),
            "founded_on": "2021-04-01", "party_organization": "no", "social_worker_count": "1",
            "staff_count": "2", "volunteer_count": "30", "mission": "助老", "address": "翠湖南路",
            "legal_representative": "王五", "contact_name": "赵六", "contact_phone": "13800001111",
            "contact_email": "svc@example.cn"},
        "orgs.invite": {"email": "new-member@example.cn", "role": "member"},
        "admin.user_new": {"email": "staff-fuzz@example.cn", "name": "新工作人员", "role": "program_officer",
                           "funder_id": str(w.objects["funder"].id), "password": "plum-harbor-quietly",
                           "password2": "plum-harbor-quietly"},
        "admin.funder_new": {"name": "模糊测试民政局", "short_name": "模糊", "kind": "civil_affairs",
                             "region_id": str(county.id), "website": "https://mzj.example.gov.cn"},
        "admin.funder_add_staff": {"email": w.users["reviewer"].email, "role": "auditor"},
        "admin.region_new": {"name": "模糊街道", "code": "530102999"},
        "calls.create": {
            "funder_id": str(w.objects["funder"].id), "kind": "venture", "title": "模糊测试公益创投",
            "region_scope_id": str(county.id), "budget": "300000", "min_award": "10000",
            "max_award": "50000", "matching_ratio_pct": "0", "management_cap_pct": "10",
            "budget_heads": "业务活动费", "allowed_legal_statuses": ["filed"],
            "opens_at": "2030-01-01T09:00", "deadline_at": "2030-02-01T17:00", "pass_line": "60",
            "min_credit_score": "60", "credit_bonus_max": "3"},
        "awards.record_breach": {"reason": "擅自变更资金用途。", "starts_on": china_today().isoformat(), "years": "3"},
        "awards.lift_debarment": {"reason": "已整改。"},
        "calls.rubric": {"criteria-0-name": "需求", "criteria-0-max_points": "100", "criteria-0-weight": "1"},
        "calls.installments": {"steps-0-percent": "100", "steps-0-trigger": "agreement_signed"},
        "calls.cancel": {"reason": "预算调整"},
        "applications.new": {"organization_id": str(w.objects["org"].id), "title": "模糊测试项目"},
        "applications.edit": {
            "title": "社区助餐", "requested": "50000", "matching": "0", "starts_on": "2030-03-01",
            "ends_on": "2031-02-28", "target_groups": ["elderly"], "community_ids": [str(community.id)],
            "budget_lines-0-head": "业务活动费", "budget_lines-0-item": "午餐补贴", "budget_lines-0-unit": "人次",
            "budget_lines-0-quantity": "4000", "budget_lines-0-unit_price": "11.25",
            "budget_lines-1-head": "管理费用", "budget_lines-1-item": "管理", "budget_lines-1-quantity": "1",
            "budget_lines-1-unit_price": "5000", "indicators-0-name": "助餐人次", "indicators-0-unit": "人次",
            "indicators-0-target": "4000", "milestones-0-due_on": "2030-06-01", "milestones-0-title": "开放",
            "team-0-name": "李红", "team-0-role": "负责人"},
        "applications.withdraw": {"reason": "计划调整"},
        "applications.return_": {"reason": "请补充预算说明", "due_on": "2030-01-10"},
        "applications.screen": {"decision": "eligible", "reason": ""},
    }
    return dict(seeds.get(endpoint, {}))


# --- discovering a form's fields from its page -----------------------------------------

@dataclass
class FieldInfo:
    options: list[str] = field(default_factory=list)
    defaults: list[str] = field(default_factory=list)


@dataclass
class FormInfo:
    action: str | None
    method: str
    fields: dict[str, FieldInfo] = field(default_factory=dict)


class FormParser(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms: list[FormInfo] = []
        self._form: FormInfo | None = None
        self._select: str | None = None
        self._textarea: str | None = None

    def _field(self, name: str) -> FieldInfo:
        return self._form.fields.setdefault(name, FieldInfo())

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self._form = FormInfo(a.get("action"), (a.get("method") or "get").lower())
            self.forms.append(self._form)
            return
        if self._form is None:
            return
        name = a.get("name")
        if tag == "input" and name and a.get("type") not in ("submit", "button", "reset"):
            info = self._field(name)
            value = a.get("value")
            if a.get("type") in ("checkbox", "radio"):
                info.options.append(value if value is not None else "on")
                if "checked" in a:
                    info.defaults.append(value if value is not None else "on")
            elif value is not None:
                info.defaults.append(value)
        elif tag in ("button", "input") and name:
            # A named submit button sends its value (e.g. the language switch).
            self._field(name).options.append(a.get("value") or "")
        elif tag == "select" and name:
            self._select = name
            self._field(name)
        elif tag == "option" and self._select:
            info = self._form.fields[self._select]
            value = a.get("value") or ""
            info.options.append(value)
            if "selected" in a:
                info.defaults.append(value)
        elif tag == "textarea" and name:
            self._textarea = name
            self._field(name).defaults.append("")

    def handle_data(self, data):
        if self._textarea and self._form is not None:
            self._form.fields[self._textarea].defaults[-1] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None


def discover_fields(html: str, page_url: str, post_url: str) -> dict[str, FieldInfo]:
    parser = FormParser()
    parser.feed(html)
    target = urlsplit(post_url).path
    fields: dict[str, FieldInfo] = {}
    for form in parser.forms:
        if form.method != "post":
            continue
        action_path = urlsplit(form.action or page_url).path
        if action_path == target:
            for name, info in form.fields.items():
                have = fields.setdefault(name, FieldInfo())
                have.options += [o for o in info.options if o not in have.options]
                have.defaults += info.defaults
    fields.pop("csrf_token", None)
    return fields


# --- value strategies ---------------------------------------------------------------

NASTY = [
    "", " ", "\u3000", "１２３", "１２３４５６７８９０", "１２３.４５", "😀", "👨‍👩‍👧‍👦🎉", "\x00", "a\x00b",
    "\x01\x02\x1b[31m\x7f", "\r\n\t", "\u202egnp.exe", "\ufeffBOM", "\ud7ff", "ǅ\u0301\u0301",
    "' OR '1'='1", "'; DROP TABLE user; --", '" OR ""="', "1; SELECT pg_sleep(5)", "%' OR 1=1 --",
    "<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "javascript:alert(1)",
    "{{7*7}}", "${7*7}", "%s%s%n", "../../../etc/passwd",
    "NaN", "nan", "inf", "-Infinity", "1e9", "1e309", "-1", "0", "-0", "00", "1.5", "3.14159",
    "0x10", "99999999999999999999", "2147483648", "-2147483649", "9223372036854775808",
    "2026-02-30", "0000-00-00", "9999-12-31", "0001-01-01", "2026-13-01", "2020-5-1",
    "2020/05/01", "２０２０-０５-０１", "10000-01-01",
    "a@b", "@", "user@", "@example.cn", "user@example.cn", "USER@EXAMPLE.CN", "用户@例子.中国",
    "null", "None", "true", "false", "on", "y", "[]", "{}",
]

_long_text = st.builds(lambda ch, n: ch * n,
                       st.sampled_from(["a", "字", "😀", "１", "\x00", "<", "'", "9", " "]),
                       st.integers(min_value=40, max_value=5000))
_scalar = st.one_of(st.sampled_from(NASTY), st.text(max_size=60), _long_text)

HIDDEN_EXTRAS = {
    "status": st.sampled_from(["approved", "paid", "accepted", "revoked", "active", "1"]) | _scalar,
    "amount_fen": st.sampled_from(["100000000", "-1", "NaN", "1e9", "１２３"]) | _scalar,
    "organization_id": st.sampled_from(["1", "2", "0", "-1", "99999999999999999999"]) | _scalar,
    "evaluation_grade": st.sampled_from(["5A", "1A", "none"]) | _scalar,
    "credit_status": st.sampled_from(["serious", "abnormal", "normal"]) | _scalar,
    "is_admin": st.sampled_from(["1", "true", "y", "on"]) | _scalar,
    "next": st.sampled_from(["/\x00", "//evil.example", "/\\evil.example", "/\r\nSet-Cookie: x=1", "javascript:alert(1)",
                             "/orgs/", "https://evil.example/", "/%0d%0aX: y"]) | _scalar,
}


def field_strategy(info: FieldInfo, seed: str | list | None):
    real = [v for v in info.options + info.defaults if v is not None]
    if isinstance(seed, list):
        real += seed
    elif seed is not None:
        real.append(seed)
    single = _scalar if not real else st.one_of(st.sampled_from(real), st.sampled_from(real), _scalar)
    return st.one_of(single, single, single, st.lists(single, max_size=3))


def _baseline(fields: dict[str, FieldInfo], seed: dict, names: list[str]) -> dict:
    """The page's own values, then the valid seed: a submission that should pass."""
    base: dict = {}
    for name in names:
        info = fields.get(name, FieldInfo())
        if name in seed:
            base[name] = seed[name]
        elif info.defaults:
            base[name] = info.defaults if len(info.defaults) > 1 else info.defaults[0]
        elif info.options:
            base[name] = info.options[0]
    return base


@st.composite
def form_data(draw, fields: dict[str, FieldInfo], seed: dict):
    names = sorted(set(fields) | set(seed))
    strategies = {name: field_strategy(fields.get(name, FieldInfo()), seed.get(name))
                  for name in names}
    if names and draw(st.integers(0, 2)) > 0:
        # Mostly: a realistic submission with one to three fields fuzzed or left out,
        # so the data gets past the form into the services' rules.
        data = _baseline(fields, seed, names)
        for name in draw(st.lists(st.sampled_from(names), min_size=1, max_size=3, unique=True)):
            if draw(st.integers(0, 9)) == 0:
                data.pop(name, None)
            else:
                data[name] = draw(strategies[name])
    else:
        data = draw(st.fixed_dictionaries({}, optional=strategies))
    data.update(draw(st.fixed_dictionaries({}, optional=HIDDEN_EXTRAS)))
    return data


_serial = itertools.count(1)


def freshen(data: dict, seed: dict) -> dict:
    """Seed values that must be unique get a new variant each example, so that a create
    that succeeded earlier does not turn every later example into "already taken"."""
    from app.orgs.creditcode import check_character

    n = next(_serial)
    out = dict(data)
    for key, value in seed.items():
        if out.get(key) != value:
            continue
        if key == "name":
            out[key] = f"{value}{n}"
        elif key == "email" and "@" in value:
            local, _, domain = value.partition("@")
            out[key] = f"{local}{n}@{domain}"
        elif key == "code":
            out[key] = value[:-3] + f"{n % 1000:03d}"
        elif key == "credit_code":
            first17 = value[:11] + f"{n:06d}"
            out[key] = first17 + check_character(first17)
    return out


# --- what PostgreSQL would refuse ----------------------------------------------------

INT32 = 2**31 - 1


def stored_problems() -> list[str]:
    """SQLite stores what PostgreSQL refuses (an error there: a 500). After each fuzzed
    request, look for a string longer than its column, a NUL in text, or an Integer
    outside 32 bits anywhere in the database."""
    from sqlalchemy import Integer, String, Text

    from app.extensions import db

    problems = []
    for table in db.metadata.sorted_tables:
        columns = [c for c in table.columns if isinstance(c.type, (String, Text, Integer))]
        if not columns:
            continue
        for row in db.session.execute(select(*columns)).all():
            for column, value in zip(columns, row):
                if isinstance(value, str):
                    length = getattr(column.type, "length", None)
                    if length is not None and len(value) > length:
                        problems.append(f"{table.name}.{column.name}: {len(value)} > {length}")
                    if "\x00" in value:
                        problems.append(f"{table.name}.{column.name}: NUL stored")
                elif isinstance(value, int) and isinstance(column.type, Integer) \
                        and type(column.type) is Integer and not -INT32 - 1 <= value <= INT32:
                    problems.append(f"{table.name}.{column.name}: {value} outside int32")
    return problems


# --- the fuzz test --------------------------------------------------------------------

@dataclass
class Target:
    endpoint: str
    world: World
    role: str
    url: str
    fields: dict[str, FieldInfo]
    seed: dict


@pytest.fixture
def no_rate_limits(monkeypatch):
    """Rate limits have their own tests; here a 429 would only hide the form logic."""
    monkeypatch.setattr(limiter, "enabled", False)


def _new_client(app, world: World, role: str):
    client = app.test_client()
    if role != "public":
        login(client, world.users[role])
    return client


@pytest.fixture(params=POST_ENDPOINTS)
def target(request, app, db, no_rate_limits) -> Target:
    endpoint = request.param
    world = build_world()
    role = pick_role(endpoint)
    url = POST_URL_OVERRIDE.get(endpoint, lambda w: url_for_route(endpoint, w))(world)
    fields: dict[str, FieldInfo] = {}
    page_builder = FORM_PAGE.get(endpoint)
    if page_builder is None and "GET" in ROUTES[endpoint][1]:
        page_builder = lambda w: url  # noqa: E731
    if page_builder is not None:
        page_url = page_builder(world)
        resp = _new_client(app, world, role).get(page_url)
        assert resp.status_code == 200, (endpoint, page_url, resp.status_code)
        fields = discover_fields(resp.get_data(as_text=True), page_url, url)
    missing = EXPECTED_FIELDS.get(endpoint, set()) - set(fields)
    assert not missing, f"{endpoint}: form fields not found on its page: {missing}"
    return Target(endpoint, world, role, url, fields, valid_seed(endpoint, world))


FUZZ_SETTINGS = settings(
    max_examples=int(__import__("os").environ.get("FUZZ_EXAMPLES", "25")), deadline=None, database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                           HealthCheck.data_too_large],
)


@FUZZ_SETTINGS
@given(data=st.data())
def test_fuzzed_post_never_answers_500(app, target: Target, data):
    payload = freshen(data.draw(form_data(target.fields, target.seed), label="form"), target.seed)
    # The world persists across examples (one transaction per test): an earlier example
    # may have removed the member or used the invitation; only "no 500" must always hold.
    client = _new_client(app, target.world, target.role)
    resp = client.post(target.url, data=payload)
    body = resp.get_data(as_text=True)
    event(f"HTTP {resp.status_code}")  # see --hypothesis-show-statistics
    assert resp.status_code < 500, (target.endpoint, resp.status_code)
    assert "Traceback" not in body and 'File "' not in body
    assert stored_problems() == []


def test_every_post_route_is_fuzzed():
    """New POST routes join the fuzzing automatically; their role choice must be allowed."""
    assert len(POST_ENDPOINTS) >= 25
    for endpoint in POST_ENDPOINTS:
        assert ROUTES[endpoint][1]["POST"][pick_role(endpoint)] in FUZZABLE


def test_stored_problems_finds_what_postgresql_would_refuse(db):
    from sqlalchemy.exc import DataError

    from tests.factories import make_user

    assert stored_problems() == []
    if db.session.get_bind().dialect.name == "postgresql":
        # Here the database itself refuses what the check looks for on SQLite.
        with pytest.raises(DataError):
            with db.session.begin_nested():
                make_user(name="长" * 51)
        return
    make_user(name="长" * 51)
    make_user(name="a\x00b")
    assert sorted(stored_problems()) == ["user.name: 51 > 50", "user.name: NUL stored"]


def test_form_discovery_reads_selects_checkboxes_and_textareas():
    html = """<form method="post"><input type="hidden" name="csrf_token" value="x">
      <input name="a" value="1"><select name="s"><option value="">-</option>
      <option value="v" selected>V</option></select>
      <input type="checkbox" name="c" value="p" checked><input type="checkbox" name="c" value="q">
      <textarea name="t">hello</textarea><button type="submit">ok</button></form>
      <form method="post" action="/elsewhere"><input name="z"></form>"""
    fields = discover_fields(html, "/page", "/page")
    assert set(fields) == {"a", "s", "c", "t"}
    assert fields["s"].options == ["", "v"] and fields["s"].defaults == ["v"]
    assert fields["c"].options == ["p", "q"] and fields["c"].defaults == ["p"]
    assert fields["t"].defaults == ["hello"]
    assert set(discover_fields(html, "/page", "/elsewhere")) == {"z"}


# --- bad input writes nothing ---------------------------------------------------------

def _count(model) -> int:
    from app.extensions import db

    return db.session.scalar(select(func.count()).select_from(model))


def _counts(*models) -> dict[str, int]:
    return {m.__name__: _count(m) for m in (*models, AuditEntry)}


def _org_snapshot(org: Organization) -> dict:
    from app.extensions import db

    db.session.refresh(org)
    return {c.key: getattr(org, c.key) for c in Organization.__table__.columns} | {
        "targets": sorted(t.value for t in org.service_targets)}


def _org_form(world: World, **overrides) -> dict:
    data = valid_seed("orgs.create", world)
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


class TestBadInputWritesNothing:
    """Clearly invalid data: the form again (200), a clear Chinese message, nothing written."""

    def _assert_rejected(self, resp, message: str, before: dict, outbox, sent_before: int, *models):
        body = resp.get_data(as_text=True)
        assert resp.status_code == 200, resp.status_code
        assert message in body, f"message {message!r} not shown"
        assert 'class="alert alert-danger"' in body or "invalid-feedback" in body
        assert _counts(*models) == before
        assert len(outbox) == sent_before

    @pytest.mark.parametrize("change,message", [
        ({"email": "TAKEN@example.cn"}, "该邮箱已注册"),
        ({"password": "12345678", "password2": "12345678"}, "这个密码太常见"),
        ({"name": "长" * 51}, "姓名不能超过 50 个字"),
        ({"email": "not-an-email"}, "邮箱格式不正确"),
        ({"email": "a@b\x00.cn"}, "邮箱格式不正确"),
        ({"name": "张\x00三"}, "不能包含控制字符"),
        ({"phone": "138\x1b0000"}, "不能包含控制字符"),
    ])
    def test_register(self, client, db, outbox, change, message):
        from tests.factories import make_user

        make_user(email="taken@example.cn")
        data = valid_seed("auth.register", build_world()) | change
        before, sent = _counts(User), len(outbox)
        resp = client.post("/auth/register", data=data)
        self._assert_rejected(resp, message, before, outbox, sent, User)

    @pytest.mark.parametrize("change,message", [
        ({"credit_code": "91350100M000100Y44"}, "校验位"),
        ({"name": "组" * 101}, "组织名称不能超过 100 个字"),
        ({"founded_on": "FUTURE"}, "成立日期不能晚于今天"),
        ({"service_targets": None}, "请至少选择一类服务对象"),
        ({"social_worker_count": "１２３"}, "半角数字"),
        ({"staff_count": "9" * 309}, "人数应在 0 到 100000 之间"),
        ({"volunteer_count": "-1"}, "人数应在 0 到 100000 之间"),
        ({"founded_on": "2026-02-30"}, "请填写成立日期（格式：年-月-日）"),
        ({"home_community_id": "99999999999999999999"}, "请从列表中选择社区（村）"),
    ])
    def test_org_create(self, client, db, outbox, change, message):
        world = build_world()
        if change.get("founded_on") == "FUTURE":
            change = {"founded_on": (china_today() + timedelta(days=30)).isoformat(),
                      "registered_on": ""}
        login(client, world.users["applicant_own"])
        before, sent = _counts(Organization, OrgMembership, OrganizationServiceTarget), len(outbox)
        resp = client.post("/orgs/new", data=_org_form(world, **change))
        self._assert_rejected(resp, message, before, outbox, sent,
                              Organization, OrgMembership, OrganizationServiceTarget)

    @pytest.mark.parametrize("taken,typed", [("ÑANDU 互助会", "ÑANDU 互助会"),
                                             ("Ǆemal 服务队", "Ǆemal 服务队"),
                                             ("abc 服务队", "ABC 服务队")])
    def test_org_create_with_a_taken_name(self, client, db, outbox, taken, typed):
        """Found by the fuzzer: SQLite's lower() folds ASCII only, so a taken non-ASCII
        name slipped past the check and broke the UNIQUE constraint (500)."""
        from tests.factories import make_org

        world = build_world()
        make_org(name=taken, community=world.objects["community_a"])
        login(client, world.users["applicant_own"])
        before, sent = _counts(Organization, OrgMembership, OrganizationServiceTarget), len(outbox)
        resp = client.post("/orgs/new", data=_org_form(world, name=typed))
        self._assert_rejected(resp, "已被其他组织使用", before, outbox, sent,
                              Organization, OrgMembership, OrganizationServiceTarget)

    def test_org_edit_ignores_staff_only_and_hidden_fields(self, client, db):
        world = build_world()
        org = world.objects["org"]
        login(client, world.users["applicant_own"])
        data = _org_form(world, name="改名后的服务社", evaluation_grade="5A", credit_status="serious",
                         status="approved", organization_id=str(world.objects["org_other"].id))
        audit_before = _count(AuditEntry)
        resp = client.post(f"/orgs/{org.id}/edit", data=data)
        assert resp.status_code == 302
        db.session.refresh(org)
        assert org.name == "改名后的服务社"  # the edit itself went through...
        assert org.evaluation_grade == EvaluationGrade.NONE  # ...the extras did not
        assert org.credit_status == CreditStatus.NORMAL
        other = world.objects["org_other"]
        db.session.refresh(other)
        assert other.name != "改名后的服务社"
        assert _count(AuditEntry) == audit_before + 1

    def test_org_edit_with_bad_input_and_extras_changes_nothing(self, client, db, outbox):
        world = build_world()
        org = world.objects["org"]
        login(client, world.users["applicant_own"])
        snapshot = _org_snapshot(org)
        data = _org_form(world, name="", evaluation_grade="5A", credit_status="serious")
        before, sent = _counts(Organization, OrganizationServiceTarget), len(outbox)
        resp = client.post(f"/orgs/{org.id}/edit", data=data)
        self._assert_rejected(resp, "请填写组织名称", before, outbox, sent,
                              Organization, OrganizationServiceTarget)
        assert _org_snapshot(org) == snapshot

    def test_admin_funder_create_with_duplicate_name(self, client, db, outbox):
        world = build_world()
        login(client, world.users["admin"])
        data = valid_seed("admin.funder_new", world) | {"name": world.objects["funder"].name}
        before, sent = _counts(Funder), len(outbox)
        resp = client.post("/admin/funders/new", data=data)
        self._assert_rejected(resp, "名称不能重复", before, outbox, sent, Funder)

    @pytest.mark.parametrize("code", ["53010299", "5301029990", "５３０１０２９９９"])
    def test_admin_region_create_with_wrong_code(self, client, db, outbox, code):
        world = build_world()
        login(client, world.users["admin"])
        county = world.objects["county_a"]
        before, sent = _counts(Region), len(outbox)
        resp = client.post(f"/admin/regions/new?parent={county.id}", data={"name": "新街道", "code": code})
        self._assert_rejected(resp, "区划代码应为 9 位数字", before, outbox, sent, Region)

    @pytest.mark.parametrize("email", ["not an email", "a@b", "x@@example.cn", "user@exa mple.cn"])
    def test_invite_with_malformed_email(self, client, db, outbox, email):
        world = build_world()
        org = world.objects["org"]
        login(client, world.users["applicant_own"])
        before, sent = _counts(Invitation, OrgMembership), len(outbox)
        resp = client.post(f"/orgs/{org.id}/invitations", data={"email": email, "role": "member"})
        self._assert_rejected(resp, "邮箱格式不正确", before, outbox, sent, Invitation, OrgMembership)


# --- numbers too large for the database in URLs ---------------------------------------

HUGE = "99999999999999999999"


@pytest.mark.parametrize("url,expected", [
    (f"/admin/users/{HUGE}", 404), (f"/admin/funders/{HUGE}", 404),
    (f"/admin/funders/{HUGE}/edit", 404), (f"/admin/regions/{HUGE}/edit", 404),
    (f"/admin/regions?parent={HUGE}", 404), (f"/admin/regions/new?parent={HUGE}", 404),
    (f"/admin/users?page={HUGE}", 200), ("/admin/users?page=-3", 200),
    (f"/admin/funders?page={HUGE}", 200), (f"/orgs/?page={HUGE}", 200),
    (f"/orgs/?region={HUGE}", 200), (f"/orgs/{HUGE}", 404), (f"/orgs/{HUGE}/edit", 404),
    ("/admin/users/2147483648", 404), ("/orgs/2147483648", 404),
])
def test_numbers_too_large_for_the_database_are_not_a_500(client, db, url, expected):
    """Found by probing: SQLite's driver overflows on ids and OFFSETs beyond 64 bits
    (and PostgreSQL's columns are 32-bit)."""
    world = build_world()
    login(client, world.users["admin"])
    assert client.get(url).status_code == expected


@pytest.mark.parametrize("target", ["/\r\nSet-Cookie: x=1", "/orgs/\n", "/\x00", "/\\evil.example",
                                    "/\\/evil.example", "//evil.example", "https://evil.example/"])
def test_unsafe_next_targets_fall_back_to_the_default(client, db, target):
    """Found by the fuzzer: a line break in `next` made the redirect itself crash (500);
    "/\\host" is read by browsers as "//host" (an open redirect)."""
    resp = client.post("/auth/language", data={"lang": "en", "next": target})
    assert resp.status_code == 302
    assert resp.headers["Location"] == "/"


def test_a_plain_next_path_is_still_followed(client, db):
    resp = client.post("/auth/language?next=/orgs/%3Fq%3Dx", data={"lang": "en"})
    assert resp.status_code == 302 and resp.headers["Location"] == "/orgs/?q=x"
