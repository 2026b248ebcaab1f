"""Authorization matrix rows for the chair workspace, results and score sheets (see
routes.py for the meaning).

The world's panel belongs to the blind call under review: 本组评审专家 (reviewer_on_panel,
draft sheet) and the chair (submitted sheet). The matrix, the summary sheets and every
reviewer's sheet: the chair and the funder's staff and admins (panel.matrix); a reviewer
fetches only their own sheet. Reopening and finalizing: the chair alone. Results: the
funder's staff and admins (not the chair). Adjusting amounts: program officers.
"""
from __future__ import annotations

from tests.security.routes_common import ALLOW, ANYONE, DENY, LOGIN, ROLES, SIGNED_IN, o, only  # noqa: F401

MATRIX = ("chair", "officer", "finance", "auditor", "admin")
STAFF = ("officer", "finance", "auditor", "admin")


def _member(w, role: str) -> int:
    return w.objects["panel"].member_for_user(w.users[role].id).id


ROUTES: dict[str, tuple] = {
    "reviews.chair": (lambda w: f"/reviews/calls/{o(w, 'call_reviewing')}/chair", {"GET": only(*MATRIX)}),
    # An empty POST (no reason) gives the matrix back with the message beside the cell (200).
    "reviews.sheet_reopen": (lambda w: f"/reviews/sheets/{o(w, 'chair_sheet')}/reopen", {"POST": only("chair")}),
    # The panel reviewer's sheet is still a draft: finalizing is out of order (409).
    "reviews.panel_finalize": (lambda w: f"/reviews/calls/{o(w, 'call_reviewing')}/finalize",
                               {"POST": only(base={**only(), "chair": "409"})}),
    # The call in public notice has its outcomes (shown to staff; the chair is a reviewer).
    "reviews.results": (lambda w: f"/reviews/calls/{o(w, 'call_notice')}/results", {"GET": only(*STAFF)}),
    # Amounts are adjusted only before the notice: the outcome's call is in notice (409).
    "reviews.outcome_adjust": (lambda w: f"/reviews/outcomes/{o(w, 'outcome')}/adjust",
                               {"POST": only(base={**only(), "officer": "409"})}),
    "reviews.outcome_clear": (lambda w: f"/reviews/outcomes/{o(w, 'outcome')}/clear",
                              {"POST": only(base={**only(), "officer": "409"})}),
    "reviews.summary_xlsx": (lambda w: f"/reviews/calls/{o(w, 'call_reviewing')}/summary.xlsx",
                             {"GET": only(*MATRIX)}),
    "reviews.summary_pdf": (lambda w: f"/reviews/calls/{o(w, 'call_reviewing')}/summary.pdf",
                            {"GET": only(*MATRIX)}),
    "reviews.member_sheet_xlsx": (lambda w: f"/reviews/panel-members/{_member(w, 'reviewer_on_panel')}/sheet.xlsx",
                                  {"GET": only(*MATRIX, "reviewer_on_panel")}),
    "reviews.member_sheet_pdf": (lambda w: f"/reviews/panel-members/{_member(w, 'reviewer_on_panel')}/sheet.pdf",
                                 {"GET": only(*MATRIX, "reviewer_on_panel")}),
}
