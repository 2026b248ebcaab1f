"""Authorization matrix rows of the disbursement pages (see routes.py for the meaning).

The queue: any funder staff (finance.view on None) and admins — each sees their own
funders' installments. Requesting payment: the award's program officers (the maker).
Approving and reversing: the funder's finance officers (the checker; a fresh login — the
matrix logs everyone in fresh). The voucher: the funder's staff, the organization's
members and admins.
"""
from __future__ import annotations

from tests.security.routes_common import ALLOW, ANYONE, DENY, LOGIN, ROLES, SIGNED_IN, o, only  # noqa: F401

STAFF = ("officer", "finance", "auditor", "officer_other", "admin")

ROUTES: dict[str, tuple] = {
    "money.payments_pending": (lambda w: "/finance/payments", {"GET": only(*STAFF)}),
    # The world's inst_waiting has not met its trigger: requesting it is out of order (409).
    "money.installment_request": (lambda w: f"/finance/installments/{o(w, 'inst_waiting')}/request",
                                  {"POST": {**only("officer"), "officer": "409"}}),
    # inst_requested was requested by `officer`, so `finance` is another person and may approve;
    # an empty POST gives the form back with its messages (200).
    "money.installment_approve": (lambda w: f"/finance/installments/{o(w, 'inst_requested')}/approve",
                                  {"GET": only("finance"), "POST": only("finance")}),
    "money.payment_voucher": (lambda w: f"/finance/payments/{o(w, 'payment')}/voucher.pdf",
                              {"GET": only("officer", "finance", "auditor", "admin", "applicant_own", "member_own")}),
    # An empty POST (no reason) flashes the message and redirects (302).
    "money.payment_reverse": (lambda w: f"/finance/payments/{o(w, 'payment')}/reverse", {"POST": only("finance")}),
}
