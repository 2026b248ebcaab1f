"""Authorization matrix rows for the expert pool (专家库) routes (see routes.py for the meaning).

The pool list and any expert's page: program officers and auditors of any funder, and
admins; an expert also sees their own page (the world's expert is the reviewer). Enrolling,
approving and suspending: program officers of any funder (the pool is platform-wide).
Anyone signed in may apply to join or edit their own expert profile at /reviews/me.
"""
from __future__ import annotations

from tests.security.routes_common import ALLOW, ANYONE, DENY, LOGIN, ROLES, SIGNED_IN, o, only  # noqa: F401

POOL = ("officer", "officer_other", "auditor", "admin")
MANAGERS = ("officer", "officer_other")

ROUTES: dict[str, tuple] = {
    "reviews.pool": (lambda w: "/reviews/experts", {"GET": only(*POOL)}),
    # An empty POST gives the form back with messages (200).
    "reviews.expert_new": (lambda w: "/reviews/experts/new", {"GET": only(*MANAGERS), "POST": only(*MANAGERS)}),
    "reviews.expert_detail": (lambda w: f"/reviews/experts/{o(w, 'expert')}", {"GET": only(*POOL, "reviewer")}),
    # The world's expert is active: approving flashes "already active" and redirects (302).
    "reviews.expert_approve": (lambda w: f"/reviews/experts/{o(w, 'expert')}/approve", {"POST": only(*MANAGERS)}),
    # An empty POST (no reason) flashes the message and redirects (302).
    "reviews.expert_decline": (lambda w: f"/reviews/experts/{o(w, 'expert')}/decline", {"POST": only(*MANAGERS)}),
    "reviews.expert_suspend": (lambda w: f"/reviews/experts/{o(w, 'expert')}/suspend", {"POST": only(*MANAGERS)}),
    # Own profile: the reviewer edits theirs, everyone else sees the application form.
    "reviews.my_expert_profile": (lambda w: "/reviews/me", {"GET": SIGNED_IN, "POST": SIGNED_IN}),
}
