from datetime import date, timedelta

import pytest
from sqlalchemy import select

from app.core.audit import AuditEntry
from app.core.errors import Conflict, InvalidTransition, PermissionDenied, ValidationError
from app.core.states import transition
from app.funders.models import StaffRole
from app.orgs import services
from app.orgs.creditcode import check_character
from app.orgs.models import (Category, CreditStatus, EvaluationGrade, InvitationStatus, LegalStatus,
                             MemberRole, OrgMembership, Organization, ServiceTarget)
from app.regions.models import RegionLevel
from tests.factories import (add_member, ancestor, make_funder, make_invitation, make_org,
                             make_region, make_staff, make_user)

VALID_CODE = "91350100M000100Y43"


def g_code() -> str:
    """A G-prefixed code (as real ones are) with its check character computed."""
    first17 = "G1530102MA6K0001X"
    return first17 + check_character(first17)


def profile(community, **overrides) -> dict:
    data = {
        "name": "翠湖社区邻里互助会", "legal_status": "filed", "credit_code": "",
        "registration_authority": "华山街道办事处", "category": "mutual_aid",
        "service_targets": ["elderly", "children"], "service_target_other": "",
        "home_community_id": community.id, "founded_on": date(2019, 3, 1), "registered_on": None,
        "party_organization": "joint", "social_worker_count": 2, "staff_count": 3,
        "volunteer_count": 40, "mission": "为社区老人和儿童提供互助服务。", "address": "翠湖南路 1 号",
        "legal_representative": "张三", "contact_name": "李四", "contact_phone": "0871-65550000",
        "contact_email": "hzh@example.cn",
    }
    data.update(overrides)
    return data


def registered(community, **overrides) -> dict:
    base = {"legal_status": "registered", "credit_code": VALID_CODE, "registered_on": date(2020, 1, 1)}
    base.update(overrides)
    return profile(community, **base)


@pytest.fixture
def community(db):
    return make_region(name="翠湖社区")


@pytest.fixture
def actor(db):
    return make_user(name="创建人")


def refused(data, field, actor_):
    with pytest.raises(ValidationError) as info:
        services.create_organization(actor_, data)
    assert info.value.field == field
    return info.value.message


# --- create -------------------------------------------------------------------------

def test_create_makes_actor_owner_and_is_audited(db, community, actor):
    org = services.create_organization(actor, profile(community))
    assert org.id and org.name == "翠湖社区邻里互助会"
    assert actor.org_role(org.id) == "owner"
    assert [t.value for t in org.service_targets] == ["elderly", "children"]
    entry = db.session.execute(select(AuditEntry).where(AuditEntry.action == "org.create")).scalar_one()
    assert entry.object_id == str(org.id) and entry.after["name"] == org.name


def test_unconfirmed_user_cannot_create(db, community):
    with pytest.raises(PermissionDenied) as info:
        services.create_organization(make_user(confirmed=False), profile(community))
    assert "确认" in info.value.message
    assert db.session.scalar(select(Organization.id)) is None


def test_name_required_and_unique(db, community, actor):
    assert "名称" in refused(profile(community, name="  "), "name", actor)
    services.create_organization(actor, profile(community))
    message = refused(profile(community), "name", actor)
    assert "已被其他组织使用" in message


# --- credit code --------------------------------------------------------------------

def test_registered_with_valid_code(db, community, actor):
    org = services.create_organization(actor, registered(community))
    assert org.credit_code == VALID_CODE and org.registered_on == date(2020, 1, 1)


def test_g_prefixed_code_accepted(db, community, actor):
    code = g_code()
    org = services.create_organization(actor, registered(community, credit_code=code))
    assert org.credit_code == code


def test_lowercase_code_normalized(db, community, actor):
    org = services.create_organization(actor, registered(community, credit_code=" 91350100m000100y43 "))
    assert org.credit_code == VALID_CODE


def test_registered_requires_code(db, community, actor):
    assert "统一社会信用代码" in refused(registered(community, credit_code=""), "credit_code", actor)


def test_wrong_check_character_names_expected(db, community, actor):
    message = refused(registered(community, credit_code="91350100M000100Y44"), "credit_code", actor)
    assert "“3”" in message and "“4”" in message


@pytest.mark.parametrize("code", ["91350100M000100Y4", "91350100M000100Y433"])
def test_wrong_length(db, community, actor, code):
    assert "18 位" in refused(registered(community, credit_code=code), "credit_code", actor)


@pytest.mark.parametrize("letter", list("IOZSV"))
def test_forbidden_letters(db, community, actor, letter):
    code = "91350100M000100" + letter + "43"
    message = refused(registered(community, credit_code=code), "credit_code", actor)
    assert letter in message and "不允许" in message


def test_code_unique_across_orgs(db, community, actor):
    services.create_organization(actor, registered(community))
    message = refused(registered(community, name="另一个组织"), "credit_code", actor)
    assert "翠湖社区邻里互助会" in message and "已被" in message


@pytest.mark.parametrize("status", ["filed", "community_led"])
def test_unregistered_org_stores_null_code_and_no_registration_date(db, community, actor, status):
    org = services.create_organization(actor, profile(
        community, legal_status=status, credit_code=VALID_CODE, registered_on=date(2020, 1, 1)))
    assert org.credit_code is None and org.registered_on is None
    db.session.expire_all()
    assert db.session.get(Organization, org.id).credit_code is None


def test_legal_status_must_be_known(db, community, actor):
    refused(profile(community, legal_status="company"), "legal_status", actor)


# --- other profile rules ------------------------------------------------------------

def test_home_community_must_be_community_level(db, community, actor):
    county = ancestor(community, RegionLevel.COUNTY)
    assert "社区" in refused(profile(community, home_community_id=county.id), "home_community_id", actor)
    refused(profile(community, home_community_id=999999), "home_community_id", actor)
    refused(profile(community, home_community_id="abc"), "home_community_id", actor)
    refused(profile(community, home_community_id=10**25), "home_community_id", actor)


def test_founded_on_not_in_future(db, community, actor):
    tomorrow = services.china_today() + timedelta(days=1)
    assert "不能晚于今天" in refused(profile(community, founded_on=tomorrow), "founded_on", actor)
    refused(profile(community, founded_on=None), "founded_on", actor)
    org = services.create_organization(actor, profile(community, founded_on=services.china_today()))
    assert org.founded_on == services.china_today()


def test_registered_on_not_before_founded(db, community, actor):
    message = refused(registered(community, founded_on=date(2020, 6, 1), registered_on=date(2020, 5, 31)),
                      "registered_on", actor)
    assert "早于成立日期" in message
    org = services.create_organization(actor, registered(community, founded_on=date(2020, 6, 1),
                                                         registered_on=date(2020, 6, 1)))
    assert org.registered_on == date(2020, 6, 1)


def test_registered_on_not_in_future(db, community, actor):
    tomorrow = services.china_today() + timedelta(days=1)
    refused(registered(community, registered_on=tomorrow), "registered_on", actor)


@pytest.mark.parametrize("value", [-1, 100001, "abc"])
def test_counts_bounded(db, community, actor, value):
    refused(profile(community, volunteer_count=value), "volunteer_count", actor)


def test_counts_at_bounds_accepted(db, community, actor):
    org = services.create_organization(actor, profile(community, volunteer_count=100000,
                                                      staff_count=0, social_worker_count=None))
    assert (org.volunteer_count, org.staff_count, org.social_worker_count) == (100000, 0, 0)


def test_at_least_one_service_target(db, community, actor):
    assert "至少选择" in refused(profile(community, service_targets=[]), "service_targets", actor)
    refused(profile(community, service_targets=["martians"]), "service_targets", actor)


def test_other_target_needs_text(db, community, actor):
    refused(profile(community, service_targets=["other"]), "service_target_other", actor)
    org = services.create_organization(actor, profile(community, service_targets=["other"],
                                                      service_target_other="外来务工人员子女"))
    assert org.service_targets == [ServiceTarget.OTHER] and org.service_target_other == "外来务工人员子女"


def test_other_text_dropped_without_other_target(db, community, actor):
    org = services.create_organization(actor, profile(community, service_target_other="随便写写"))
    assert org.service_target_other == ""


def test_too_long_text_refused(db, community, actor):
    refused(profile(community, address="路" * 201), "address", actor)


def test_staff_fields_typed_by_applicant_are_ignored(db, community, actor):
    org = services.create_organization(actor, profile(
        community, evaluation_grade="5A", credit_status="serious", id=12345))
    assert org.evaluation_grade == EvaluationGrade.NONE
    assert org.credit_status == CreditStatus.NORMAL
    assert org.id != 12345


# --- update -------------------------------------------------------------------------

def test_update_by_member_audited_with_changes(db, community, actor):
    org = services.create_organization(actor, registered(community))
    member = make_user()
    add_member(org, member)
    services.update_profile(member, org, registered(community, mission="新的宗旨", service_targets=["women"]))
    assert org.mission == "新的宗旨" and org.service_targets == [ServiceTarget.WOMEN]
    entry = db.session.execute(select(AuditEntry).where(AuditEntry.action == "org.update_profile")).scalar_one()
    assert entry.before["mission"] == "为社区老人和儿童提供互助服务。"
    assert entry.after == {"mission": "新的宗旨", "service_targets": ["women"]}


def test_update_keeps_own_name_and_code(db, community, actor):
    org = services.create_organization(actor, registered(community))
    services.update_profile(actor, org, registered(community, staff_count=9))
    assert org.staff_count == 9 and org.credit_code == VALID_CODE


def test_update_to_filed_clears_code(db, community, actor):
    org = services.create_organization(actor, registered(community))
    services.update_profile(actor, org, profile(community, credit_code=VALID_CODE))
    assert org.legal_status == LegalStatus.FILED and org.credit_code is None


def test_update_moves_to_another_community(db, community, actor):
    org = services.create_organization(actor, profile(community))
    other = make_region(name="钱局街社区")
    services.update_profile(actor, org, profile(other))
    assert org.home_community is other and org.home_community_id == other.id
    entry = db.session.execute(select(AuditEntry).where(AuditEntry.action == "org.update_profile")).scalar_one()
    assert entry.after == {"home_community_id": other.id}


def test_update_by_outsider_refused(db, community, actor):
    org = services.create_organization(actor, profile(community))
    with pytest.raises(PermissionDenied):
        services.update_profile(make_user(), org, profile(community, mission="x"))


def test_update_ignores_staff_fields(db, community, actor):
    org = services.create_organization(actor, profile(community))
    services.update_profile(actor, org, profile(community, evaluation_grade="5A", credit_status="abnormal"))
    assert org.evaluation_grade == EvaluationGrade.NONE and org.credit_status == CreditStatus.NORMAL


# --- staff fields -------------------------------------------------------------------

def test_staff_fields_by_covering_officer_audited(db, community):
    org = make_org(community=community)
    officer = make_staff(make_funder(region=ancestor(community, RegionLevel.COUNTY)))
    services.update_staff_fields(officer, org, "4A", "abnormal")
    assert org.evaluation_grade == EvaluationGrade.A4 and org.credit_status == CreditStatus.ABNORMAL
    entry = db.session.execute(select(AuditEntry).where(AuditEntry.action == "org.staff_fields")).scalar_one()
    assert entry.before == {"evaluation_grade": "none", "credit_status": "normal"}
    assert entry.after == {"evaluation_grade": "4A", "credit_status": "abnormal"}
    assert entry.actor_id == officer.id


@pytest.mark.parametrize("who", ["finance", "elsewhere", "owner", "admin"])
def test_staff_fields_refused_for_others(db, community, who):
    owner = make_user()
    org = make_org(community=community, owner=owner)
    county = ancestor(community, RegionLevel.COUNTY)
    user = {
        "finance": lambda: make_staff(make_funder(region=county), StaffRole.FINANCE_OFFICER),
        "elsewhere": lambda: make_staff(make_funder()),
        "owner": lambda: owner,
        "admin": lambda: make_user(is_admin=True),
    }[who]()
    with pytest.raises(PermissionDenied):
        services.update_staff_fields(user, org, "5A", "normal")
    assert org.evaluation_grade == EvaluationGrade.NONE


def test_staff_fields_bad_value(db, community):
    org = make_org(community=community)
    officer = make_staff(make_funder(region=ancestor(community, RegionLevel.STREET)))
    with pytest.raises(ValidationError):
        services.update_staff_fields(officer, org, "6A", "normal")


# --- members ------------------------------------------------------------------------

def test_last_owner_cannot_be_removed_or_demoted(db, community):
    owner = make_user()
    org = make_org(community=community, owner=owner)
    membership = org.members[0]
    with pytest.raises(Conflict) as info:
        services.remove_member(owner, membership)
    assert "负责人" in info.value.message
    with pytest.raises(Conflict):
        services.change_member_role(owner, membership, "member")
    assert owner.org_role(org.id) == "owner"


def test_second_owner_then_first_can_step_down(db, community):
    owner = make_user()
    org = make_org(community=community, owner=owner)
    other = make_user()
    m = add_member(org, other)
    services.change_member_role(owner, m, "owner")
    services.change_member_role(owner, org.members[0], "member")
    assert {mm.role for mm in services.members_of(org)} == {MemberRole.OWNER, MemberRole.MEMBER}
    assert db.session.execute(select(AuditEntry).where(AuditEntry.action == "org.change_member_role")).scalars().all()


def test_remove_member(db, community):
    owner = make_user()
    org = make_org(community=community, owner=owner)
    member = make_user()
    m = add_member(org, member)
    services.remove_member(owner, m)
    assert member.org_role(org.id) is None
    assert db.session.get(OrgMembership, m.id) is None


def test_member_cannot_manage_members(db, community):
    owner = make_user()
    org = make_org(community=community, owner=owner)
    member = make_user()
    add_member(org, member)
    with pytest.raises(PermissionDenied):
        services.remove_member(member, org.members[0])


# --- invitations --------------------------------------------------------------------

@pytest.fixture
def org_with_owner(db, community):
    owner = make_user(name="负责人")
    return make_org(community=community, owner=owner, name="翠湖志愿队"), owner


def _token_from(outbox):
    link = next(line for line in outbox[-1].body.splitlines() if "/orgs/invitations/" in line)
    return link.rsplit("/", 1)[1]


def test_invite_queues_email_with_link(db, org_with_owner, outbox):
    org, owner = org_with_owner
    invitation = services.invite_member(owner, org, " New.Person@Example.cn ", "member")
    assert invitation.email == "new.person@example.cn"
    assert outbox == []  # sent only after the commit
    db.session.commit()
    assert outbox[-1].to == "new.person@example.cn"
    assert "翠湖志愿队" in outbox[-1].subject
    assert "http://localhost/orgs/invitations/" in outbox[-1].body
    assert services.invitation_for_token(_token_from(outbox)).id == invitation.id


def test_duplicate_pending_invitation_refused(db, org_with_owner):
    org, owner = org_with_owner
    services.invite_member(owner, org, "a@example.cn", "member")
    with pytest.raises(ValidationError) as info:
        services.invite_member(owner, org, "A@example.cn", "owner")
    assert "已经向" in info.value.message and info.value.field == "email"


def test_reinvite_after_revoke(db, org_with_owner):
    org, owner = org_with_owner
    first = services.invite_member(owner, org, "a@example.cn", "member")
    services.revoke_invitation(owner, first)
    assert first.status == InvitationStatus.REVOKED
    second = services.invite_member(owner, org, "a@example.cn", "member")
    assert second.status == InvitationStatus.PENDING


def test_inviting_existing_member_refused(db, org_with_owner):
    org, owner = org_with_owner
    member = make_user(email="Member@example.cn")
    add_member(org, member)
    with pytest.raises(ValidationError) as info:
        services.invite_member(owner, org, "member@EXAMPLE.cn", "member")
    assert "已经是本组织的成员" in info.value.message


def test_invite_bad_email_or_role(db, org_with_owner):
    org, owner = org_with_owner
    with pytest.raises(ValidationError):
        services.invite_member(owner, org, "not-an-email", "member")
    with pytest.raises(ValidationError):
        services.invite_member(owner, org, "ok@example.cn", "admin")


def test_only_owner_invites(db, org_with_owner):
    org, _ = org_with_owner
    member = make_user()
    add_member(org, member)
    with pytest.raises(PermissionDenied):
        services.invite_member(member, org, "x@example.cn", "member")


def test_accept_invitation_case_insensitive(db, org_with_owner):
    org, owner = org_with_owner
    invitation = services.invite_member(owner, org, "Invitee@Example.cn", "owner")
    user = make_user(email="INVITEE@example.cn")
    membership = services.accept_invitation(user, services.invitation_token(invitation))
    assert membership.role == MemberRole.OWNER and user.org_role(org.id) == "owner"
    assert invitation.status == InvitationStatus.ACCEPTED and invitation.accepted_by_id == user.id
    actions = db.session.execute(select(AuditEntry.action)).scalars().all()
    assert "invitation.status" in actions and "org.join" in actions


def test_accept_by_wrong_email_refused(db, org_with_owner):
    org, owner = org_with_owner
    invitation = services.invite_member(owner, org, "invitee@example.cn", "member")
    intruder = make_user(email="intruder@example.cn")
    with pytest.raises(PermissionDenied) as info:
        services.accept_invitation(intruder, services.invitation_token(invitation))
    assert "i***@example.cn" in info.value.message
    assert invitation.status == InvitationStatus.PENDING and intruder.org_role(org.id) is None


def test_accepted_invitation_cannot_be_accepted_twice(db, org_with_owner):
    org, owner = org_with_owner
    invitation = services.invite_member(owner, org, "invitee@example.cn", "member")
    user = make_user(email="invitee@example.cn")
    token = services.invitation_token(invitation)
    services.accept_invitation(user, token)
    with pytest.raises(InvalidTransition) as info:
        services.accept_invitation(user, token)
    assert isinstance(info.value, Conflict) and "已经被接受" in info.value.message
    assert len([m for m in services.members_of(org) if m.user_id == user.id]) == 1


def test_revoked_invitation_cannot_be_accepted(db, org_with_owner):
    org, owner = org_with_owner
    invitation = services.invite_member(owner, org, "invitee@example.cn", "member")
    services.revoke_invitation(owner, invitation)
    with pytest.raises(InvalidTransition):
        services.accept_invitation(make_user(email="invitee@example.cn"), services.invitation_token(invitation))
    with pytest.raises(InvalidTransition):
        services.revoke_invitation(owner, invitation)


def test_tampered_or_expired_token_refused(db, org_with_owner, monkeypatch):
    org, owner = org_with_owner
    invitation = services.invite_member(owner, org, "invitee@example.cn", "member")
    user = make_user(email="invitee@example.cn")
    token = services.invitation_token(invitation)
    with pytest.raises(ValidationError, match="无效"):
        services.accept_invitation(user, token[:-2] + ("AA" if not token.endswith("AA") else "BB"))
    monkeypatch.setattr(services, "INVITATION_MAX_AGE_SECONDS", -1)
    with pytest.raises(ValidationError, match="过期"):
        services.accept_invitation(user, token)
    assert invitation.status == InvitationStatus.PENDING


def test_invitation_transitions_outside_table_refused(db, org_with_owner):
    org, owner = org_with_owner
    invitation = make_invitation(org, "x@example.cn", invited_by=owner)
    transition(invitation, InvitationStatus.ACCEPTED, owner)
    for target in InvitationStatus:
        with pytest.raises(InvalidTransition):
            transition(invitation, target, owner)


# --- directory ----------------------------------------------------------------------

def _names(query):
    from app.extensions import db
    return sorted(o.name for o in db.session.execute(query).scalars())


def test_directory_filters(db):
    c1 = make_region(name="翠湖社区")
    c2 = make_region(parent=c1.parent, name="钱局街社区")
    c3 = make_region(name="远方村")
    a = make_org(community=c1, name="甲助老队", category=Category.CHARITY,
                 targets=(ServiceTarget.ELDERLY,), legal_status=LegalStatus.REGISTERED,
                 credit_code=VALID_CODE)
    b = make_org(community=c2, name="乙儿童之家", category=Category.MUTUAL_AID,
                 targets=(ServiceTarget.CHILDREN, ServiceTarget.WOMEN))
    c = make_org(community=c3, name="丙文体队", category=Category.CULTURE_SPORTS,
                 legal_status=LegalStatus.COMMUNITY_LED)
    q = services.directory_query
    assert _names(q()) == sorted([a.name, b.name, c.name])
    assert _names(q(q="助老")) == [a.name]
    assert _names(q(q="91350100m")) == [a.name]
    assert _names(q(q="100%")) == []
    assert _names(q(category=Category.MUTUAL_AID)) == [b.name]
    assert _names(q(target=ServiceTarget.WOMEN)) == [b.name]
    assert _names(q(legal_status=LegalStatus.COMMUNITY_LED)) == [c.name]
    street = c1.parent
    for level in (RegionLevel.PREFECTURE, RegionLevel.COUNTY, RegionLevel.STREET):
        assert _names(q(region_id=ancestor(street, level).id)) == sorted([a.name, b.name])
    assert _names(q(region_id=c1.id)) == [a.name]
    assert _names(q(region_id=ancestor(c3, RegionLevel.COUNTY).id)) == [c.name]
    assert _names(q(region_id=999999)) == []
    assert _names(q(region_id=street.id, category=Category.CHARITY, q="甲")) == [a.name]


def test_community_choices_labels(db):
    county = make_region(level=RegionLevel.COUNTY, name="五华区")
    street = make_region(level=RegionLevel.STREET, parent=county, name="华山街道")
    c = make_region(parent=street, name="翠湖社区")
    groups = dict(services.community_choices())
    assert (c.id, "五华区 华山街道 翠湖社区（城市社区）") in groups["五华区 华山街道"]


def test_region_filter_choices_in_tree_order(db):
    county = make_region(level=RegionLevel.COUNTY, name="五华区")
    street = make_region(level=RegionLevel.STREET, parent=county, name="华山街道")
    make_region(parent=street, name="翠湖社区")
    labels = [label for _, label in services.region_filter_choices()]
    i = labels.index("\u3000\u3000五华区")
    assert labels[i + 1] == "\u3000\u3000\u3000华山街道"
    assert not any("翠湖社区" in label for label in labels)
