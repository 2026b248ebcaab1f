"""Demo review rounds (issue 4): one call in expert review with partial scores, one in
public notice (公示) with an open objection, and one awarded (已立项).

Everything goes through the services a user would trigger — publish, apply, screen, draw
a panel, assign, declare, score, finalize, adjust, publish the notice, object, answer,
close — with `now` set to when it would have happened where the service takes one.
Scores are generated deterministically: each project has a quality, each reviewer a
leniency (one is markedly harsh), plus a little seeded noise.
"""
from __future__ import annotations

import random
from datetime import timedelta

from sqlalchemy import func, select

from app.applications import screening as screening_services
from app.applications import services as application_services
from app.applications.models import Application
from app.auth.models import User
from app.awards import services as award_services
from app.awards.models import Award, Notice
from app.calls import services as call_services
from app.calls.models import Call, CallKind, CallStatus
from app.demo.clock import beijing as _beijing, today as _today
from app.demo.money import allocate_budget
from app.extensions import db
from app.funders.models import Funder
from app.orgs.models import Organization
from app.regions.models import Region
from app.reviews import panels as panel_services
from app.reviews import results as result_services
from app.reviews import scoring as scoring_services
from app.reviews.models import (AssignmentStatus, Expert, PanelMember, ReviewAssignment,
                                ReviewOutcome)


REVIEWING_TITLE = "2026年五华区“三社联动”社区服务创投"
NOTICE_TITLE = "2026年翠湖片区社区发展基金“邻里微光”小额资助"
AWARDED_TITLE = "2026年五华区福彩公益金支持社区社会组织服务项目"
TITLES = (REVIEWING_TITLE, NOTICE_TITLE, AWARDED_TITLE)
APPLICANT_ORG = "昆明市五华区翠湖社区居家养老服务中心"






def _yuan(fen: int) -> str:
    return f"{fen // 100}.{fen % 100:02d}"


# (organization, project title, requested yuan, target groups, what the project does, the need)
PROJECTS = {
    REVIEWING_TITLE: [
        (APPLICANT_ORG, "翠湖社区长者“家门口”康养驿站", 60000, ["elderly"],
         "在社区活动中心开设康养驿站，提供健康监测、康复操、助浴转介和每周两次的长者茶话会。",
         "社区独居和高龄老人214人，日间无人照看的失能、半失能老人约40人，现有服务只覆盖午餐。"),
        ("五华区武成路社区社会工作服务站", "武成路社区“邻里守望”互助网络", 45000, ["elderly", "poor_families"],
         "以楼栋为单位招募邻里守望员，建立困难家庭与独居老人的每日问候和紧急联络机制。",
         "老旧小区无物业，困难家庭与独居老人发生意外时难以及时发现。"),
        ("大观社区困境儿童关爱服务队", "大观社区困境儿童“成长伙伴”计划", 52000, ["children", "poor_families"],
         "为困境儿童配对大学生成长伙伴，开展课业辅导、情绪支持和暑期成长营。",
         "社区困境儿童38名，其中留守和单亲家庭儿童占七成，课后无人辅导。"),
        ("五华区护国社区助残服务中心", "护国社区残障人士“就近康复”服务", 70000, ["disabled"],
         "在社区设康复服务点，由康复治疗师上门评估，开展家庭康复训练和照护者培训。",
         "社区持证残疾人126人，其中肢体残疾者半数未接受过系统康复训练。"),
        ("篆塘社区流动人口服务站", "篆塘社区新市民融入服务", 38000, ["migrant_workers"],
         "为流动人口家庭提供政策咨询、子女入学指引、社区融入活动和法律援助转介。",
         "社区流动人口占常住人口三成以上，对入学、就医、社保政策了解不足。"),
        ("龙翔社区青少年成长驿站", "龙翔社区青少年“四点半”课堂升级", 42000, ["children"],
         "在放学后为小学生提供作业辅导、阅读和安全教育，引入家长志愿者轮值。",
         "双职工家庭子女放学后无人看护，社区周边安全隐患较多。"),
    ],
    NOTICE_TITLE: [
        ("光华社区亲子阅读会", "光华社区“故事妈妈”亲子共读", 8000, ["children"],
         "培训社区家长成为故事妈妈，每周在社区图书角带领亲子共读。",
         "社区学龄前儿童家庭约300户，缺少公共阅读活动。"),
        ("文明街社区老街坊互助会", "文明街老街坊“一碗汤”互助送餐", 9500, ["elderly"],
         "组织低龄老人为高龄邻居送汤送餐、陪伴聊天，建立互助积分。",
         "街区高龄独居老人集中，子女不在身边。"),
        ("武成路社区滇剧票友协会", "武成路滇剧进社区传承计划", 6000, ["elderly", "children"],
         "每月在社区举办滇剧赏析和青少年体验课，录制老艺人口述史。",
         "老艺人年事已高，社区年轻人接触滇剧的机会少。"),
        ("护国社区太极拳健身队", "护国社区太极健身与防跌倒课堂", 5000, ["elderly"],
         "开设太极拳晨练班和防跌倒知识讲座，培养社区健身带头人。",
         "社区老人跌倒事件频发，缺少科学锻炼指导。"),
        ("莲华社区邻里节志愿服务队", "莲华社区邻里节与楼栋议事会", 7000, ["elderly", "children"],
         "举办邻里节、楼栋议事会，推动居民共同解决停车和公共空间问题。",
         "新建小区邻里陌生，公共事务参与度低。"),
    ],
    AWARDED_TITLE: [
        ("五华区武成路社区社会工作服务站", "困难家庭“社工+志愿者”综合帮扶", 150000, ["poor_families"],
         "由社工为困难家庭开展个案管理，链接就业、医疗和教育资源，志愿者定期探访。",
         "街道低保、低边家庭312户，致贫原因复杂，单一救助难以改善处境。"),
        ("五华区护国社区助残服务中心", "残障家庭照护者喘息服务", 120000, ["disabled"],
         "为重度残障人士家庭提供临时照护和照护者减压小组。",
         "重度残障人士家庭照护者长期无休，身心压力大。"),
        (APPLICANT_ORG, "翠湖社区失能老人居家照护", 180000, ["elderly"],
         "为失能老人提供上门护理、康复训练和家属照护技能培训。",
         "社区失能、半失能老人86人，家庭照护能力不足。"),
        ("大观社区困境儿童关爱服务队", "困境儿童家庭教育支持", 100000, ["children", "poor_families"],
         "为困境儿童家庭提供家庭教育指导、亲子活动和学业支持。",
         "困境儿童家庭亲子关系紧张，家长教育方法单一。"),
        ("昆明市五华区龙翔社区养老服务协会", "龙翔社区长者食堂与营养干预", 160000, ["elderly"],
         "运营社区长者食堂，为慢病老人提供营养配餐和健康随访。",
         "社区高血压、糖尿病老人比例高，饮食管理困难。"),
        ("篆塘社区流动人口服务站", "流动儿童社区融合服务", 90000, ["children", "migrant_workers"],
         "为流动儿童开展社区融合小组、城市探索和心理支持。",
         "流动儿童对城市社区归属感低，易出现适应困难。"),
    ],
}

# Each project's quality (share of the rubric's points it earns, before each reviewer's
# leniency and noise), in the order of PROJECTS.
QUALITY = {
    REVIEWING_TITLE: [0.84, 0.72, 0.78, 0.66, 0.58, 0.75],
    NOTICE_TITLE: [0.88, 0.55, 0.66, 0.70, 0.80],
    AWARDED_TITLE: [0.82, 0.76, 0.86, 0.70, 0.79, 0.50],
}

COMMENTS = {
    "high": "需求调研扎实，服务设计与目标对应清楚，团队经验充足，预算测算合理，建议资助。",
    "mid": "项目有实际需求，活动安排基本可行；成效指标偏笼统，建议细化测量方式并压缩宣传类支出。",
    "low": "需求分析缺少数据支撑，活动与目标关联不强，预算中劳务费比例偏高，可行性一般。",
}


def _application_data(call: Call, org: Organization, title: str, requested: int, targets: list[str],
                      activity: str, need: str) -> dict:
    requested_fen = requested * 100
    matching_fen = requested_fen * call.matching_ratio_pct // 100
    total = requested_fen + matching_fen
    management = total * min(call.management_cap_pct, 8) // 100
    labour = total * 35 // 100
    activity_fen = total - management - labour
    start, end = _today(30), _today(30 + 364)
    leader = org.contact_name or "项目负责人"
    return {
        "title": title,
        "summary": activity,
        "leader_name": leader, "leader_phone": org.contact_phone or "0871-65550000",
        "need": need + "前期走访和问卷显示，多数服务对象愿意参与并希望服务常态化。",
        "objectives": f"一年内{activity.rstrip('。')}，服务对象满意度达到90%以上。",
        "activities": activity + "每季度召开一次服务对象座谈会，根据反馈调整服务。",
        "sustainability": "培育居民骨干和志愿者队伍，项目结束后由社区和志愿者接续运行。",
        "planned_beneficiaries": "120", "beneficiary_description": "社区内符合条件的服务对象",
        "target_groups": targets,
        "community_ids": [org.home_community_id],
        "starts_on": start, "ends_on": end,
        "requested": str(requested), "matching": _yuan(matching_fen),
        "matching_source": "机构自筹及社区配套" if matching_fen else "",
        "budget_lines": [
            {"head": "业务活动费", "item": "服务活动与物料", "unit": "项", "quantity": 1,
             "unit_price": _yuan(activity_fen), "note": ""},
            {"head": "业务活动费", "item": "专业服务人员劳务", "unit": "项", "quantity": 1,
             "unit_price": _yuan(labour), "note": ""},
            {"head": "管理费用", "item": "项目管理与督导", "unit": "项", "quantity": 1,
             "unit_price": _yuan(management), "note": ""},
        ],
        "indicators": [
            {"name": "服务人次", "unit": "人次", "target": "2000", "measurement": "签到表与服务记录"},
            {"name": "服务对象满意度", "unit": "%", "target": "90", "measurement": "第三方回访"},
        ],
        "milestones": [
            {"due_on": start + timedelta(days=30), "title": "项目启动与服务对象摸底", "deliverable": "服务对象名册"},
            {"due_on": start + timedelta(days=180), "title": "中期评估", "deliverable": "中期报告"},
            {"due_on": end - timedelta(days=15), "title": "总结与结项", "deliverable": "结项报告及财务决算"},
        ],
        "team": [
            {"name": leader, "role": "项目负责人", "qualification": "社会工作师，5年社区服务经验",
             "is_social_worker": True},
            {"name": "王磊", "role": "财务", "qualification": "会计从业8年", "is_social_worker": False},
        ],
        "declares_no_fixed_assets": True, "declares_no_cash_gifts": True, "declares_truthful": True,
    }


def _users() -> dict[str, User]:
    return {u.email: u for u in db.session.scalars(select(User).where(User.email.like("%@gongyi.demo")))}


def _expert(email: str) -> Expert | None:
    return db.session.scalar(select(Expert).join(User, User.id == Expert.user_id).where(User.email == email))


def _open_and_screen(spec: dict, users: dict[str, User], counts: dict[str, int]) -> tuple[Call, User]:
    """Create and publish the call, submit its applications, screen them all eligible,
    and leave it in screening; returns the call and its officer."""
    officer = users[spec["officer"]]
    funder = db.session.scalar(select(Funder).where(Funder.name == spec["funder"]))
    region = db.session.scalar(select(Region).where(Region.code == spec["region"]))
    opens, deadline = spec["opens"], spec["deadline"]
    call = call_services.create_call(officer, funder, dict(spec["data"], region_scope_id=region.id,
                                                           opens_at=opens, deadline_at=deadline))
    call_services.publish(officer, call, now=opens + timedelta(hours=1))
    allocate_budget(call)
    counts["created"] += 1
    names = [p[0] for p in PROJECTS[spec["data"]["title"]]]
    orgs = {o.name: o for o in db.session.scalars(select(Organization).where(Organization.name.in_(names)))}
    applicant = users.get("applicant@gongyi.demo")
    applications = []
    for i, (name, title, requested, targets, activity, need) in enumerate(PROJECTS[call.title]):
        org = orgs[name]
        actor = applicant if name == APPLICANT_ORG else None
        when = deadline - timedelta(days=8 - i, hours=2)
        data = _application_data(call, org, title, requested, targets, activity, need)
        application = application_services.create_draft(actor, call, org, data, now=when - timedelta(days=3))
        application_services.submit(actor, application, now=when)
        applications.append(application)
        counts["created"] += 1
    screened = deadline + timedelta(days=2)
    call_services.advance(officer, call, CallStatus.SCREENING, now=deadline + timedelta(hours=1))
    for application in applications:
        screening_services.screen(officer, application, "eligible",
                                  "材料齐全，经复核符合申报条件。", screened)
    return call, officer


def _panel(call: Call, officer: User, chair_email: str, extra: list[str], draw_size: int,
           fields: list[str]) -> None:
    """A panel: the chair and ``extra`` experts added by hand, the rest drawn at random."""
    panel_services.get_or_create_panel(officer, call)
    for email in [chair_email, *extra]:
        expert = _expert(email)
        panel_services.add_member(officer, call, expert)
    panel_services.draw_panel(officer, call, draw_size, fields)
    panel = panel_services.panel_for(call)
    chair = next(m for m in panel.members if m.expert.user.email == chair_email)
    panel_services.set_chair(officer, chair)
    panel_services.auto_assign(officer, call)


def _assignments(call: Call) -> list[ReviewAssignment]:
    return list(db.session.scalars(
        select(ReviewAssignment).join(PanelMember, PanelMember.id == ReviewAssignment.member_id)
        .join(Application, Application.id == ReviewAssignment.application_id)
        .where(Application.call_id == call.id, ReviewAssignment.status != AssignmentStatus.RECUSED)
        .order_by(ReviewAssignment.application_id, ReviewAssignment.id)))


def _points(call: Call, assignment: ReviewAssignment, quality: dict[int, float], leniency: dict[int, float],
            rng: random.Random) -> tuple[dict, str]:
    q = quality[assignment.application_id] + leniency.get(assignment.member.expert_id, 0.0)
    points = {}
    for criterion in call.criteria:
        share = min(1.0, max(0.2, q + rng.uniform(-0.06, 0.06)))
        points[str(criterion.id)] = str(round(criterion.max_points * share))
    level = "high" if q >= 0.8 else "mid" if q >= 0.65 else "low"
    return points, COMMENTS[level]


def _score(call: Call, *, leave_pending: set[str] = frozenset(), drafts: int = 0, recuse: int = 0,
           seed: int = 7) -> None:
    """Declare and score every assignment except those of ``leave_pending`` users; the first
    ``recuse`` declarations are conflicts (the application is reassigned), and ``drafts``
    sheets are only saved, not submitted."""
    rng = random.Random(seed)
    quality = dict(zip((a.id for a in call_applications(call)), QUALITY[call.title]))
    members = sorted({a.member.expert_id for a in _assignments(call)})
    leniency = {expert_id: (-0.14 if i == 1 else 0.03 * (i % 3)) for i, expert_id in enumerate(members)}
    for assignment in _assignments(call):
        user = assignment.member.expert.user
        if user.email in leave_pending or assignment.status == AssignmentStatus.RECUSED:
            continue
        if recuse and assignment.status == AssignmentStatus.PENDING:
            scoring_services.declare(user, assignment, True, "本人曾担任该机构的项目督导，与申报组织存在业务往来，申请回避。")
            recuse -= 1
            continue
        if assignment.status == AssignmentStatus.PENDING:
            scoring_services.declare(user, assignment, False, None)
    for assignment in _assignments(call):
        user = assignment.member.expert.user
        if user.email in leave_pending or assignment.status != AssignmentStatus.ACCEPTED:
            continue
        if assignment.sheet is not None and assignment.sheet.is_submitted:
            continue
        points, comment = _points(call, assignment, quality, leniency, rng)
        if drafts:
            scoring_services.save_sheet(user, assignment, points, comment)
            drafts -= 1
        else:
            scoring_services.submit_sheet(user, assignment, points, comment)


def call_applications(call: Call) -> list[Application]:
    return list(db.session.scalars(select(Application).where(Application.call_id == call.id)
                                   .order_by(Application.id)))


def _finish_review(call: Call, officer: User) -> None:
    """Everyone declares and submits; the chair finalizes."""
    _score(call)
    panel = panel_services.panel_for(call)
    chair = panel.chair.expert.user
    result_services.finalize(chair, panel)


def _specs() -> list[dict]:
    return [
        {
            "funder": "昆明市五华区民政局", "officer": "district.officer@gongyi.demo", "region": "530102",
            "opens": _beijing(-60, 9), "deadline": _beijing(-21, 17),
            "data": {
                "kind": CallKind.VENTURE, "title": REVIEWING_TITLE,
                "summary": "支持社区、社会组织、社会工作者联动，围绕为老、助残、儿童关爱和新市民融入开展服务，"
                           "每个项目资助3万至8万元。",
                "description": "评审方式：从专家库随机抽取专家组成评审小组，实行匿名评审（评审专家看不到申报组织），"
                               "每份申报书由3位专家评分，去掉最高分和最低分后取平均。",
                "budget": "250000", "min_award": "30000", "max_award": "80000",
                "management_cap_pct": 10, "reviewers_per_application": "3", "aggregation": "trimmed_mean",
                "blind_review": True, "required_attachments": [],
            },
        },
        {
            "funder": "昆明市五华区社区发展基金会", "officer": "foundation@gongyi.demo", "region": "530102",
            "opens": _beijing(-75, 9), "deadline": _beijing(-40, 17),
            "data": {
                "kind": CallKind.VENTURE, "title": NOTICE_TITLE,
                "summary": "社区发展基金支持居民自组织开展邻里互助、文化传承和社区议事，每个项目5千至1万元。",
                "description": "评审：3位专家评分取算术平均；拟资助名单公示5个工作日。",
                "budget": "30000", "min_award": "5000", "max_award": "10000",
                "management_cap_pct": 10, "reviewers_per_application": "3", "aggregation": "mean",
                "required_attachments": [],
            },
        },
        {
            "funder": "昆明市五华区民政局", "officer": "district.officer@gongyi.demo", "region": "530102",
            "opens": _beijing(-150, 9), "deadline": _beijing(-110, 17),
            "data": {
                "kind": CallKind.VENTURE, "title": AWARDED_TITLE,
                "summary": "区级福彩公益金支持社区社会组织为困难群众、老年人、残疾人和儿童提供专业服务，"
                           "每个项目资助5万至20万元。",
                "description": "评审：5位专家评分，采用标准分法消除评委宽严差异；拟立项名单公示5个工作日。\n"
                               "拨付：协议生效后拨付50%，中期报告通过后拨付40%，结项验收通过后拨付10%。",
                "budget": "720000", "min_award": "50000", "max_award": "200000",
                "management_cap_pct": 8, "reviewers_per_application": "5", "aggregation": "zscore",
                "required_attachments": [],
            },
        },
    ]


def load_reviews(counts: dict[str, int]) -> None:
    existing = set(db.session.scalars(select(Call.title).where(Call.title.in_(TITLES))))
    counts["calls"] += len(TITLES)
    if len(existing) < len(TITLES):
        _load_missing(existing, counts)
    counts["awards"] = db.session.scalar(select(func.count(Award.id)).join(Call, Call.id == Award.call_id)
                                         .where(Call.title.in_(TITLES))) or 0


def _load_missing(existing: set[str], counts: dict[str, int]) -> None:
    users = _users()
    specs = {s["data"]["title"]: s for s in _specs()}

    if REVIEWING_TITLE not in existing:
        call, officer = _open_and_screen(specs[REVIEWING_TITLE], users, counts)
        _panel(call, officer, "chair@gongyi.demo", ["reviewer@gongyi.demo"], 3,
               ["elderly_care", "social_work", "children_youth", "disability_rehab"])
        call_services.advance(officer, call, CallStatus.REVIEWING)
        # Partial scores: the demo reviewer's tasks all wait for them; one reviewer declared
        # a conflict (reassigned); one sheet is only saved.
        _score(call, leave_pending={"reviewer@gongyi.demo"}, drafts=1, recuse=1)

    if NOTICE_TITLE not in existing:
        call, officer = _open_and_screen(specs[NOTICE_TITLE], users, counts)
        _panel(call, officer, "chair@gongyi.demo", [], 3,
               ["community_governance", "culture_sports", "elderly_care", "children_youth"])
        call_services.advance(officer, call, CallStatus.REVIEWING)
        _finish_review(call, officer)
        published = _beijing(-1, 9)
        notice = award_services.publish_notice(
            officer, call, "经资格审查和专家评审，现将拟资助项目名单予以公示。公示期内如有异议，"
                           "请通过本页提交，或致电基金会项目部。", "0871-65391234（工作日 9:00-17:00）",
            now=published)
        listed = [o for o in db.session.scalars(select(ReviewOutcome).where(ReviewOutcome.call_id == call.id)
                                                .order_by(ReviewOutcome.rank)) if o.recommended]
        award_services.file_objection(
            notice, "光华社区居民", "13577001234",
            "该项目计划中的图书角场地目前正在装修，年内能否投入使用存疑，请核实场地落实情况。",
            application_id=listed[0].application_id if listed else None, now=published + timedelta(hours=5))

    if AWARDED_TITLE not in existing:
        call, officer = _open_and_screen(specs[AWARDED_TITLE], users, counts)
        _panel(call, officer, "chair@gongyi.demo", [], 5,
               ["social_work", "elderly_care", "disability_rehab", "children_youth", "finance_audit"])
        call_services.advance(officer, call, CallStatus.REVIEWING)
        _finish_review(call, officer)
        published = _beijing(-30, 9)
        notice = award_services.publish_notice(
            officer, call, "经资格审查、专家评审，现将2026年五华区福彩公益金支持项目拟立项名单予以公示。",
            "0871-63123456（五华区民政局社会组织管理科）", now=published)
        listed = [o for o in db.session.scalars(select(ReviewOutcome).where(ReviewOutcome.call_id == call.id)
                                                .order_by(ReviewOutcome.rank)) if o.recommended]
        objection = award_services.file_objection(
            notice, "李先生", "lixiansheng@example.cn",
            "据了解该机构负责人同时在另一家申报机构任职，两份申报书服务对象重叠，请核实是否重复申报。",
            application_id=listed[-1].application_id if listed else None, now=published + timedelta(days=1))
        award_services.answer_objection(
            officer, objection, False,
            "经核实，两家机构服务区域和服务对象不同，负责人兼职已按规定报备，不构成重复申报，异议不成立。")
        objection.answered_at = published + timedelta(days=3)
        close_at = db.session.scalar(select(Notice.ends_at).where(Notice.call_id == call.id)) + timedelta(hours=10)
        award_services.close_notice(officer, call, now=close_at)
    db.session.flush()
