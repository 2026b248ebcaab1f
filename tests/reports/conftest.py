"""A funded award of organization X with a signed agreement and its installment schedule
(50/40/10), the org's owner and a program officer of the funder."""
from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date

import pytest

from app.applications.models import ApplicationStatus
from app.calls.models import CallStatus
from app.funders.models import StaffRole
from tests.factories import (make_agreement, make_application, make_award, make_call, make_funder,
                             make_fund_source, make_funding, make_installments, make_org, make_region, make_staff,
                             make_user)


@dataclass
class Project:
    award: object
    owner: object
    officer: object
    finance: object
    installments: list
    agreement: object
    application: object


@pytest.fixture
def project(db) -> Project:
    from app.regions.models import RegionLevel

    county = make_region(level=RegionLevel.COUNTY)
    community = make_region(level=RegionLevel.COMMUNITY, parent=make_region(level=RegionLevel.STREET, parent=county))
    funder = make_funder(region=county)
    officer = make_staff(funder, StaffRole.PROGRAM_OFFICER, name="项目主管")
    finance = make_staff(funder, StaffRole.FINANCE_OFFICER, name="财务")
    owner = make_user(name="组织负责人")
    org = make_org(community=community, owner=owner)
    call = make_call(funder, status=CallStatus.AWARDED)
    application = make_application(call, org, status=ApplicationStatus.AWARDED, created_by=owner)
    award = make_award(application)
    fund = make_fund_source(funder, amount_fen=200_000_000)
    make_funding(award, fund)
    agreement = make_agreement(award)
    agreement.starts_on, agreement.ends_on = date(2026, 1, 1), date(2026, 12, 31)
    from app.money.models import InstallmentStatus

    installments = make_installments(award, statuses=[InstallmentStatus.DUE])
    db.session.flush()
    return Project(award, owner, officer, finance, installments, agreement, application)


def full_data(report) -> dict:
    """A complete, valid form for ``report``."""
    application = report.award.application
    data = {"narrative": "已开展助餐服务 2400 人次，组织志愿者探访 300 次。", "problems": "冬季志愿者不足。"}
    for target in application.target_groups:
        data[f"beneficiaries-{target.value}"] = "120"
    for indicator in application.indicators:
        data[f"indicator-{indicator.id}-actual"] = "2400.5"
        data[f"indicator-{indicator.id}-note"] = "签到表"
    for line in application.budget_lines:
        data[f"expense-{line.id}-spent"] = "1,000.50"
    return data


# A 1×1 PNG.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360f8cf000000030101005d0b7e3b0000000049454e44ae426082")


def png_stream() -> io.BytesIO:
    return io.BytesIO(PNG)
