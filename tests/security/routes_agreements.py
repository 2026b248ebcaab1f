"""Authorization matrix rows for the agreement pages (see routes.py for the meaning).

The world's `award` (organization X, funder F) has a SIGNED `agreement`. Reading it (page,
PDF, scan): the organization's members, the funder's staff and admins. Generating,
confirming and refusing: F's program officer — and with the agreement signed each of
these is out of order (409). Uploading a scan: X's members — out of order too (409). The
scan row of the world stands for a file that is not on disk: the allowed roles get 404.
The public contract page exists only for signed purchase contracts; the world's award is
from a venture call: 404 for everyone. /awards/mine is for anyone signed in.
"""
from __future__ import annotations

from tests.security.routes_common import ALLOW, ANYONE, DENY, LOGIN, ROLES, SIGNED_IN, o, only  # noqa: F401

VIEWERS = ("applicant_own", "member_own", "officer", "finance", "auditor", "admin")


def _with(base: dict, code: str, *roles: str) -> dict:
    return {**base, **{r: code for r in roles}}


def _url(suffix: str):
    return lambda w: f"/awards/{o(w, 'award')}/agreement{suffix}"


ROUTES: dict[str, tuple] = {
    "money.agreement": (_url(""), {"GET": only(*VIEWERS)}),
    "money.agreement_pdf": (_url(".pdf"), {"GET": only(*VIEWERS)}),
    "money.agreement_scan": (_url("/scan"), {"GET": _with(only(*VIEWERS), "404", *VIEWERS)}),
    "money.agreement_generate": (_url("/generate"), {"POST": _with(only("officer"), "409", "officer")}),
    "money.agreement_upload": (_url("/upload"),
                               {"POST": _with(only("applicant_own", "member_own"), "409", "applicant_own", "member_own")}),
    "money.agreement_confirm": (_url("/confirm"), {"POST": _with(only("officer"), "409", "officer")}),
    "money.agreement_refuse": (_url("/refuse"), {"POST": _with(only("officer"), "409", "officer")}),
    "money.public_contract": (lambda w: f"/awards/{o(w, 'award')}/contract", {"GET": {r: "404" for r in ROLES}}),
    "money.my_awards": (lambda w: "/awards/mine", {"GET": SIGNED_IN}),
}
