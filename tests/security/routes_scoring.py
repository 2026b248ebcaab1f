"""Authorization matrix rows of the reviewer's workspace (see routes.py for the meaning).

World: `assignment` belongs to 本组评审专家 (reviewer_on_panel; accepted, draft sheet) on
organization X's application in `call_reviewing` (blind); `chair_assignment` is the
chair's (submitted). Only the assigned expert may open, declare, score or download —
the chair, other reviewers and staff get 403 (reviewers never see each other's work).
"""
from __future__ import annotations

from tests.security.routes_common import ALLOW, ANYONE, DENY, LOGIN, ROLES, SIGNED_IN, o, only  # noqa: F401

OWN = only("reviewer_on_panel")

ROUTES: dict[str, tuple] = {
    # Everyone signed in has a task list (empty for non-experts).
    "reviews.tasks": (lambda w: "/reviews/tasks", {"GET": SIGNED_IN}),
    "reviews.assignment": (lambda w: f"/reviews/assignments/{o(w, 'assignment')}", {"GET": OWN}),
    # The world's assignment is already declared: a second declaration changes nothing and
    # redirects to the assignment with a message (302).
    "reviews.assignment_declare": (lambda w: f"/reviews/assignments/{o(w, 'assignment')}/declare", {"POST": OWN}),
    # An empty POST saves an empty draft and redirects back to the sheet (302).
    "reviews.assignment_score": (lambda w: f"/reviews/assignments/{o(w, 'assignment')}/score", {"POST": OWN}),
    "reviews.assignment_pdf": (lambda w: f"/reviews/assignments/{o(w, 'assignment')}/application.pdf", {"GET": OWN}),
    # The world's attachment belongs to another application of X: never listed for this
    # assignment, so the assigned expert gets 404; everyone else 403 before that.
    "reviews.assignment_attachment": (
        lambda w: f"/reviews/assignments/{o(w, 'assignment')}/attachments/{o(w, 'attachment')}",
        {"GET": {**OWN, "reviewer_on_panel": "404"}}),
    # Marking attachments blind-safe: the call's program officers (panel.manage). An empty
    # POST changes nothing and redirects (302).
    "reviews.blind_safe": (lambda w: f"/reviews/calls/{o(w, 'call_reviewing')}/blind-safe", {"GET": only("officer")}),
    "reviews.blind_safe_save": (lambda w: f"/reviews/calls/{o(w, 'call_reviewing')}/blind-safe",
                                {"POST": only("officer")}),
}
