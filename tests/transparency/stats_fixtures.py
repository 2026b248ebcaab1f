"""Fixture data for the statistics tests, with every figure counted by hand.

Regions: province → prefecture → county C1 (streets S1, S2) and county C2 (street S3).

====  ======  =====  ======  ====  ======  ===  ===========
name  street  county kind    orgs  target  gap  meets?
====  ======  =====  ======  ====  ======  ===  ===========
甲社区  S1      C1     urban   0     10      10   no
乙村    S1      C1     rural   4     5       1    no
丙村    S2      C1     rural   5     5       —    yes
丁社区  S2      C1     urban   9     10      1    no
戊社区  S3      C2     urban   10    10      —    yes
己社区  S3      C2     urban   12    10      —    yes
====  ======  =====  ======  ====  ======  ===  ===========

Totals: 6 communities (4 urban, 2 rural), 40 organizations, 3 meeting the target, 3 below,
average 6.7 per community, 50.0% meeting. C1: 4 communities, 18 orgs, 1 meeting, 3 below;
C2: 2 communities, 22 orgs, 2 meeting. Within C1: S1 2 communities, 4 orgs, 0 meeting;
S2 2 communities, 14 orgs, 1 meeting.

Awards (funder F1: venture call K1, purchase call K2; funder F2: venture call K3):

====  ========  ====================  =================  ===========  ======================  ====
award org in    category              targets            fen          decided (Beijing)       call
====  ========  ====================  =================  ===========  ======================  ====
A1    戊社区     life_service          elderly, disabled  5,000,000    2025-06-01 10:00        K1
A2    丙村       charity               children           3,000,000    2026-01-01 00:30        K2
A3    己社区     life_service          elderly            2,000,000    2026-03-01 10:00        K3
A4    丁社区     culture_sports        (none)             1,000,000    2026-05-01 10:00        K1
====  ========  ====================  =================  ===========  ======================  ====

A2's decision is 2025-12-31 16:30 UTC: year 2026 in Beijing time.

Money: W (F1, welfare lottery, 2026) 100,000,000 appropriated; allocated 8,000,000 to K1 and
5,000,000 to K2; committed A1 5,000,000 and A4 1,000,000 (K1), A2 3,000,000 (K2); A1's first
installment (50%, 2,500,000) paid. G (F1, government purchase, 2025) 20,000,000
appropriated, nothing allocated. D (F2, community foundation, 2026) 10,000,000
appropriated, 2,000,000 allocated to K3 and committed to A3.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone

from app.applications.models import ApplicationTargetGroup
from app.calls.models import CallKind, CallStatus
from app.extensions import db
from app.money import ledger
from app.money.models import FundSourceKind, InstallmentStatus
from app.orgs.models import Category, ServiceTarget
from app.regions.models import CommunityKind, RegionLevel
from tests.factories import (make_application, make_award, make_call, make_fund_source, make_funder, make_funding,
                             make_installments, make_org, make_payment, make_region)

URBAN, RURAL = CommunityKind.URBAN, CommunityKind.RURAL
COMMUNITIES = [  # (name, street index, kind, organizations)
    ("甲社区", 0, URBAN, 0), ("乙村", 0, RURAL, 4), ("丙村", 1, RURAL, 5), ("丁社区", 1, URBAN, 9),
    ("戊社区", 2, URBAN, 10), ("己社区", 2, URBAN, 12),
]


@dataclass
class Data:
    province: object
    counties: list
    streets: list
    communities: dict
    orgs: dict = field(default_factory=dict)      # community name → list of orgs
    funders: list = field(default_factory=list)
    calls: dict = field(default_factory=dict)
    awards: dict = field(default_factory=dict)
    funds: dict = field(default_factory=dict)


def beijing(*args) -> datetime:
    from zoneinfo import ZoneInfo
    return datetime(*args, tzinfo=ZoneInfo("Asia/Shanghai")).astimezone(timezone.utc)


def build_regions() -> Data:
    province = make_region(level=RegionLevel.PROVINCE, name="测试省")
    prefecture = make_region(level=RegionLevel.PREFECTURE, parent=province, name="测试市")
    c1 = make_region(level=RegionLevel.COUNTY, parent=prefecture, name="一区")
    c2 = make_region(level=RegionLevel.COUNTY, parent=prefecture, name="二县")
    streets = [make_region(level=RegionLevel.STREET, parent=c1, name="一街道"),
               make_region(level=RegionLevel.STREET, parent=c1, name="二街道"),
               make_region(level=RegionLevel.STREET, parent=c2, name="三镇")]
    communities = {name: make_region(level=RegionLevel.COMMUNITY, parent=streets[s], name=name, kind=kind)
                   for name, s, kind, _n in COMMUNITIES}
    return Data(province, [c1, c2], streets, communities)


def build_orgs(data: Data) -> None:
    first_category = {"丙村": Category.CHARITY, "丁社区": Category.CULTURE_SPORTS}
    for name, _s, _kind, n in COMMUNITIES:
        data.orgs[name] = [make_org(community=data.communities[name],
                                    category=first_category.get(name, Category.LIFE_SERVICE) if i == 0
                                    else Category.MUTUAL_AID if name == "乙村" else Category.LIFE_SERVICE)
                           for i in range(n)]


def _award(call, org, fen: int, when: datetime, targets: tuple, title: str):
    app_ = make_application(call, org, requested_fen=fen, title=title)
    app_.target_rows = [ApplicationTargetGroup(target=t) for t in targets]
    award = make_award(app_)
    award.awarded_at = when
    db.session.flush()
    return award


def build() -> Data:
    data = build_regions()
    build_orgs(data)
    f1 = make_funder(region=data.counties[0], name="一区民政局")
    f2 = make_funder(region=data.counties[1], name="二县社区基金会")
    data.funders = [f1, f2]
    k1 = make_call(f1, status=CallStatus.AWARDED, kind=CallKind.VENTURE, title="一区公益创投")
    k2 = make_call(f1, status=CallStatus.AWARDED, kind=CallKind.PURCHASE, title="一区购买服务")
    k3 = make_call(f2, status=CallStatus.AWARDED, kind=CallKind.VENTURE, title="二县公益创投")
    data.calls = {"K1": k1, "K2": k2, "K3": k3}
    o = data.orgs
    a1 = _award(k1, o["戊社区"][0], 5_000_000, beijing(2025, 6, 1, 10), (ServiceTarget.ELDERLY, ServiceTarget.DISABLED),
                "长者助餐与康复项目")
    a2 = _award(k2, o["丙村"][0], 3_000_000, beijing(2026, 1, 1, 0, 30), (ServiceTarget.CHILDREN,), "儿童课后托管")
    a3 = _award(k3, o["己社区"][0], 2_000_000, beijing(2026, 3, 1, 10), (ServiceTarget.ELDERLY,), "=长者探访")
    a4 = _award(k1, o["丁社区"][0], 1_000_000, beijing(2026, 5, 1, 10), (), "社区文艺队")
    data.awards = {"A1": a1, "A2": a2, "A3": a3, "A4": a4}
    w = make_fund_source(f1, amount_fen=100_000_000, name="一区福彩公益金", fiscal_year=2026)
    g = make_fund_source(f1, amount_fen=20_000_000, kind=FundSourceKind.GOVERNMENT_PURCHASE, name="一区购买服务资金",
                         fiscal_year=2025)
    d = make_fund_source(f2, amount_fen=10_000_000, kind=FundSourceKind.COMMUNITY_FOUNDATION, name="二县基金会资金",
                         fiscal_year=2026)
    data.funds = {"W": w, "G": g, "D": d}
    make_funding(a1, w, amount_fen=5_000_000)
    make_funding(a4, w, amount_fen=1_000_000)
    ledger.allocate(None, w, k1, 2_000_000)
    make_funding(a2, w, amount_fen=3_000_000)
    ledger.allocate(None, w, k2, 2_000_000)
    make_funding(a3, d, amount_fen=2_000_000)
    installments = make_installments(a1, statuses=[InstallmentStatus.DUE])
    make_payment(installments[0])
    db.session.flush()
    return data


def add_more(data: Data, n: int) -> None:
    """``n`` more organizations in 甲社区, each with an award of K1 funded by W (¥1,000.00)."""
    for _i in range(n):
        org = make_org(community=data.communities["甲社区"])
        award = _award(data.calls["K1"], org, 100_000, beijing(2026, 7, 1, 10), (ServiceTarget.WOMEN,), "妇女互助")
        make_funding(award, data.funds["W"], amount_fen=100_000)
    db.session.flush()
