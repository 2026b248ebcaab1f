"""Fixture data of the API tests, on top of tests/transparency/fixtures.build (hand counts below).

Funder F (its county KF) and funder F2 (county K2, another province).

Calls (opens_at in UTC; the year is Beijing's):
  c_awarded  F  venture   awarded    2026-01-10  scope KF   (the transparency call)
  c_open     F  venture   open       2026-03-01  scope KF   title "社区助老服务征集"
  c_purchase F  purchase  screening  2025-06-01  scope KF
  c_other    F2 venture   awarded    2025-12-31T17:00Z (= 2026-01-01 01:00 Beijing)  scope K2
  c_draft    F  venture   DRAFT      2026-02-01  — never public
  → 4 public calls; status=open 1, awarded 2; kind=purchase 1; funder F 3, F2 1; year 2026 3,
    2025 1; region KF 3, K2 1; q "助老" 1.

Awards:
  A (org A "阳光长者服务队", c_awarded, ¥50,000.00 = W ¥30,000 + G ¥20,000, ¥25,000 paid) 2026-06-01
  B (org B "彩虹儿童之家",  c_awarded, ¥40,000.00 = G, nothing paid)                      2025-07-01
  C (org C registered "91350100M000100Y43", c_other, ¥30,000.00 = K) 2025-12-31T20:00Z (2026 in Beijing)
  → year 2026: A, C; 2025: B. fund_kind welfare_lottery: A; government_purchase: A, B;
    community_foundation: C. funder F: A, B; F2: C. call c_awarded: A, B. q "儿童": B.
    region = org A's county: A.

Organizations: A, B (filed), C (registered, life service, home in K2), D (community_led,
charity, home in K2) → 4; legal_status filed 2, registered 1, community_led 1; category
charity 1; region K2 2 (C, D); q "彩虹" 1, q "M000100" 1.

Fund sources with journal lines (disclosed): W (2026, welfare lottery), G (2026, government
purchase), K (2025, community foundation, F2) → 3; N (F, 2026, nothing posted) is not.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

from app.calls.models import CallKind, CallStatus
from app.extensions import db
from app.money.models import FundSourceKind
from app.orgs.models import Category, LegalStatus
from app.regions.models import RegionLevel
from tests.factories import (ancestor, make_application, make_award, make_call, make_fund_source, make_funder,
                             make_funding, make_org, make_region)
from tests.transparency import fixtures as tf

CREDIT_CODE = "91350100M000100Y43"
DRAFT_CALL_TITLE = "草稿征集不公开QX9"
SECRETS = (tf.DRAFT_SECRET, tf.DONOR_EMAIL, tf.OBJECTOR_CONTACT, tf.REVIEWER_COMMENT, tf.LEADER_PHONE,
           tf.ORG_EMAIL, tf.ORG_PHONE, DRAFT_CALL_TITLE, "李老师")


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=timezone.utc)


@dataclass
class ApiData:
    base: tf.Data
    f2: object
    c_awarded: object
    c_open: object
    c_purchase: object
    c_other: object
    c_draft: object
    award_a: object
    award_b: object
    award_c: object
    org_a: object
    org_b: object
    org_c: object
    org_d: object
    w: object
    g: object
    k: object
    n: object
    county_f: object
    county_2: object


def build() -> ApiData:
    base = tf.build()
    funder = base.funder
    county_f = funder.region
    county_2 = make_region(level=RegionLevel.COUNTY)
    f2 = make_funder(region=county_2)
    c_awarded = base.call
    c_awarded.opens_at, c_awarded.deadline_at = utc(2026, 1, 10), utc(2026, 2, 10)
    c_open = make_call(funder, status=CallStatus.OPEN, title="社区助老服务征集",
                       opens_at=utc(2026, 3, 1), deadline_at=utc(2026, 12, 1))
    c_purchase = make_call(funder, status=CallStatus.SCREENING, kind=CallKind.PURCHASE, title="居家养老购买服务",
                           opens_at=utc(2025, 6, 1), deadline_at=utc(2025, 7, 1))
    c_other = make_call(f2, status=CallStatus.AWARDED, title="新年公益创投",
                        opens_at=utc(2025, 12, 31, 17), deadline_at=utc(2026, 2, 1))
    c_draft = make_call(funder, title=DRAFT_CALL_TITLE, opens_at=utc(2026, 2, 1), deadline_at=utc(2026, 3, 1))

    street_2 = make_region(level=RegionLevel.STREET, parent=county_2)
    comm_2 = make_region(level=RegionLevel.COMMUNITY, parent=street_2)
    org_c = make_org(community=comm_2, legal_status=LegalStatus.REGISTERED, credit_code=CREDIT_CODE,
                     name="春晖社会工作服务中心")
    org_d = make_org(community=comm_2, legal_status=LegalStatus.COMMUNITY_LED, category=Category.CHARITY,
                     name="邻里互助会")
    k = make_fund_source(f2, amount_fen=20_000_000, kind=FundSourceKind.COMMUNITY_FOUNDATION,
                         name="2025年社区基金", fiscal_year=2025)
    n = make_fund_source(funder, amount_fen=0, appropriate=False, name="尚未拨入的资金")
    app_c = make_application(c_other, org_c, title="新春邻里节项目", requested_fen=3_000_000)
    award_c = make_award(app_c)
    make_funding(award_c, k)

    base.award_a.awarded_at = utc(2026, 6, 1)
    base.award_b.awarded_at = utc(2025, 7, 1)
    award_c.awarded_at = utc(2025, 12, 31, 20)
    db.session.flush()
    return ApiData(base, f2, c_awarded, c_open, c_purchase, c_other, c_draft, base.award_a, base.award_b, award_c,
                   base.award_a.organization, base.award_b.organization, org_c, org_d, base.w, base.g, k, n,
                   county_f, county_2)


def county_of(org) -> object:
    return ancestor(org.home_community, RegionLevel.COUNTY)
