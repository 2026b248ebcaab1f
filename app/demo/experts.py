"""Demo expert pool (专家库): ten experts from Kunming's universities, hospitals, firms and
associations, plus the two demo expert accounts, enrolled by the provincial program officer
through the experts service. One more applies by themself and waits for approval."""
from __future__ import annotations

from sqlalchemy import select

from app.auth.models import User
from app.extensions import db
from app.reviews import experts as expert_services

# (email, name, phone, title, employer, fields, bio)
EXPERTS = [
    ("chenlihua@gongyi.demo", "陈立华", "13908711001", "教授", "云南大学社会学系", ["social_work", "community_governance"],
     "长期研究城市社区治理与社会组织培育，主持多项民政部课题。"),
    ("liwanqing@gongyi.demo", "李婉清", "13908711002", "高级社会工作师", "昆明市社会工作协会", ["social_work", "elderly_care"],
     "从事社区养老服务督导十余年。"),
    ("wangjianguo@gongyi.demo", "王建国", "13908711003", "主任医师", "昆明市第一人民医院老年医学科",
     ["elderly_care", "disability_rehab"], "老年医学与康复临床专家。"),
    ("zhaomin@gongyi.demo", "赵敏", "13908711004", "副教授", "云南师范大学教育学部", ["children_youth", "mental_health"],
     "关注流动儿童教育与青少年心理发展。"),
    ("yangfan@gongyi.demo", "杨帆", "13908711005", "国家二级心理咨询师", "云南省心理卫生协会",
     ["mental_health", "children_youth"], "社区心理健康服务与危机干预。"),
    ("liuhongmei@gongyi.demo", "刘红梅", "13908711006", "注册会计师", "云南中和会计师事务所",
     ["finance_audit", "nonprofit_management"], "社会组织财务审计与项目资金绩效评价。"),
    ("zhangzhiyuan@gongyi.demo", "张志远", "13908711007", "律师（合伙人）", "云南滇池律师事务所",
     ["law", "community_governance"], "公益慈善法律事务与政府购买服务合同。"),
    ("zhouli@gongyi.demo", "周丽", "13908711008", "康复治疗师（副主任）", "昆明市残疾人康复中心",
     ["disability_rehab", "social_work"], "残疾人社区康复与家庭照护者培训。"),
    ("duanxuewen@gongyi.demo", "段学文", "13908711009", "研究员", "云南省社会科学院农村发展研究所",
     ["rural_development", "community_governance"], "乡村振兴与农村社区发展研究。"),
    ("huangxiaoyan@gongyi.demo", "黄晓燕", "13908711010", "秘书长", "云南省慈善总会",
     ["nonprofit_management", "culture_sports"], "慈善项目管理与公益品牌建设。"),
]
DEMO_ACCOUNTS = {
    "reviewer@gongyi.demo": ("副教授", "昆明理工大学公共管理学院", ["community_governance", "social_work"]),
    "chair@gongyi.demo": ("教授", "云南财经大学财政与经济学院", ["finance_audit", "nonprofit_management"]),
}
PENDING = ("sunjianping@gongyi.demo", "孙建平", "13908711011", "社会工作师", "五华区华山街道社工站",
           ["social_work"], "申请加入专家库，擅长社区儿童服务。")


def load_experts(counts: dict[str, int], password_hash: str) -> None:
    from app.reviews.models import Expert

    users = {u.email: u for u in db.session.scalars(select(User).where(User.email.like("%@gongyi.demo")))}
    officer = users.get("officer@gongyi.demo")
    enrolled = set(db.session.scalars(select(Expert.user_id)))

    def user_for(email, name, phone):
        user = users.get(email)
        if user is None:
            from app.core.db import utcnow

            user = User(email=email, name=name, phone=phone, email_confirmed_at=utcnow(),
                        password_hash=password_hash)
            db.session.add(user)
            db.session.flush()
            counts["created"] += 1
        return user

    for email, name, phone, title, employer, fields, bio in EXPERTS:
        user = user_for(email, name, phone)
        if user.id not in enrolled:
            expert_services.enroll(officer, user, {"title": title, "employer": employer, "fields": fields, "bio": bio})
            counts["created"] += 1
    for email, (title, employer, fields) in DEMO_ACCOUNTS.items():
        user = users[email]
        if user.id not in enrolled:
            expert_services.enroll(officer, user, {"title": title, "employer": employer, "fields": fields})
            counts["created"] += 1
    email, name, phone, title, employer, fields, bio = PENDING
    user = user_for(email, name, phone)
    if user.id not in enrolled:
        expert_services.enroll(user, user, {"title": title, "employer": employer, "fields": fields, "bio": bio})
        counts["created"] += 1
    db.session.flush()
    counts["experts"] = db.session.scalar(select(db.func.count(Expert.id)))
