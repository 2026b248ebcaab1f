"""Authorization matrix rows for the donation pages (see routes.py for the meaning).

The fund pages, the donate form and the donor's pages (reached through a signed token)
are public. In the test configuration Stripe has no keys, so an empty POST to donate
flashes "online giving is not configured" and redirects to the fund page (302). The
world's donation is PAID: its pay page redirects to the thanks page, its receipt is
served. The webhook answers 400 to everyone here — an empty POST carries no Stripe
signature. The staff donation list: funder staff (each sees their own funders') and admins.
"""
from __future__ import annotations

from tests.security.routes_common import ALLOW, ANYONE, DENY, LOGIN, ROLES, SIGNED_IN, o, only  # noqa: F401

STAFF = ("officer", "finance", "auditor", "officer_other", "admin")


def _token(w) -> str:
    from app.money.donations import donation_token

    return donation_token(w.objects["donation"])


ROUTES: dict[str, tuple] = {
    "money.funds_public": (lambda w: "/funds/", {"GET": ANYONE}),
    "money.fund_public": (lambda w: f"/funds/{o(w, 'fund_donations')}", {"GET": ANYONE}),
    "money.donate": (lambda w: f"/funds/{o(w, 'fund_donations')}/donate", {"POST": ANYONE}),
    "money.donation_pay": (lambda w: f"/funds/donations/{_token(w)}/pay", {"GET": ANYONE}),
    "money.donation_thanks": (lambda w: f"/funds/donations/{_token(w)}/thanks", {"GET": ANYONE}),
    "money.donation_receipt": (lambda w: f"/funds/donations/{_token(w)}/receipt.pdf", {"GET": ANYONE}),
    "money.stripe_webhook": (lambda w: "/stripe/webhook", {"POST": {r: "400" for r in ROLES}}),
    "money.donations_staff": (lambda w: "/finance/donations", {"GET": only(*STAFF)}),
}
