"""Authorization matrix rows for the panel pages (评审小组, officer side; see routes.py for
the meaning).

Every URL names tenant A's call under review (`call_reviewing`) and its `panel`: looking
(the panel, the draw records) is for the call's funder staff — program officer, finance
officer, auditor — and admins; every change is for its program officers only. Reviewers,
the chair and the officer of another funder are refused.

The empty POSTs of the matrix by the officer answer < 400: the draw and the two add forms
flash "please fill in …" and redirect; removing the panel reviewer (who has a draft sheet)
is refused with a message and a redirect; naming them chair, auto-assigning (which only
reports the shortfall: the panel has two members, k is 5) and removing their assignment
(a draft sheet) succeed and redirect.
"""
from __future__ import annotations

from tests.security.routes_common import ALLOW, ANYONE, DENY, LOGIN, ROLES, SIGNED_IN, o, only  # noqa: F401

VIEWERS = ("officer", "finance", "auditor", "admin")
MANAGERS = ("officer",)


def _panel_member(w) -> int:
    """The panel's reviewer (本组评审专家) — the world's assignment is theirs."""
    return w.objects["assignment"].member_id


def _draw(w) -> int:
    """A stored draw record of the world's panel (the world has none of its own)."""
    from app.extensions import db
    from app.reviews.models import PanelDraw

    panel, expert = w.objects["panel"], w.objects["expert_panel"]
    record = PanelDraw(panel_id=panel.id, seed="0" * 32, size=1, fields=None, eligible=[expert.id],
                       excluded=[], off_field=[], picked=[expert.id], drawn_by_id=w.users["officer"].id)
    db.session.add(record)
    db.session.flush()
    return record.id


ROUTES: dict[str, tuple] = {
    "reviews.panel": (lambda w: f"/reviews/calls/{o(w, 'call_reviewing')}/panel", {"GET": only(*VIEWERS)}),
    "reviews.draw_record": (lambda w: f"/reviews/draws/{_draw(w)}", {"GET": only(*VIEWERS)}),
    "reviews.panel_draw": (lambda w: f"/reviews/calls/{o(w, 'call_reviewing')}/panel/draw",
                           {"POST": only(*MANAGERS)}),
    "reviews.panel_add_member": (lambda w: f"/reviews/calls/{o(w, 'call_reviewing')}/panel/members",
                                 {"POST": only(*MANAGERS)}),
    "reviews.panel_remove_member": (lambda w: f"/reviews/panel-members/{_panel_member(w)}/remove",
                                    {"POST": only(*MANAGERS)}),
    "reviews.panel_set_chair": (lambda w: f"/reviews/panel-members/{_panel_member(w)}/chair",
                                {"POST": only(*MANAGERS)}),
    "reviews.panel_auto_assign": (lambda w: f"/reviews/calls/{o(w, 'call_reviewing')}/panel/assign",
                                  {"POST": only(*MANAGERS)}),
    "reviews.panel_add_assignment": (lambda w: f"/reviews/calls/{o(w, 'call_reviewing')}/panel/assignments",
                                     {"POST": only(*MANAGERS)}),
    "reviews.panel_remove_assignment": (lambda w: f"/reviews/assignments/{o(w, 'assignment')}/remove",
                                        {"POST": only(*MANAGERS)}),
}
