from tests.factories import make_funder, make_org, make_region


def test_home_shows_counts_and_recent_organizations(client, db):
    community = make_region()
    make_funder()
    orgs = [make_org(community=community, name=f"首页展示服务队{i}") for i in range(3)]
    html = client.get("/").get_data(as_text=True)
    for org in orgs:
        assert org.name in html
    assert community.full_name in html


def test_home_query_count_does_not_grow_with_rows(client, db, count_queries):
    def queries_for_home():
        with count_queries() as n:
            assert client.get("/").status_code == 200
        return n()

    make_org(community=make_region())
    one = queries_for_home()
    for _ in range(5):
        make_org(community=make_region())
    assert queries_for_home() == one


# --- the signed-in dashboard -----------------------------------------------------------

def _dashboard_world():
    from datetime import timedelta

    from app.applications.models import ApplicationStatus
    from app.calls.models import CallStatus
    from app.core.db import utcnow
    from app.funders.models import StaffRole
    from app.regions.models import RegionLevel
    from tests.factories import make_application, make_call, make_staff, make_user

    county = make_region(level=RegionLevel.COUNTY)
    street = make_region(level=RegionLevel.STREET, parent=county)
    community = make_region(parent=street)
    funder = make_funder(region=county)
    officer = make_staff(funder, StaffRole.PROGRAM_OFFICER, name="项目主管甲")
    owner = make_user(name="组织负责人甲")
    org = make_org(community=community, owner=owner, name="仪表盘测试服务社")
    open_call = make_call(funder, status=CallStatus.OPEN, title="仪表盘征集中")
    past = make_call(funder, status=CallStatus.SCREENING, title="仪表盘审查中",
                     opens_at=utcnow() - timedelta(days=40), deadline_at=utcnow() - timedelta(days=2))
    draft = make_application(open_call, org, title="仪表盘草稿项目")
    make_application(past, org, status=ApplicationStatus.SUBMITTED, title="仪表盘已提交项目")
    make_application(past, make_org(community=community), status=ApplicationStatus.SUBMITTED)
    return officer, owner, draft


def test_applicant_dashboard_lists_applications_with_next_action_and_open_calls(client, db):
    from tests.conftest import login

    officer, owner, draft = _dashboard_world()
    login(client, owner)
    html = client.get("/dashboard").get_data(as_text=True)
    assert "仪表盘草稿项目" in html and "仪表盘已提交项目" in html
    assert f"/applications/{draft.id}" in html
    assert "下一步" in html and "等待形式审查" in html
    assert "仪表盘征集中" in html  # open calls to apply to
    assert "征集与申报进度" not in html  # not staff


def test_officer_dashboard_counts_applications_per_state_and_says_what_awaits(client, db):
    from tests.conftest import login

    officer, owner, draft = _dashboard_world()
    login(client, officer)
    html = client.get("/dashboard").get_data(as_text=True)
    assert "征集与申报进度" in html
    assert "仪表盘审查中" in html and "仪表盘征集中" in html
    assert "2 份申报书待形式审查" in html
    assert "另有 1 份正在填写" in html  # drafts counted, never shown
    assert "仪表盘草稿项目" not in html
    # An officer who belongs to no organization is not offered an empty "my organizations" card.
    assert "我的组织" not in html


def test_dashboard_query_count_does_not_grow_with_applications(client, db, count_queries):
    from app.applications.models import ApplicationStatus
    from tests.conftest import login
    from tests.factories import make_application

    officer, owner, draft = _dashboard_world()
    login(client, officer)

    def queries():
        with count_queries() as n:
            assert client.get("/dashboard").status_code == 200
        return n()

    first = queries()
    for _ in range(4):
        make_application(draft.call, make_org(community=owner.org_memberships[0].organization.home_community),
                         status=ApplicationStatus.SUBMITTED)
    assert queries() == first


def test_expert_dashboard_counts_review_tasks_and_links_the_chair_workspace(client, db):
    """A reviewer sees how many applications wait for them (declarations counted), the
    chair a link to the chair workspace, and the officer the scoring progress."""
    from app.applications.models import ApplicationStatus
    from app.calls.models import CallStatus
    from app.funders.models import StaffRole
    from app.reviews.models import AssignmentStatus
    from tests.conftest import login
    from tests.factories import (make_application, make_assignment, make_call, make_expert, make_panel,
                                 make_sheet, make_staff)

    funder = make_funder()
    officer = make_staff(funder, StaffRole.PROGRAM_OFFICER)
    call = make_call(funder, status=CallStatus.REVIEWING, title="仪表盘评审中")
    reviewer, chair = make_expert(), make_expert()
    panel = make_panel(call, reviewers=[reviewer], chair=chair)
    apps = [make_application(call, make_org(), status=ApplicationStatus.UNDER_REVIEW) for _ in range(3)]
    make_assignment(panel, apps[0], reviewer, status=AssignmentStatus.PENDING)
    make_sheet(make_assignment(panel, apps[1], reviewer))  # draft: still to score
    make_sheet(make_assignment(panel, apps[2], reviewer), submitted=True)
    make_sheet(make_assignment(panel, apps[2], chair), submitted=True)

    login(client, reviewer.user)
    html = client.get("/dashboard").get_data(as_text=True)
    assert "您有 2 份申报书待评审" in html and "其中 1 份需先声明是否回避" in html
    assert "已提交 1 份" in html and "/reviews/tasks" in html
    assert "组长工作台" not in html

    client.post("/auth/logout")
    login(client, chair.user)
    html = client.get("/dashboard").get_data(as_text=True)
    assert "您的评审任务均已提交" in html
    assert f"/reviews/calls/{call.id}/chair" in html

    client.post("/auth/logout")
    login(client, officer)
    html = client.get("/dashboard").get_data(as_text=True)
    assert "专家评分已提交 2/4 份" in html
