"""Blind review (匿名评审): what a reviewer can see, the officer's blind-safe marking, and
the LEAK TEST — a reviewer of a blind call fetches every page and file they can reach and
the organization's identity appears in none of them (with a non-blind control that shows
it, so the test would notice if the terms were simply never printed)."""
from __future__ import annotations

import re
import subprocess
from urllib.parse import unquote

import pytest
from sqlalchemy import select

from app.applications.models import ApplicationStatus, TeamMember
from app.calls.models import CallStatus
from app.core.audit import AuditEntry
from app.core.errors import Conflict, PermissionDenied, ValidationError
from app.funders.models import StaffRole
from app.reviews import blind
from app.reviews.models import AssignmentStatus
from app.reviews.reviewer_pdf import render_reviewer_pdf
from tests.conftest import login
from tests.factories import (add_member, make_application, make_assignment, make_attachment, make_call, make_expert,
                             make_funder, make_org, make_panel, make_sheet, make_staff, make_user)

ORG = "翠湖社区居家养老服务中心"
LEGAL_REP = "赵大明"
CONTACT = "周联络"
ORG_PHONE = "0871-65551234"
ORG_EMAIL = "cuihu-center@example.cn"
ADDRESS = "五华区翠湖南路88号"
LEADER = "孙丽萍"
LEADER_PHONE = "13912345678"
TEAM_NAME = "钱小红"
OWNER_NAME = "欧阳主任"
SECRET_FILE = "机构登记证书-赵大明.pdf"
SAFE_FILE = "翠湖社区居家养老服务中心-预算表.pdf"
IDENTIFYING = ["李红", ORG, LEGAL_REP, CONTACT, ORG_PHONE, ORG_EMAIL, ADDRESS, LEADER, LEADER_PHONE, TEAM_NAME,
               OWNER_NAME, "机构登记证书", "预算表.pdf"]


def _flat(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _pdf_text(data: bytes, tmp_path, name="r.pdf") -> str:
    path = tmp_path / name
    path.write_bytes(data)
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    return text + "\n" + info


def _scene(blind_review: bool):
    """A call under review whose application names its organization everywhere."""
    funder = make_funder()
    officer = make_staff(funder, StaffRole.PROGRAM_OFFICER)
    owner = make_user(name=OWNER_NAME)
    org = make_org(name=ORG, owner=owner)
    org.legal_representative, org.contact_name, org.contact_phone = LEGAL_REP, CONTACT, ORG_PHONE
    org.contact_email, org.address = ORG_EMAIL, ADDRESS
    call = make_call(funder, status=CallStatus.REVIEWING, title="2027 年社区公益创投")
    call.blind_review = blind_review
    application = make_application(call, org, status=ApplicationStatus.UNDER_REVIEW,
                                   title=f"{ORG}银龄助餐项目", created_by=owner)
    application.leader_name, application.leader_phone = LEADER, LEADER_PHONE
    application.summary = f"由{ORG}（法定代表人{LEGAL_REP}）实施，联系电话 {ORG_PHONE}。"
    application.need = f"{ORG}自 2019 年起服务翠湖社区老人，负责人{LEADER}（{LEADER_PHONE}）。"
    application.activities = f"由{TEAM_NAME}带领志愿者每周探访；咨询请发邮件至 {ORG_EMAIL}，地址 {ADDRESS}。"
    application.budget_lines[0].note = f"{ORG}食堂"
    application.team.append(TeamMember(position=2, name=TEAM_NAME, role="项目社工", qualification=f"{ORG}社工部主任，中级社工师",
                                       is_social_worker=True))
    safe = make_attachment(application, kind="项目预算明细表", name=SAFE_FILE)
    secret = make_attachment(application, kind="登记证书", name=SECRET_FILE)
    safe.blind_safe = True
    reviewer = make_user(name="评审甲", email=f"reviewer-{blind_review}@example.cn")
    other_reviewer = make_user(name="评审乙")
    expert, other_expert = make_expert(reviewer), make_expert(other_reviewer)
    panel = make_panel(call, reviewers=[expert, other_expert], created_by=officer)
    assignment = make_assignment(panel, application, expert, status=AssignmentStatus.PENDING)
    other = make_assignment(panel, application, other_expert)
    make_sheet(other, comment="评审乙的机密意见", submitted=True)
    from app.extensions import db

    db.session.flush()
    return {"call": call, "application": application, "org": org, "reviewer": reviewer, "assignment": assignment,
            "other": other, "other_reviewer": other_reviewer, "safe": safe, "secret": secret, "officer": officer,
            "panel": panel}


def _xlsx_text(data: bytes) -> str:
    """Every cell, sheet name, header/footer and document property of a workbook."""
    import io

    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(data))
    parts = [str(getattr(wb.properties, key) or "") for key in
             ("creator", "title", "subject", "description", "keywords", "lastModifiedBy", "category")]
    for ws in wb.worksheets:
        parts.append(ws.title)
        for hf in (ws.oddHeader, ws.oddFooter, ws.evenHeader, ws.evenFooter):
            parts += [str(part.text or "") for part in (hf.left, hf.center, hf.right)]
        for row in ws.iter_rows(values_only=True):
            parts += [str(v) for v in row if v is not None]
    return "\n".join(parts)


def _fetch_everything(client, s, tmp_path) -> list[tuple[str, str]]:
    """(what, text) of every response the reviewer can get, headers included."""
    got: list[tuple[str, str]] = []

    def take(what, resp):
        # An attachment's own content is the officer's to check (blind-safe); its
        # name, type and headers are ours.
        headers = "\n".join(f"{k}: {unquote(v)}" for k, v in resp.headers.items())
        if what in ("pdf", "sheet.pdf"):
            body = _pdf_text(resp.data, tmp_path, f"{len(got)}.pdf")
        elif resp.mimetype and resp.mimetype.startswith("text/"):
            body = resp.get_data(as_text=True)
        elif what == "sheet.xlsx":
            body = _xlsx_text(resp.data)
        else:
            body = ""
        got.append((what, headers + "\n" + body))
        return resp

    a = s["assignment"]
    login(client, s["reviewer"])
    take("tasks (pending)", client.get("/reviews/tasks"))
    take("declaration page", client.get(f"/reviews/assignments/{a.id}"))
    # Content routes before the declaration redirect to it.
    resp = take("pdf before declaring", client.get(f"/reviews/assignments/{a.id}/application.pdf"))
    assert resp.status_code == 302
    resp = take("declare", client.post(f"/reviews/assignments/{a.id}/declare", data={"decision": "none"}))
    assert resp.status_code == 302
    resp = take("assignment page", client.get(f"/reviews/assignments/{a.id}"))
    assert resp.status_code == 200 and "评分表" in resp.get_data(as_text=True)
    take("tasks", client.get("/reviews/tasks?status=all"))
    resp = take("pdf", client.get(f"/reviews/assignments/{a.id}/application.pdf"))
    assert resp.status_code == 200 and resp.mimetype == "application/pdf"
    page = client.get(f"/reviews/assignments/{a.id}").get_data(as_text=True)
    for attachment_id in sorted(set(int(m) for m in re.findall(rf"/reviews/assignments/{a.id}/attachments/(\d+)", page))):
        resp = take(f"attachment {attachment_id}", client.get(f"/reviews/assignments/{a.id}/attachments/{attachment_id}"))
        assert resp.status_code == 200
    # A bad score keeps the reviewer on the page with the messages.
    first = s["call"].criteria[0]
    resp = take("bad score", client.post(f"/reviews/assignments/{a.id}/score",
                                         data={f"points-{first.id}": "abc", "comment": "x", "action": "save"}))
    assert resp.status_code == 200
    # A draft, then the reviewer's own score sheet (评审专家评分表) as XLSX and PDF.
    resp = client.post(f"/reviews/assignments/{a.id}/score",
                       data={f"points-{c.id}": "8" for c in s["call"].criteria} | {"comment": "意见", "action": "save"})
    assert resp.status_code == 302
    for suffix in ("xlsx", "pdf"):
        resp = take(f"sheet.{suffix}", client.get(f"/reviews/panel-members/{a.member_id}/sheet.{suffix}"))
        assert resp.status_code == 200 and len(resp.data) > 100
    return got


def test_blind_reviewer_sees_no_identity_anywhere(client, db, tmp_path):
    s = _scene(blind_review=True)
    got = _fetch_everything(client, s, tmp_path)
    assert len(got) >= 9
    # Only the blind-safe file was offered, under its neutral name.
    downloads = [text for what, text in got if what.startswith("attachment")]
    assert len(downloads) == 1 and "附件 1：项目预算明细表.pdf" in downloads[0]
    assert "Last-Modified" not in downloads[0] and "nosniff" in downloads[0] and "no-store" in downloads[0]
    for what, text in got:
        flat = _flat(text)
        for term in IDENTIFYING:
            assert _flat(term) not in flat, f"{term!r} leaked in {what}"
    # The other reviewer's confidential comment is not shown either.
    assert all("评审乙的机密意见" not in text for _what, text in got)
    # The redaction marker shows where the name was.
    page = dict(got)["assignment page"]
    assert blind.REDACTED in page and "GY-" in page
    code = f"GY-{s['application'].id:05d}"
    assert code in dict(got)["sheet.xlsx"] and code in _flat(dict(got)["sheet.pdf"])


def test_non_blind_control_shows_the_organization_but_no_contacts(client, db, tmp_path):
    s = _scene(blind_review=False)
    got = dict(_fetch_everything(client, s, tmp_path))
    page, pdf_text = _flat(got["assignment page"]), _flat(got["pdf"])
    for term in (ORG, LEADER, TEAM_NAME, SAFE_FILE, SECRET_FILE):
        assert _flat(term) in page, term
    for term in (ORG, LEADER, TEAM_NAME):
        assert _flat(term) in pdf_text, term
    # The reviewer's own score sheet names the organization too (the extraction works).
    assert _flat(ORG) in _flat(got["sheet.xlsx"]) and _flat(ORG) in _flat(got["sheet.pdf"])
    # Both locked files are offered under their own names.
    assert len([w for w in got if w.startswith("attachment")]) == 2
    # Reviewers never need contacts: the organization's contact person is not shown.
    assert _flat(CONTACT) not in page and _flat(CONTACT) not in pdf_text


def test_other_reviewer_cannot_open_the_assignment(client, db):
    s = _scene(blind_review=True)
    login(client, s["other_reviewer"])
    a = s["assignment"]
    for url in (f"/reviews/assignments/{a.id}", f"/reviews/assignments/{a.id}/application.pdf",
                f"/reviews/assignments/{a.id}/attachments/{s['safe'].id}"):
        assert client.get(url).status_code == 403
    assert client.post(f"/reviews/assignments/{a.id}/declare", data={"decision": "none"}).status_code == 403
    assert client.post(f"/reviews/assignments/{a.id}/score", data={"action": "save"}).status_code == 403
    db.session.refresh(a)
    assert a.status == AssignmentStatus.PENDING
    # Their own page shows their own sheet only.
    page = client.get(f"/reviews/assignments/{s['other'].id}").get_data(as_text=True)
    assert "评审乙的机密意见" in page


def test_unlisted_attachment_is_not_found(client, db):
    s = _scene(blind_review=True)
    s["assignment"].status = AssignmentStatus.ACCEPTED
    login(client, s["reviewer"])
    a = s["assignment"]
    assert client.get(f"/reviews/assignments/{a.id}/attachments/{s['secret'].id}").status_code == 404
    assert client.get(f"/reviews/assignments/{a.id}/attachments/{s['safe'].id}").status_code == 200
    other_app = make_application(s["call"], make_org(), status=ApplicationStatus.UNDER_REVIEW)
    foreign = make_attachment(other_app, name="别家.pdf")
    foreign.blind_safe = True
    assert client.get(f"/reviews/assignments/{a.id}/attachments/{foreign.id}").status_code == 404


# --------------------------------------------------------------------------- unit

def test_reviewer_view_blind_and_not(db):
    s = _scene(blind_review=True)
    application = s["application"]
    view = blind.reviewer_view(application, True)
    flat = _flat(repr(view))
    for term in IDENTIFYING:
        assert _flat(term) not in flat, term
    assert view["organization"] is None and view["leader_name"] is None
    assert view["team"][1:] == [{"name": None, "role": "项目社工", "qualification": f"{blind.REDACTED}社工部主任，中级社工师",
                             "is_social_worker": True}]
    assert view["code"] == f"GY-{application.id:05d}" and view["title"] == f"{blind.REDACTED}银龄助餐项目"
    assert view["requested_fen"] == application.requested_fen and view["budget_lines"]
    assert view["indicators"][0]["target_text"] == "5,000"

    plain = blind.reviewer_view(application, False)
    assert plain["organization"] == ORG and plain["leader_name"] == LEADER and plain["team"][1]["name"] == TEAM_NAME
    assert LEADER_PHONE not in _flat(repr({k: v for k, v in plain.items() if k not in ("need",)}))


def test_reviewer_attachments(db):
    s = _scene(blind_review=True)
    application = s["application"]
    files = blind.reviewer_attachments(application, True)
    assert [(f.id, f.name) for f in files] == [(s["safe"].id, "附件 1：项目预算明细表.pdf")]
    assert [f.name for f in blind.reviewer_attachments(application, False)] == [SAFE_FILE, SECRET_FILE]
    # Files not yet submitted (unlocked) never reach a reviewer.
    s["safe"].locked = False
    assert blind.reviewer_attachments(application, True) == []
    assert [f.name for f in blind.reviewer_attachments(application, False)] == [SECRET_FILE]


def test_reviewer_pdf_metadata_has_no_organization(db, tmp_path):
    s = _scene(blind_review=True)
    text = _pdf_text(render_reviewer_pdf(s["application"], True), tmp_path)
    assert "评审用申报书" in text and f"GY-{s['application'].id:05d}" in text
    assert "Author:" in text and ORG not in _flat(text)
    title = re.search(r"^Title:\s*(.*)$", text, re.M).group(1)
    assert title == f"评审用申报书 GY-{s['application'].id:05d}"


def test_set_blind_safe_rules(db):
    s = _scene(blind_review=True)
    officer, secret = s["officer"], s["secret"]
    assert blind.set_blind_safe(officer, secret, True) is True
    assert secret.blind_safe is True
    assert blind.set_blind_safe(officer, secret, True) is False
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "attachment.blind_safe")).all()[-1]
    assert entry.after["blind_safe"] is True and entry.object_id == str(secret.id)
    # Only the call's program officers.
    for user in (s["reviewer"], make_staff(make_funder()), make_staff(s["call"].funder, StaffRole.AUDITOR)):
        with pytest.raises(PermissionDenied):
            blind.set_blind_safe(user, secret, False)
    # Not after the review.
    s["call"].status = CallStatus.NOTICE
    with pytest.raises(Conflict):
        blind.set_blind_safe(officer, secret, False)
    s["call"].status = CallStatus.REVIEWING
    secret.locked = False
    with pytest.raises(ValidationError):
        blind.set_blind_safe(officer, secret, False)
    assert secret.blind_safe is True


def test_save_blind_safe_changes_only_shown_attachments_of_the_call(db):
    s = _scene(blind_review=True)
    officer, safe, secret = s["officer"], s["safe"], s["secret"]
    elsewhere = make_application(make_call(s["call"].funder, status=CallStatus.REVIEWING), make_org(),
                                 status=ApplicationStatus.UNDER_REVIEW)
    foreign = make_attachment(elsewhere, name="别的征集.pdf")
    marked, unmarked = blind.save_blind_safe(officer, s["call"], [str(safe.id), str(secret.id), str(foreign.id), "x", "-1"],
                                             [str(secret.id), str(foreign.id), "99999999999"])
    assert (marked, unmarked) == (1, 1)
    assert secret.blind_safe is True and safe.blind_safe is False and foreign.blind_safe is False
    assert blind.blind_safe_counts(s["call"]) == (1, 2)
    assert blind.save_blind_safe(officer, s["call"], [], []) == (0, 0)


def test_identity_terms_include_members_and_team(db):
    s = _scene(blind_review=True)
    add_member(s["org"], make_user(name="成员丙"))
    from app.extensions import db as _db

    _db.session.refresh(s["org"])
    terms = blind.identity_terms(s["application"])
    for term in (ORG, LEGAL_REP, LEADER, TEAM_NAME, OWNER_NAME, "成员丙", LEADER_PHONE):
        assert term in terms
