"""Resources as JSON: exactly the fields of the public pages, described in app.api.schemas.

Never here: contacts (phone, email, address, legal representative, project leader), bank
details, donors, objectors, per-reviewer scores, drafts or reports not accepted.
"""
from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from flask import url_for

from app.api.http import iso
from app.awards.models import Award
from app.calls.models import Call
from app.money.models import AwardFunding, FundSource
from app.money.reconciliation import FundRow
from app.api.schemas import CREDIT_COUNTS
from app.orgs.credit import Assessment
from app.orgs.models import Organization
from app.regions.models import Region
from app.transparency.projects import ProjectPage


def choice(member) -> dict[str, str] | None:
    if member is None:
        return None
    return {"value": member.value, "label": member.label}


def _day(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None


def _number(value: Decimal | None) -> float | int | None:
    if value is None:
        return None
    return int(value) if value == value.to_integral_value() else float(value)


def funder_ref(funder) -> dict:
    return {"id": funder.id, "name": funder.name}


def region_ref(region: Region) -> dict:
    return {"code": region.code, "name": region.name, "level": region.level.value}


# --------------------------------------------------------------------------- calls

def call(c: Call, *, detail: bool = False) -> dict[str, Any]:
    out = {
        "id": c.id, "title": c.title, "kind": choice(c.kind), "status": choice(c.status),
        "funder": funder_ref(c.funder), "region": region_ref(c.region_scope), "summary": c.summary or "",
        "opens_at": iso(c.opens_at), "deadline_at": iso(c.deadline_at),
        "budget_fen": int(c.budget_fen), "min_award_fen": int(c.min_award_fen), "max_award_fen": int(c.max_award_fen),
        "categories": [choice(x) for x in c.categories], "service_targets": [choice(x) for x in c.service_targets],
        "url": url_for("calls.detail", call_id=c.id, _external=True),
    }
    if detail:
        out["description"] = c.description or ""
        out["service_item"] = c.service_item or ""
    return out


# --------------------------------------------------------------------------- awards

def award(a: Award, fundings: list[AwardFunding], paid_fen: int) -> dict[str, Any]:
    org = a.organization
    application = a.application
    kinds = [f.fund_source.kind for f in fundings]
    return {
        "id": a.id, "number": a.number, "title": application.title,
        "organization": {"id": org.id, "name": org.name, "credit_code": org.credit_code},
        "call": {"id": a.call.id, "title": a.call.title}, "funder": funder_ref(a.call.funder),
        "amount_fen": int(a.amount_fen), "final_score": _number(a.final_score), "awarded_at": iso(a.awarded_at),
        "fund_sources": [{"id": f.fund_source.id, "name": f.fund_source.name, "kind": choice(f.fund_source.kind),
                          "amount_fen": int(f.amount_fen)} for f in fundings],
        "paid_fen": int(paid_fen),
        "communities": [region_ref(c) for c in application.communities],
        "welfare_lottery": any(k.value == "welfare_lottery" for k in kinds),
        "url": url_for("transparency.project", award_id=a.id, _external=True),
    }


def project(p: ProjectPage) -> dict[str, Any]:
    """One award with what its public project page shows."""
    out = award(p.award, p.fundings, p.paid_fen)
    o = p.outcome
    out.update({
        "summary": p.application.summary or "",
        "period": {"starts_on": _day(p.starts_on), "ends_on": _day(p.ends_on),
                   "from_agreement": bool(p.term_from_agreement)},
        "installments": {"count": p.installment_count,
                         "paid": [{"position": i.position, "amount_fen": i.amount_fen, "paid_on": _day(i.paid_on)}
                                  for i in p.paid]},
        "outcome": {
            "indicators": [{"name": i.name, "unit": i.unit, "target": _number(i.target), "actual": _number(i.actual),
                            "achieved_percent": _number(i.achieved)} for i in o.indicators],
            "indicators_from": choice(o.indicators_from),
            "reports": [{"kind": choice(r.kind), "accepted_at": iso(r.accepted_on), "excerpt": r.excerpt,
                         "rating": choice(r.rating), "beneficiaries": r.beneficiaries} for r in o.summaries],
            "spending_rate_percent": _number(o.spending_rate),
            "final_accepted": bool(o.final_accepted),
            "final_rating": choice(o.final_rating),
        },
    })
    return out


# --------------------------------------------------------------------------- organizations

def organization(org: Organization, credit: Assessment) -> dict[str, Any]:
    """The fields the public profile (/orgs/<id>) shows to everyone — and no others —
    with its platform credit (app.orgs.credit, assessed today)."""
    community = org.home_community
    return {
        "id": org.id, "name": org.name, "legal_status": choice(org.legal_status), "credit_code": org.credit_code,
        "registration_authority": org.registration_authority or "", "category": choice(org.category),
        "service_targets": [choice(t) for t in org.service_targets],
        "service_target_other": org.service_target_other or "",
        "community": {"code": community.code, "name": community.name, "full_name": community.full_name,
                      "kind": choice(community.kind)},
        "founded_on": _day(org.founded_on), "registered_on": _day(org.registered_on),
        "party_organization": choice(org.party_organization),
        "social_worker_count": org.social_worker_count, "staff_count": org.staff_count,
        "volunteer_count": org.volunteer_count, "mission": org.mission or "",
        "evaluation_grade": choice(org.evaluation_grade), "credit_status": choice(org.credit_status),
        "credit": {
            "score": credit.score, "grade": choice(credit.grade),
            "barred_by": [{"funder": funder_ref(bar.funder), "until": _day(bar.effective_end)}
                          for bar in credit.active_bars],
            "counts": {k: credit.count(k) for k in CREDIT_COUNTS},
            "url": url_for("orgs.credit", org_id=org.id, _external=True),
        },
        "url": url_for("orgs.profile", org_id=org.id, _external=True),
    }


# --------------------------------------------------------------------------- fund sources

def fund(f: FundSource, row: FundRow) -> dict[str, Any]:
    return {
        "id": f.id, "name": f.name, "kind": choice(f.kind), "funder": funder_ref(f.funder),
        "fiscal_year": f.fiscal_year, "description": f.description or "",
        "figures": {"appropriated_fen": row.appropriated, "donations_fen": row.donations,
                    "allocated_fen": row.allocated, "committed_fen": row.committed, "paid_fen": row.paid,
                    "refunded_fen": row.refunded, "available_fen": row.available},
        "disclosure_url": url_for("transparency.disclosure", fund_id=f.id, year=f.fiscal_year, _external=True),
        "url": url_for("api.fund_source", fund_id=f.id, _external=True),
    }
