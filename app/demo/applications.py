"""Demo applications (申报书): drafts and submissions in the open venture round, and a
purchase call already in screening (形式审查) with applications in every screening state.

Everything goes through the services a user would trigger — create, save, upload,
submit, return, screen — with `now` set to when it would have happened, so the audit
log, versions, timelines and notifications look like the real thing.
"""
from __future__ import annotations

import io
from datetime import date, timedelta

from sqlalchemy import func, select

from app.applications import attachments as attachment_services
from app.applications import screening as screening_services
from app.applications import services as application_services
from app.applications.models import Application
from app.auth.models import User
from app.calls import services as call_services
from app.calls.models import Call, CallKind, CallStatus
from app.core import pdf
from app.core.db import utcnow
from app.demo.clock import beijing as _beijing, today as _today
from app.extensions import db
from app.funders.models import Funder
from app.orgs.models import Organization
from app.regions.models import Region


VENTURE_TITLE = "2027年五华区社区公益创投大赛"
SCREENING_TITLE = "2026年省级福彩公益金购买社区心理关爱服务"
APPLICANT_ORG = "昆明市五华区翠湖社区居家养老服务中心"






def _document(title: str, organization: str, lines: list[str]) -> bytes:
    """A one-page PDF standing in for a scanned certificate or a statement."""
    story = [pdf.para(title, "title"), pdf.para(organization, "subtitle"), pdf.spacer(6)]
    story += [pdf.para(line) for line in lines]
    story += [pdf.spacer(10), pdf.para("（演示材料，仅用于平台演示）", "small")]
    return pdf.build(story, title)


def _attach(actor, application: Application, kind: str) -> None:
    name = f"{kind}.pdf"
    content = _document(kind, application.organization.name,
                        [f"项目：{application.title}", f"材料类别：{kind}",
                         f"出具日期：{_today(-30).isoformat()}"])
    attachment_services.add_attachment(actor, application, kind, io.BytesIO(content), filename=name)


def _budget(lines: list[tuple[str, str, str, int, str]]) -> list[dict]:
    return [{"head": head, "item": item, "unit": unit, "quantity": qty, "unit_price": price, "note": ""}
            for head, item, unit, qty, price in lines]


# --- venture round: the applicant's own draft, other organizations' submissions ---------

def _venture_specs(communities: dict[str, Region]) -> list[dict]:
    start, end = _today(75), _today(75 + 364)
    return [
        {
            "org": APPLICANT_ORG, "actor": "applicant@gongyi.demo", "submit": False,
            "data": {
                "title": "“暖心饭桌”独居老人助餐陪伴计划",
                "summary": "在翠湖社区设立邻里助餐点，为独居和高龄老人提供每周五天的午餐、送餐和陪伴探访。",
                "leader_name": "杨春梅", "leader_phone": "13698745120",
                "need": "翠湖社区60岁以上老人1,860人，占常住人口27%，其中独居老人214人、80岁以上高龄老人163人。"
                        "2026年入户调查显示，43%的独居老人午餐依靠剩饭或方便食品，六成希望有固定的用餐和聊天去处。",
                "objectives": "一年内为120名独居、高龄老人提供稳定助餐服务；建立30人的邻里志愿者送餐队伍；"
                              "老人营养状况和孤独感得到改善。",
                "activities": "1. 依托社区老年食堂设立“暖心饭桌”，工作日中午供餐；\n"
                              "2. 为行动不便老人组织志愿者送餐上门，同时开展探访；\n"
                              "3. 每月一次营养讲座和生日会；\n4. 建立老人健康档案，异常情况转介社区卫生服务站。",
                "sustainability": "项目结束后由社区老年食堂按成本价继续供餐，志愿者队伍纳入社区志愿服务站管理。",
                "planned_beneficiaries": "120", "beneficiary_description": "独居、空巢及80岁以上高龄老人",
                "target_groups": ["elderly", "disabled"],
                "community_ids": [communities["530102001001"].id],
                "starts_on": start, "ends_on": end,
                "requested": "65800", "matching": "0",
                "budget_lines": _budget([
                    ("业务活动费", "老人午餐补贴", "人次", 4000, "12"),
                    ("业务活动费", "送餐保温箱及耗材", "套", 10, "180"),
                    ("业务活动费", "营养讲座专家劳务", "场", 12, "500"),
                    ("业务活动费", "志愿者保险与交通补贴", "人", 30, "120"),
                    ("管理费用", "项目管理与财务审计", "项", 1, "6400"),
                ]),
                "indicators": [
                    {"name": "助餐服务人次", "unit": "人次", "target": "4000", "measurement": "每日用餐签到表"},
                ],
            },
        },
        {
            "org": "翠湖四点半课堂服务社", "actor": None, "submit": True,
            "data": {
                "title": "四点半课堂：双职工家庭儿童课后成长营",
                "summary": "为翠湖社区双职工家庭的小学生提供放学后的看护、作业辅导和兴趣课程。",
                "leader_name": "周敏", "leader_phone": "13808712233",
                "need": "社区内双职工家庭小学生约260名，放学至家长下班之间有两小时无人看护，存在安全隐患。",
                "objectives": "为80名儿童提供每周五天的课后看护；家长满意度达到90%以上。",
                "activities": "课后作业辅导、阅读角、周五兴趣课（书法、科学实验），寒暑假安全教育。",
                "sustainability": "与辖区小学共建，家长志愿者轮值，争取街道长期场地支持。",
                "planned_beneficiaries": "80", "beneficiary_description": "双职工家庭小学生及其家长",
                "target_groups": ["children", "women"],
                "community_ids": [communities["530102001001"].id],
                "starts_on": start, "ends_on": end,
                "requested": "60000", "matching": "5000", "matching_source": "家长自愿分担材料费",
                "budget_lines": _budget([
                    ("业务活动费", "课后辅导老师劳务", "课时", 400, "100"),
                    ("业务活动费", "兴趣课程材料", "期", 4, "3000"),
                    ("管理费用", "项目管理", "项", 1, "6500"),
                    ("税费", "劳务税费", "项", 1, "6500"),
                ]),
                "indicators": [
                    {"name": "服务儿童人数", "unit": "人", "target": "80", "measurement": "报名登记表"},
                    {"name": "家长满意度", "unit": "%", "target": "90", "measurement": "期末问卷调查"},
                ],
            },
        },
        {
            "org": "光华社区亲子阅读会", "actor": None, "submit": True,
            "data": {
                "title": "书香光华·亲子共读计划",
                "summary": "组织社区家庭每周末亲子共读，培育家庭阅读习惯，建设楼栋图书角。",
                "leader_name": "马晓丽", "leader_phone": "13577123456",
                "need": "光华社区有0—12岁儿童家庭约430户，社区无公共阅读空间，家长缺少亲子阅读方法。",
                "objectives": "开展48场亲子共读活动，建成6个楼栋图书角，培育20名阅读推广志愿者。",
                "activities": "周末共读会、阅读推广人培训、楼栋图书漂流、年度家庭阅读分享会。",
                "sustainability": "图书角由楼栋长和志愿者管理，读书会转为居民自组织常态运行。",
                "planned_beneficiaries": "300", "beneficiary_description": "社区儿童及家长",
                "target_groups": ["children", "women"],
                "community_ids": [communities["530102001004"].id],
                "starts_on": start, "ends_on": end,
                "requested": "30000", "matching": "0",
                "budget_lines": _budget([
                    ("业务活动费", "绘本及图书采购", "册", 600, "30"),
                    ("业务活动费", "阅读推广人培训", "场", 4, "1500"),
                    ("业务活动费", "共读活动物料", "场", 48, "80"),
                    ("管理费用", "项目管理", "项", 1, "2160"),
                ]),
                "indicators": [
                    {"name": "亲子共读活动", "unit": "场", "target": "48", "measurement": "活动记录与照片"},
                    {"name": "楼栋图书角", "unit": "个", "target": "6", "measurement": "现场核查"},
                ],
            },
        },
        {
            "org": "五华区护国社区助残服务中心", "actor": None, "submit": True,
            "data": {
                "title": "残疾人居家康复“一对一”帮扶",
                "summary": "由康复师和志愿者为护国社区居家重度残疾人提供上门康复训练和照护者培训。",
                "leader_name": "李志刚", "leader_phone": "13769012345",
                "need": "社区持证残疾人312人，其中重度肢体残疾48人长期居家，缺少专业康复指导，照护者负担重。",
                "objectives": "为40名重度残疾人提供每月4次上门康复；培训照护者40人；康复评估改善率达到60%。",
                "activities": "康复评估、上门训练、照护者技能培训、辅具适配与转介。",
                "sustainability": "与社区卫生服务中心签订转介协议，培训的照护者持续提供家庭康复。",
                "planned_beneficiaries": "80", "beneficiary_description": "重度残疾人及其家庭照护者",
                "target_groups": ["disabled"],
                "community_ids": [communities["530102002001"].id],
                "starts_on": start, "ends_on": end,
                "requested": "75000", "matching": "0",
                "budget_lines": _budget([
                    ("业务活动费", "康复师上门服务", "人次", 500, "120"),
                    ("业务活动费", "照护者培训", "场", 6, "1250"),
                    ("管理费用", "项目管理", "项", 1, "7500"),
                ]),
                "indicators": [
                    {"name": "上门康复服务", "unit": "人次", "target": "500", "measurement": "服务记录单"},
                    {"name": "康复评估改善率", "unit": "%", "target": "60", "measurement": "前后测康复评估"},
                ],
            },
        },
        {
            "org": "翠湖社区邻里互助会", "actor": None, "submit": False,
            "data": {
                "title": "邻里议事厅：老旧楼道微更新",
                "summary": "组织居民议事，共同商定并完成5个老旧楼道的照明、扶手和公共空间微更新。",
                "need": "翠湖社区有32栋无物业老旧楼，楼道照明和扶手损坏多，老人上下楼不便。",
                "target_groups": ["elderly"],
                "community_ids": [communities["530102001001"].id],
                "requested": "25000",
            },
        },
    ]


def _complete(spec: dict, start: date, end: date) -> dict:
    """Fill in the parts every submitted demo application shares (milestones, team, declarations)."""
    data = dict(spec["data"])
    data.setdefault("milestones", [
        {"due_on": start + timedelta(days=30), "title": "项目启动与服务对象摸底", "deliverable": "服务对象名册"},
        {"due_on": start + timedelta(days=180), "title": "中期评估", "deliverable": "中期报告"},
        {"due_on": end - timedelta(days=15), "title": "总结与结项", "deliverable": "结项报告及财务决算"},
    ])
    data.setdefault("team", [
        {"name": data.get("leader_name", ""), "role": "项目负责人", "qualification": "社会工作师，5年社区服务经验",
         "is_social_worker": True},
        {"name": "王磊", "role": "财务", "qualification": "会计从业8年", "is_social_worker": False},
    ])
    data.update(declares_no_fixed_assets=True, declares_no_cash_gifts=True, declares_truthful=True)
    return data


def _users() -> dict[str, User]:
    return {u.email: u for u in db.session.scalars(select(User).where(User.email.like("%@gongyi.demo")))}


def _orgs(names: list[str]) -> dict[str, Organization]:
    return {o.name: o for o in db.session.scalars(select(Organization).where(Organization.name.in_(names)))}


def _communities() -> dict[str, Region]:
    return {r.code: r for r in db.session.scalars(select(Region).where(Region.code.like("530102%")))}


def _load_venture(counts: dict[str, int]) -> None:
    call = db.session.scalar(select(Call).where(Call.title == VENTURE_TITLE))
    if call is None or db.session.scalar(select(Application.id).where(Application.call_id == call.id).limit(1)):
        return
    users, communities = _users(), _communities()
    specs = _venture_specs(communities)
    orgs = _orgs([s["org"] for s in specs])
    now = utcnow()
    for i, spec in enumerate(specs):
        actor = users.get(spec["actor"]) if spec["actor"] else None
        when = now - timedelta(days=12 - i * 2)
        data = spec["data"]
        if spec["submit"]:
            data = _complete(spec, data["starts_on"], data["ends_on"])
        application = application_services.create_draft(actor, call, orgs[spec["org"]], data, now=when)
        if spec["submit"]:
            for kind in call.required_attachments:
                _attach(actor, application, kind)
            application_services.submit(actor, application, now=when + timedelta(hours=3))
        elif spec["org"] == APPLICANT_ORG:
            # The applicant's own draft: budget and one attachment done, the rest to finish.
            _attach(actor, application, call.required_attachments[0])
        counts["created"] += 1


# --- purchase call in screening: every screening state ------------------------------------

SCREENING_CALL = {
    "kind": CallKind.PURCHASE, "title": SCREENING_TITLE,
    "summary": "以政府购买服务方式，委托具备资质的社会工作服务机构为城乡社区困境家庭、精神障碍康复者"
               "及其家属提供心理关爱和社会支持服务，按绩效付费。",
    "description": "服务内容：心理健康筛查与转介、个案辅导、家属支持小组、社区心理健康宣传。\n"
                   "服务期限：一年。\n承接主体：登记满两年、评估等级3A及以上的社会组织。\n"
                   "付款方式：合同签订后支付50%，中期评估合格支付40%，结项验收合格支付10%。",
    "service_item": "社区心理健康服务（指导性目录 4.1.3）",
    "budget": "1200000", "min_award": "100000", "max_award": "300000",
    "management_cap_pct": 8, "matching_ratio_pct": 10,
    "allowed_legal_statuses": ["registered"], "min_evaluation_grade": "3A", "min_org_age_months": 24,
    "required_attachments": ["登记证书", "近一年财务报表", "服务方案"],
    "service_targets": ["mental_illness", "poor_families", "disabled", "elderly"],
}


def _purchase_application(org: Organization, community: Region, title: str, requested: int) -> dict:
    matching = requested // 10
    total = requested + matching
    management = total * 6 // 100
    tax = total * 3 // 100
    counselling = 300
    hours = total // 2 // (counselling * 100)
    activity = total - management - tax - counselling * 100 * hours
    start, end = _today(20), _today(20 + 364)
    return {
        "title": title,
        "summary": f"{org.name}在{community.name}及周边社区开展心理关爱服务，覆盖困境家庭和精神障碍康复者家庭。",
        "leader_name": org.contact_name or "负责人", "leader_phone": org.contact_phone or "0871-65550000",
        "need": f"{community.name}登记在册的严重精神障碍康复者及困境家庭约90户，家属照护压力大，"
                "社区缺少持续的心理支持和危机干预渠道。",
        "objectives": "完成300人次心理健康筛查，为60户家庭提供个案辅导，建立2个家属支持小组。",
        "activities": "心理健康筛查与转介；个案辅导；家属支持小组；社区心理健康讲座与宣传周。",
        "sustainability": "培育社区心理志愿者队伍，与社区卫生服务中心建立长期转介机制。",
        "planned_beneficiaries": "360", "beneficiary_description": "困境家庭成员、精神障碍康复者及家属",
        "target_groups": ["mental_illness", "poor_families"],
        "community_ids": [community.id],
        "starts_on": start, "ends_on": end,
        "requested": str(requested // 100), "matching": str(matching // 100),
        "matching_source": "机构自有资金及合作医院配套",
        "budget_lines": [
            {"head": "业务活动费", "item": "心理咨询师个案辅导", "unit": "小时", "quantity": hours,
             "unit_price": str(counselling), "note": ""},
            {"head": "业务活动费", "item": "筛查、小组与宣传活动", "unit": "项", "quantity": 1,
             "unit_price": f"{activity // 100}.{activity % 100:02d}", "note": ""},
            {"head": "管理费用", "item": "项目管理与督导", "unit": "项", "quantity": 1,
             "unit_price": f"{management // 100}.{management % 100:02d}", "note": ""},
            {"head": "税费", "item": "增值税及附加", "unit": "项", "quantity": 1,
             "unit_price": f"{tax // 100}.{tax % 100:02d}", "note": ""},
        ],
        "indicators": [
            {"name": "心理健康筛查", "unit": "人次", "target": "300", "measurement": "筛查量表记录"},
            {"name": "个案辅导家庭", "unit": "户", "target": "60", "measurement": "个案档案"},
            {"name": "服务对象满意度", "unit": "%", "target": "90", "measurement": "第三方回访"},
        ],
        "milestones": [
            {"due_on": start + timedelta(days=30), "title": "完成首轮筛查", "deliverable": "筛查报告"},
            {"due_on": start + timedelta(days=180), "title": "中期评估", "deliverable": "中期报告"},
            {"due_on": end - timedelta(days=10), "title": "结项验收", "deliverable": "结项报告与审计报告"},
        ],
        "team": [
            {"name": org.contact_name or "负责人", "role": "项目负责人", "qualification": "中级社会工作师",
             "is_social_worker": True},
            {"name": "赵倩", "role": "心理咨询师", "qualification": "国家二级心理咨询师", "is_social_worker": False},
        ],
        "declares_no_fixed_assets": True, "declares_no_cash_gifts": True, "declares_truthful": True,
    }


# (organization, community code, project title, requested fen, what happens in screening)
SCREENING_APPLICATIONS = [
    ("五华区翠湖社区青少年成长服务中心", "530102001001", "困境青少年家庭心理支持计划", 26_000_000, "eligible"),
    ("五华区武成路社区社会工作服务站", "530102001002", "武成路社区心理健康服务站", 18_000_000, "pending"),
    (APPLICANT_ORG, "530102001001", "翠湖长者心灵关怀项目", 15_000_000, "returned"),
    ("五华区护国社区助残服务中心", "530102002001", "残障家庭照护者喘息与心理支持", 12_000_000, "ineligible"),
    ("翠湖四点半课堂服务社", "530102001001", "流动儿童心理陪伴成长计划", 10_000_000, "override"),
]


def _load_screening(counts: dict[str, int]) -> None:
    counts["calls"] += 1
    if db.session.scalar(select(Call.id).where(Call.title == SCREENING_TITLE)):
        return
    users, communities = _users(), _communities()
    officer = users.get("officer@gongyi.demo")
    funder = db.session.scalar(select(Funder).where(Funder.name == "云南省民政厅"))
    province = db.session.scalar(select(Region).where(Region.code == "530000"))
    opens, deadline = _beijing(-45, 9), _beijing(-3, 17)
    call = call_services.create_call(officer, funder, dict(SCREENING_CALL, region_scope_id=province.id,
                                                           opens_at=opens, deadline_at=deadline))
    call_services.publish(officer, call, now=opens + timedelta(hours=1))
    counts["created"] += 1
    orgs = _orgs([row[0] for row in SCREENING_APPLICATIONS])
    applicant = users.get("applicant@gongyi.demo")
    plan = []
    for i, (name, code, title, requested, outcome) in enumerate(SCREENING_APPLICATIONS):
        org = orgs[name]
        actor = applicant if name == APPLICANT_ORG else None
        when = deadline - timedelta(days=10 - i, hours=3)
        data = _purchase_application(org, communities[code], title, requested)
        application = application_services.create_draft(actor, call, org, data, now=when - timedelta(days=2))
        if outcome == "override":
            # Children of struggling families: outside the call's listed target groups, so
            # the automatic check fails and the officer decides with a written reason.
            application_services.save_draft(actor, application, {"target_groups": ["children"]})
        for kind in call.required_attachments:
            _attach(actor, application, kind)
        application_services.submit(actor, application, now=when)
        plan.append((application, outcome))
        counts["created"] += 1

    now = utcnow()
    call_services.advance(officer, call, CallStatus.SCREENING, now=now)
    for application, outcome in plan:
        if outcome == "eligible":
            screening_services.screen(officer, application, "eligible", "", now)
        elif outcome == "ineligible":
            screening_services.screen(officer, application, "ineligible", "", now)
        elif outcome == "override":
            screening_services.screen(officer, application, "eligible",
                                      "服务对象为困境家庭中的留守与流动儿童，属于本次购买服务覆盖的困难家庭，"
                                      "经科室复核同意通过。", now)
        elif outcome == "returned":
            application_services.return_for_correction(
                officer, application, "近一年财务报表缺少审计意见页和资产负债表，请补充完整后重新提交。",
                now + timedelta(days=5), now)


def load_applications(counts: dict[str, int]) -> None:
    _load_venture(counts)
    _load_screening(counts)
    db.session.flush()
    demo_calls = select(Call.id).where(Call.title.in_([VENTURE_TITLE, SCREENING_TITLE]))
    counts["applications"] = db.session.scalar(
        select(func.count(Application.id)).where(Application.call_id.in_(demo_calls))) or 0
