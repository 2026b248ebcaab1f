"""Authorization matrix rows of the finance pages (fund sources, allocation, award funding,
refunds, corrections, reconciliation, journal) — see routes.py for the meaning.

finance.view: any funder's staff and admins (officer_other sees their own funder G, which
has no money). fund.view: funder F's staff and admins. fund.manage: F's program and finance
officers. award.fund: F's program officers. refund.record and reversing entries: F's
finance officer.
"""
from __future__ import annotations

from tests.security.routes_common import ALLOW, ANYONE, DENY, LOGIN, ROLES, SIGNED_IN, o, only  # noqa: F401

STAFF_ANY = ("officer", "finance", "auditor", "officer_other", "admin")
STAFF_F = ("officer", "finance", "auditor", "admin")
MANAGERS_F = ("officer", "finance")


def _appropriation_entry(w) -> int:
    from sqlalchemy import select

    from app.extensions import db
    from app.money.models import EntryKind, JournalEntry

    return db.session.scalar(select(JournalEntry.id).where(
        JournalEntry.kind == EntryKind.APPROPRIATION, JournalEntry.source_type == "fund_source",
        JournalEntry.source_id == o(w, "fund")))


ROUTES: dict[str, tuple] = {
    "money.finance_home": (lambda w: "/finance/", {"GET": only(*STAFF_ANY)}),
    # An empty POST gives the form back with its messages (200).
    "money.fund_new": (lambda w: "/finance/funds/new", {"GET": only(*MANAGERS_F, "officer_other"),
                                                        "POST": only(*MANAGERS_F, "officer_other")}),
    "money.fund_detail": (lambda w: f"/finance/funds/{o(w, 'fund')}", {"GET": only(*STAFF_F)}),
    # Empty POSTs re-render the fund page with the messages (200) or flash and redirect (302).
    "money.fund_edit": (lambda w: f"/finance/funds/{o(w, 'fund')}/edit", {"POST": only(*MANAGERS_F)}),
    "money.fund_allocate": (lambda w: f"/finance/funds/{o(w, 'fund')}/allocate", {"POST": only(*MANAGERS_F)}),
    "money.fund_deallocate": (lambda w: f"/finance/funds/{o(w, 'fund')}/deallocate", {"POST": only(*MANAGERS_F)}),
    "money.fund_appropriate": (lambda w: f"/finance/funds/{o(w, 'fund')}/appropriate", {"POST": only(*MANAGERS_F)}),
    "money.call_funds": (lambda w: f"/finance/calls/{o(w, 'call_awarded')}", {"GET": only(*STAFF_F)}),
    # The world's award is already funded: funding it again is out of order (409).
    "money.award_funding": (lambda w: f"/awards/{o(w, 'award')}/funding",
                            {"GET": only(*STAFF_F), "POST": {**only(), "officer": "409"}}),
    "money.award_refund": (lambda w: f"/awards/{o(w, 'award')}/refunds", {"POST": only("finance")}),
    # Finance officers only (fund.manage + the finance-officer role); empty reason → flash + 302.
    "money.entry_reverse": (lambda w: f"/finance/entries/{_appropriation_entry(w)}/reverse", {"POST": only("finance")}),
    "money.reconciliation": (lambda w: "/finance/reconciliation", {"GET": only(*STAFF_ANY)}),
    "money.reconciliation_xlsx": (lambda w: "/finance/reconciliation.xlsx?view=calls", {"GET": only(*STAFF_ANY)}),
    "money.reconciliation_csv": (lambda w: "/finance/reconciliation.csv?view=awards", {"GET": only(*STAFF_ANY)}),
    "money.journal": (lambda w: "/finance/journal", {"GET": only(*STAFF_ANY)}),
}
