"""Demo calls (项目征集): an open venture round, an open purchase call and a draft.

Dates are relative to the day of loading, so the open calls stay open whenever the demo
is loaded. Calls are made through the calls services, as an officer would make them.
"""
from __future__ import annotations


from sqlalchemy import select

from app.calls import services as call_services
from app.calls.models import Call, CallKind
from app.demo.clock import beijing as _beijing
from app.extensions import db
from app.funders.models import Funder





def _specs() -> list[dict]:
    return [
        {
            "funder": "昆明市五华区民政局", "publish": True, "region": "530102",
            "data": {
                "kind": CallKind.VENTURE, "title": "2027年五华区社区公益创投大赛",
                "summary": "支持社区社会组织围绕为老服务、儿童关爱、邻里互助和社区治理开展公益项目，"
                           "每个项目资助2万至8万元，执行期一年。",
                "description": "一、资助方向：社区居家养老、困境儿童关爱、残疾人康复、邻里互助与社区议事。\n"
                               "二、申报主体：在五华区登记、备案或由社区党组织引领的社区社会组织。\n"
                               "三、资金来源：区级福彩公益金与社区发展基金会配套资金。\n"
                               "四、评审：随机抽取专家评审，去掉最高分和最低分后取平均，结果公示5个工作日。",
                "budget": "600000", "min_award": "20000", "max_award": "80000",
                "management_cap_pct": 10, "matching_ratio_pct": 0,
                "required_attachments": ["组织登记证书或备案证明", "项目预算明细表"],
                "opens_at": _beijing(-20, 9), "deadline_at": _beijing(45, 17),
            },
        },
        {
            "funder": "云南省民政厅", "publish": True, "region": "530000",
            "data": {
                "kind": CallKind.PURCHASE, "title": "2027年省级福彩公益金购买社区居家养老助餐服务",
                "summary": "以政府购买服务方式，委托具备条件的社会组织在城乡社区开展老年助餐服务，按绩效付费。",
                "description": "服务内容：为社区内60周岁以上老年人提供助餐、送餐和营养指导服务。\n"
                               "服务期限：不超过一年。\n付款方式：按季度考核结果分期支付。",
                "service_item": "社区居家养老助餐服务（指导性目录 3.2.1）",
                "budget": "2000000", "min_award": "100000", "max_award": "300000",
                "management_cap_pct": 8, "matching_ratio_pct": 10,
                "allowed_legal_statuses": ["registered"], "min_evaluation_grade": "3A",
                "min_org_age_months": 24,
                "required_attachments": ["登记证书", "近一年财务报表", "服务方案"],
                "opens_at": _beijing(-10, 9), "deadline_at": _beijing(30, 17),
            },
        },
        {
            "funder": "昆明市五华区社区发展基金会", "publish": False, "region": "530102",
            "data": {
                "kind": CallKind.VENTURE, "title": "翠湖片区邻里互助微创投",
                "summary": "面向翠湖片区的小额资助，支持居民自组织开展邻里互助活动。",
                "budget": "100000", "min_award": "3000", "max_award": "10000",
                "opens_at": _beijing(15, 9), "deadline_at": _beijing(60, 17),
            },
        },
    ]


def load_calls(regions: dict, counts: dict[str, int]) -> None:
    specs = _specs()
    titles = [s["data"]["title"] for s in specs]
    existing = set(db.session.scalars(select(Call.title).where(Call.title.in_(titles))))
    for spec in specs:
        if spec["data"]["title"] in existing:
            continue
        funder = db.session.scalar(select(Funder).where(Funder.name == spec["funder"]))
        data = dict(spec["data"], region_scope_id=regions[spec["region"]].id)
        call = call_services.create_call(None, funder, data)
        if spec["publish"]:
            call_services.publish(None, call)
        counts["created"] += 1
    db.session.flush()
    counts["calls"] = len(specs)
