"""Applications: drafts, completeness, submission, return and resubmission, versions.

(Being written: the applications-core helper owns this file.)
"""
from __future__ import annotations

from typing import Any

from app.applications.models import Application


def snapshot(application: Application) -> dict[str, Any]:
    """The whole proposal as JSON-safe data: what a submitted version freezes."""
    a = application
    return {
        "title": a.title, "summary": a.summary, "leader_name": a.leader_name, "leader_phone": a.leader_phone,
        "organization": {"id": a.organization_id, "name": a.organization.name},
        "call": {"id": a.call_id, "title": a.call.title},
        "need": a.need, "objectives": a.objectives, "activities": a.activities,
        "sustainability": a.sustainability,
        "planned_beneficiaries": a.planned_beneficiaries, "beneficiary_description": a.beneficiary_description,
        "target_groups": [t.value for t in a.target_groups],
        "communities": [{"id": c.id, "name": c.name, "code": c.code} for c in a.communities],
        "starts_on": a.starts_on.isoformat() if a.starts_on else None,
        "ends_on": a.ends_on.isoformat() if a.ends_on else None,
        "requested_fen": a.requested_fen, "matching_fen": a.matching_fen, "matching_source": a.matching_source,
        "budget_lines": [{"head": b.head, "item": b.item, "unit": b.unit, "quantity": b.quantity,
                          "unit_price_fen": b.unit_price_fen, "amount_fen": b.amount_fen, "note": b.note}
                         for b in a.budget_lines],
        "indicators": [{"name": i.name, "unit": i.unit, "target": str(i.target), "measurement": i.measurement}
                       for i in a.indicators],
        "milestones": [{"due_on": m.due_on.isoformat(), "title": m.title, "deliverable": m.deliverable}
                       for m in a.milestones],
        "team": [{"name": t.name, "role": t.role, "qualification": t.qualification,
                  "is_social_worker": t.is_social_worker} for t in a.team],
        "attachments": [{"id": f.id, "kind": f.kind, "name": f.original_name, "sha256": f.sha256,
                         "size_bytes": f.size_bytes} for f in a.attachments],
        "declarations": {"no_fixed_assets": a.declares_no_fixed_assets, "no_cash_gifts": a.declares_no_cash_gifts,
                         "truthful": a.declares_truthful},
    }
