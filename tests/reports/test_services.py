"""Report services: due dates, saving with per-field validation, photos, submission order
and completeness, review (accept fires the installment trigger, fail withholds), reminders."""
from __future__ import annotations

import io
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from app.core.audit import AuditEntry
from app.core.errors import Conflict, PermissionDenied, ValidationError
from app.money.models import AgreementStatus, InstallmentStatus
from app.notifications.models import Notification
from app.reports import services
from app.reports.models import Report, ReportKind, ReportPhoto, ReportRating, ReportStatus
from tests.factories import make_user
from tests.reports.conftest import PNG, full_data


def _reports(project):
    progress, final = services.reports_of(project.award)
    return progress, final


def _notifications(user, kind=None):
    from app.extensions import db

    stmt = select(Notification).where(Notification.user_id == user.id)
    if kind:
        stmt = stmt.where(Notification.kind == kind)
    return list(db.session.scalars(stmt))


def _submitted_progress(project):
    progress, final = _reports(project)
    services.save_report(project.owner, progress, full_data(progress))
    services.submit(project.owner, progress)
    return progress, final


# --- creation and due dates ------------------------------------------------------------------

def test_reports_are_created_once_with_due_dates_from_the_agreement(db, project):
    progress, final = _reports(project)
    assert (progress.kind, final.kind) == (ReportKind.PROGRESS, ReportKind.FINAL)
    # 2026-01-01..2026-12-31: the midpoint, and 15 days after the end.
    assert progress.due_on == date(2026, 7, 2)
    assert final.due_on == date(2027, 1, 15)
    assert services.ensure_reports(project.award) == []
    assert db.session.scalar(select(func.count(Report.id)).where(Report.award_id == project.award.id)) == 2


def test_without_an_agreement_the_application_period_is_used(db, project):
    db.session.delete(project.agreement)
    db.session.flush()
    application = project.application
    application.starts_on, application.ends_on = date(2026, 3, 1), date(2027, 2, 28)
    progress, final = _reports(project)
    assert progress.due_on == date(2026, 8, 30)
    assert final.due_on == date(2027, 3, 15)


def test_a_draft_follows_the_agreement_signed_later(db, project):
    from app.core.events import emit

    progress, _final = _reports(project)
    project.agreement.ends_on = date(2026, 6, 30)
    emit("agreement.signed", award=project.award, agreement=project.agreement, actor=project.officer)
    assert progress.due_on == date(2026, 4, 1)


# --- saving ----------------------------------------------------------------------------------

def test_save_stores_every_part_and_computes_rates(db, project):
    progress, _final = _reports(project)
    services.save_report(project.owner, progress, full_data(progress))
    v = services.view(progress)
    assert v.missing == []
    assert progress.narrative.startswith("已开展")
    assert progress.beneficiaries == {"elderly": 120}
    assert [row.actual for row in v.indicators] == [Decimal("2400.50")]
    assert v.indicators[0].achieved == Decimal("48.0")  # 2400.5 of 5000
    assert [row.spent_fen for row in v.expenses] == [100_050, 100_050]
    planned = sum(b.amount_fen for b in project.application.budget_lines)
    assert v.planned_fen == planned and v.spent_fen == 200_100
    assert v.rate == (Decimal(200_100) * 100 / planned).quantize(Decimal("0.1"))
    assert db.session.scalar(select(func.count(AuditEntry.id)).where(AuditEntry.action == "report.save")) == 1


@pytest.mark.parametrize("field,value,fragment", [
    ("indicator", "１２３", "半角"),
    ("indicator", "-5", "负数"),
    ("indicator", "12.345", "两位小数"),
    ("indicator", "abc", "数字"),
    ("indicator", "NaN", "数字"),
    ("indicator", "1e9", "数字"),
    ("expense", "-1", "负数"),
    ("expense", "１００", "半角"),
    ("expense", "1.001", "两位小数"),
    ("expense", "ten", "格式"),
    ("beneficiaries", "12.5", "整数"),
    ("beneficiaries", "-3", "负数"),
    ("beneficiaries", "１２", "半角"),
])
def test_bad_numbers_are_refused_per_field_and_nothing_is_saved(db, project, field, value, fragment):
    progress, _final = _reports(project)
    data = full_data(progress)
    application = project.application
    name = {"indicator": f"indicator-{application.indicators[0].id}-actual",
            "expense": f"expense-{application.budget_lines[0].id}-spent",
            "beneficiaries": "beneficiaries-elderly"}[field]
    data[name] = value
    with pytest.raises(services.ReportInvalid) as caught:
        services.save_report(project.owner, progress, data)
    assert list(caught.value.errors) == [name]
    assert fragment in caught.value.errors[name]
    db.session.expire_all()
    assert progress.narrative == "" and progress.indicators == [] and progress.expenses == []


def test_every_wrong_field_gets_its_own_message(db, project):
    progress, _final = _reports(project)
    data = full_data(progress)
    application = project.application
    data.update({f"indicator-{application.indicators[0].id}-actual": "x",
                 f"expense-{application.budget_lines[1].id}-spent": "-2", "narrative": "a\x00b",
                 "problems": "问" * (services.PROBLEMS_MAX + 1)})
    with pytest.raises(services.ReportInvalid) as caught:
        services.save_report(project.owner, progress, data)
    assert set(caught.value.errors) == {f"indicator-{application.indicators[0].id}-actual",
                                        f"expense-{application.budget_lines[1].id}-spent", "narrative", "problems"}


def test_blank_numbers_stay_unfilled_and_clearing_removes_a_value(db, project):
    progress, _final = _reports(project)
    data = full_data(progress)
    services.save_report(project.owner, progress, data)
    indicator = project.application.indicators[0]
    data[f"indicator-{indicator.id}-actual"] = ""
    services.save_report(project.owner, progress, data)
    v = services.view(progress)
    assert v.indicators[0].actual is None
    assert any("助餐服务人次" in m for m in v.missing)


def test_only_members_write_and_only_while_editable(db, project):
    progress, _final = _reports(project)
    with pytest.raises(PermissionDenied):
        services.save_report(project.officer, progress, full_data(progress))
    with pytest.raises(PermissionDenied):
        services.save_report(make_user(), progress, full_data(progress))
    services.save_report(project.owner, progress, full_data(progress))
    services.submit(project.owner, progress)
    with pytest.raises(Conflict):
        services.save_report(project.owner, progress, full_data(progress))


# --- photos ----------------------------------------------------------------------------------

def test_photos_are_checked_by_content_and_limited(db, project):
    progress, _final = _reports(project)
    photo = services.add_photo(project.owner, progress, io.BytesIO(PNG), "助餐点开放日", filename="开放日.png")
    assert photo.content_type == "image/png" and photo.caption == "助餐点开放日"
    with pytest.raises(ValidationError):  # a PDF is not a photo
        services.add_photo(project.owner, progress, io.BytesIO(b"%PDF-1.4\n%%EOF\n"), filename="x.pdf")
    with pytest.raises(ValidationError):  # a lying extension
        services.add_photo(project.owner, progress, io.BytesIO(PNG), filename="photo.jpg")
    for i in range(services.MAX_PHOTOS - 1):
        services.add_photo(project.owner, progress, io.BytesIO(PNG), filename=f"{i}.png")
    with pytest.raises(Conflict):
        services.add_photo(project.owner, progress, io.BytesIO(PNG), filename="13.png")
    services.remove_photo(project.owner, photo)
    assert db.session.scalar(select(func.count(ReportPhoto.id))) == services.MAX_PHOTOS - 1


# --- submitting ------------------------------------------------------------------------------

def test_submit_needs_a_complete_report(db, project):
    progress, _final = _reports(project)
    with pytest.raises(ValidationError) as caught:
        services.submit(project.owner, progress)
    assert "执行情况" in caught.value.message and "助餐服务人次" in caught.value.message
    assert progress.status == ReportStatus.DRAFT


def test_submit_tells_the_officers(db, project):
    progress, _final = _submitted_progress(project)
    assert progress.status == ReportStatus.SUBMITTED and progress.submitted_by_id == project.owner.id
    assert len(_notifications(project.officer, "report.submitted")) == 1
    with pytest.raises(Conflict):
        services.submit(project.owner, progress)


def test_no_report_before_the_agreement_is_signed(db, project):
    project.agreement.status = AgreementStatus.UPLOADED
    progress, _final = _reports(project)
    services.save_report(project.owner, progress, full_data(progress))
    with pytest.raises(Conflict):
        services.submit(project.owner, progress)
    assert progress.status == ReportStatus.DRAFT


def test_the_final_report_only_after_the_progress_report_is_accepted(db, project):
    progress, final = _submitted_progress(project)
    services.save_report(project.owner, final, full_data(final))
    with pytest.raises(Conflict) as caught:
        services.submit(project.owner, final)
    assert "中期报告" in caught.value.message
    services.accept(project.officer, progress)
    services.submit(project.owner, final)
    assert final.status == ReportStatus.SUBMITTED


# --- review ----------------------------------------------------------------------------------

def test_accepting_the_progress_report_makes_the_second_installment_due(db, project):
    progress, _final = _submitted_progress(project)
    first, second, third = project.installments
    assert second.status == InstallmentStatus.WAITING
    services.accept(project.officer, progress, comment="执行规范。")
    db.session.expire_all()
    assert progress.status == ReportStatus.ACCEPTED and progress.rating is None
    assert progress.reviewed_by_id == project.officer.id and progress.review_comment == "执行规范。"
    assert second.status == InstallmentStatus.DUE and second.due_at is not None
    assert third.status == InstallmentStatus.WAITING
    assert len(_notifications(project.owner, "report.accepted")) == 1
    with pytest.raises(Conflict):  # accepted once: the trigger fires once
        services.accept(project.officer, progress)


def test_accepting_the_final_report_needs_a_passing_rating_and_makes_the_last_installment_due(db, project):
    progress, final = _submitted_progress(project)
    services.accept(project.officer, progress)
    services.save_report(project.owner, final, full_data(final))
    services.submit(project.owner, final)
    for rating in (None, "", "fail", ReportRating.FAIL, "great"):
        with pytest.raises(ValidationError):
            services.accept(project.officer, final, rating=rating)
    assert final.status == ReportStatus.SUBMITTED
    services.accept(project.officer, final, rating="good")
    db.session.expire_all()
    assert final.status == ReportStatus.ACCEPTED and final.rating == ReportRating.GOOD
    assert project.installments[2].status == InstallmentStatus.DUE
    assert services.certificate_available(final)


def test_only_the_funders_program_officers_review(db, project):
    progress, _final = _submitted_progress(project)
    for user in (project.owner, project.finance, make_user()):
        with pytest.raises(PermissionDenied):
            services.accept(user, progress)
    assert progress.status == ReportStatus.SUBMITTED


def test_return_and_resubmit(db, project):
    progress, _final = _submitted_progress(project)
    with pytest.raises(ValidationError):
        services.return_report(project.officer, progress, "  ")
    first_submission = progress.first_submitted_at
    assert first_submission is not None and progress.times_returned == 0
    services.return_report(project.officer, progress, "请补充志愿者探访的签到记录。")
    assert progress.status == ReportStatus.RETURNED
    assert progress.review_comment == "请补充志愿者探访的签到记录。"
    assert progress.times_returned == 1
    body = _notifications(project.owner, "report.returned")[0].body
    assert "请补充志愿者探访的签到记录" in body
    data = full_data(progress)
    data["narrative"] += "\n已补充签到记录。"
    services.save_report(project.owner, progress, data)
    services.submit(project.owner, progress)
    assert progress.status == ReportStatus.SUBMITTED
    assert "重新提交" in _notifications(project.officer, "report.submitted")[-1].body
    # Lateness is judged on the first submission: resubmitting does not move it.
    assert progress.first_submitted_at == first_submission and progress.times_returned == 1
    actions = [e.after["status"] for e in services.history(progress)]
    assert actions == ["submitted", "returned", "submitted"]


def test_a_failed_midterm_withholds_the_remaining_installments(db, project):
    progress, _final = _submitted_progress(project)
    services.fail(project.officer, progress, "服务人次严重不足，资金使用不规范。")
    db.session.expire_all()
    assert progress.status == ReportStatus.FAILED and progress.rating == ReportRating.FAIL
    first, second, third = project.installments
    assert (second.status, third.status) == (InstallmentStatus.WITHHELD, InstallmentStatus.WITHHELD)
    assert first.status == InstallmentStatus.WITHHELD  # it was DUE, never requested
    assert "服务人次严重不足" in second.withheld_reason
    assert len(_notifications(project.owner, "report.failed")) == 1


def test_a_failed_final_report_leaves_the_last_installment_unpaid(db, project):
    progress, final = _submitted_progress(project)
    services.accept(project.officer, progress)
    services.save_report(project.owner, final, full_data(final))
    services.submit(project.owner, final)
    services.fail(project.officer, final, "结项指标完成率不足一半。")
    db.session.expire_all()
    assert final.rating == ReportRating.FAIL
    assert project.installments[2].status == InstallmentStatus.WITHHELD
    assert not services.certificate_available(final)


def test_out_of_order_reviews_are_refused_and_write_nothing(db, project):
    progress, _final = _reports(project)
    before = db.session.scalar(select(func.count(AuditEntry.id)))
    for action in (lambda: services.accept(project.officer, progress),
                   lambda: services.return_report(project.officer, progress, "理由写在这里。"),
                   lambda: services.fail(project.officer, progress, "理由写在这里。")):
        with pytest.raises(Conflict):
            action()
    assert progress.status == ReportStatus.DRAFT
    assert db.session.scalar(select(func.count(AuditEntry.id))) == before


# --- reminders -------------------------------------------------------------------------------

def _at(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 2, 0, tzinfo=timezone.utc)  # 10:00 in Beijing


def test_reminders_only_for_due_and_overdue_reports_and_once_each(db, project):
    progress, final = _reports(project)   # due 2026-07-02 and 2027-01-15
    assert services.send_report_reminders(_at(date(2026, 6, 1))) == 0          # a month ahead
    assert services.send_report_reminders(_at(date(2026, 6, 26))) == 1         # within 7 days
    assert services.send_report_reminders(_at(date(2026, 6, 27))) == 0         # sent already
    assert services.send_report_reminders(_at(date(2026, 7, 3))) == 1          # overdue now
    assert services.send_report_reminders(_at(date(2026, 7, 20))) == 0
    titles = [n.title for n in _notifications(project.owner, "report.reminder")]
    assert len(titles) == 2 and "即将到期" in titles[0] and "已逾期" in titles[1]
    services.save_report(project.owner, progress, full_data(progress))
    services.submit(project.owner, progress)
    # A submitted report is not chased; the final report is, near its own date.
    assert services.send_report_reminders(_at(date(2027, 1, 10))) == 1
    assert services.send_report_reminders(_at(date(2027, 1, 10) + timedelta(days=30))) == 1


def test_reminders_create_the_reports_of_signed_agreements(db, project):
    assert db.session.scalar(select(func.count(Report.id))) == 0
    services.send_report_reminders(_at(date(2026, 1, 2)))
    assert db.session.scalar(select(func.count(Report.id)).where(Report.award_id == project.award.id)) == 2
