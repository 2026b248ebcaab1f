"""Domain events → notifications. Each handler runs inside the emitting transaction: it
only writes inbox rows and queues emails (sent after the commit).

Texts are stored in Chinese whatever language the acting user browses in (force_locale
keeps enum labels such as the screening decision Chinese too).
"""
from __future__ import annotations

from flask_babel import force_locale

from app.core.events import subscribe
from app.notifications.services import (application_link, china_time, finance_officers, notify,
                                        organization_members, program_officers, project_title, shorten)


def _names(application) -> tuple[str, str, str]:
    """(call title, project title, organization name) for a message."""
    return shorten(application.call.title, 80), project_title(application), application.organization.name


@subscribe("application.submitted")
def on_submitted(application, actor=None, resubmission: bool = False, **_):
    call, project, org = _names(application)
    link = application_link(application)
    version = application.current_version
    verb = "重新提交" if resubmission else "提交"
    for member in organization_members(application.organization_id):
        notify(member, "application.submitted", f"申报书已{verb}：{project}",
               f"“{org}”的申报书《{project}》已{verb}至“{call}”（第 {version} 版）。"
               f"我们会尽快进行形式审查，结果将另行通知。", link)
    title = f"申报书已修改并重新提交：{project}" if resubmission else f"新申报书：{project}"
    for officer in program_officers(application.call.funder_id):
        notify(officer, "application.submitted", title,
               f"“{org}”向“{call}”{verb}了申报书《{project}》（第 {version} 版），请及时进行形式审查。",
               link)


@subscribe("application.returned")
def on_returned(application, actor=None, reason: str = "", due_at=None, **_):
    call, project, org = _names(application)
    due_at = due_at or application.correction_due_at
    due = f"请在 {china_time(due_at)}（北京时间）前修改并重新提交。" if due_at else "请修改后重新提交。"
    for member in organization_members(application.organization_id):
        notify(member, "application.returned", f"申报书被退回修改：{project}",
               f"“{org}”向“{call}”提交的申报书《{project}》已被退回修改。\n退回原因：{reason}\n{due}",
               application_link(application))


@subscribe("application.screened")
def on_screened(application, actor=None, decision=None, reason: str = "", **_):
    call, project, org = _names(application)
    with force_locale("zh_CN"):
        label = decision.label if decision is not None else ""
    body = f"“{org}”向“{call}”提交的申报书《{project}》形式审查结果：{label}。"
    if reason:
        body += f"\n说明：{reason}"
    for member in organization_members(application.organization_id):
        notify(member, "application.screened", f"形式审查结果（{label}）：{project}", body,
               application_link(application))


@subscribe("application.withdrawn")
def on_withdrawn(application, actor=None, reason: str = "", **_):
    # Program officers never saw a draft: only a withdrawn submission concerns them.
    if not application.current_version:
        return
    call, project, org = _names(application)
    reason = reason or application.withdraw_reason
    body = f"“{org}”已撤回向“{call}”提交的申报书《{project}》。"
    if reason:
        body += f"\n撤回原因：{reason}"
    for officer in program_officers(application.call.funder_id):
        notify(officer, "application.withdrawn", f"申报书已撤回：{project}", body, application_link(application))


# --- review (issue 4) ------------------------------------------------------------------
# Reviewers of a blind call are told about an application by its code and redacted title.

def _review_label(application) -> str:
    from app.reviews.blind import is_blind, reviewer_label

    return shorten(reviewer_label(application, blind=is_blind(application.call)), 80)


@subscribe("review.recused")
def on_recused(assignment, replacement=None, actor=None, **_):
    application = assignment.application
    call = shorten(application.call.title, 80)
    who = assignment.member.expert.name
    if replacement is not None:
        new = replacement.member.expert
        outcome = f"已改派给 {new.name}。"
        notify(new.user, "review.assigned", f"新的评审任务：{call}",
               f"您被分配评审“{call}”中的申报书 {_review_label(application)}。"
               f"打开前请先声明是否存在利益冲突。", f"/reviews/assignments/{replacement.id}")
    else:
        outcome = "评审小组中没有可改派的专家，请在评审小组页面添加专家或手动分配。"
    for officer in program_officers(application.call.funder_id):
        notify(officer, "review.recused", f"评审专家申请回避：{call}",
               f"{who} 对申报书《{project_title(application)}》声明存在利益冲突并回避。"
               f"\n理由：{assignment.conflict_reason}\n{outcome}", f"/reviews/calls/{application.call_id}/panel")


@subscribe("review.sheet_reopened")
def on_sheet_reopened(sheet, actor=None, reason: str = "", **_):
    assignment = sheet.assignment
    application = assignment.application
    call = shorten(application.call.title, 80)
    notify(assignment.member.expert.user, "review.reopened", f"评分已退回修改：{call}",
           f"评审组长退回了您对申报书 {_review_label(application)} 的评分，请修改后重新提交。\n理由：{reason}",
           f"/reviews/assignments/{assignment.id}")


@subscribe("panel.finalized")
def on_panel_finalized(panel, actor=None, **_):
    call = panel.call
    for officer in program_officers(call.funder_id):
        notify(officer, "panel.finalized", f"专家评审已结束：{shorten(call.title, 80)}",
               f"评审组长已确认“{shorten(call.title, 80)}”的全部评分，排名和推荐名单已生成。"
               f"请核对评审结果（可调整资助金额并说明理由），然后发布公示。",
               f"/reviews/calls/{call.id}/results", dedupe_key=f"panel-finalized:{panel.id}")


# --- notice and award (issue 4) ----------------------------------------------------------

@subscribe("notice.objection_filed")
def on_objection_filed(objection, **_):
    call = objection.notice.call
    target = project_title(objection.application) if objection.application else "整体名单"
    body = (f"“{shorten(call.title, 80)}”公示收到一条异议（针对：{shorten(target, 60)}）。\n"
            f"异议人：{objection.name}\n内容：{shorten(objection.content, 300)}\n"
            f"请在结束公示前作出答复，答复内容将公开。")
    for officer in program_officers(call.funder_id):
        notify(officer, "notice.objection", f"新异议：{shorten(call.title, 60)}", body,
               f"/notices/{call.id}#objection-{objection.id}")


@subscribe("notice.objection_answered")
def on_objection_answered(objection, cancelled: bool = False, **_):
    if not cancelled:
        return
    application = objection.application
    call = objection.notice.call
    project = project_title(application)
    body = (f"“{shorten(call.title, 80)}”公示期间，针对项目《{project}》的异议经核实成立，"
            f"该项目的拟立项资格已被取消。\n答复：{objection.answer}")
    for member in organization_members(application.organization_id):
        notify(member, "notice.cancelled", f"拟立项资格已取消：{project}", body, f"/notices/{call.id}")


@subscribe("awards.decided")
def on_awards_decided(call, awards=(), rejected=(), **_):
    from app.core.money import format_fen

    title = shorten(call.title, 80)
    for award in awards:
        application = award.application
        project = project_title(application)
        body = (f"“{application.organization.name}”申报的项目《{project}》经公示，已在“{title}”中立项。\n"
                f"立项编号：{award.number}\n资助金额：{format_fen(award.amount_fen)}\n"
                f"请下载立项通知书和资助协议，签字盖章后上传协议签署件。")
        for member in organization_members(application.organization_id):
            notify(member, "award.awarded", f"项目已立项：{project}", body,
                   f"/awards/{award.id}/agreement", dedupe_key=f"award:{award.id}")
    for application in rejected:
        project = project_title(application)
        body = (f"“{application.organization.name}”申报的项目《{project}》在“{title}”中未获立项。"
                f"感谢您的参与，欢迎关注后续征集。")
        for member in organization_members(application.organization_id):
            notify(member, "award.rejected", f"未获立项：{project}", body,
                   application_link(application), dedupe_key=f"rejected:{application.id}")


@subscribe("expert.declined")
def on_expert_declined(user, reason: str = "", **_):
    notify(user, "expert.declined", "专家库入库申请未通过",
           f"您申请加入专家库未获通过。\n原因：{reason}\n您可以修改专家资料后重新申请。", "/reviews/me")


# --- agreements and disbursement (issue 5) ------------------------------------------------

def _award_names(award) -> tuple[str, str]:
    return award.number, project_title(award.application)


@subscribe("agreement.uploaded")
def on_agreement_uploaded(award, agreement=None, actor=None, **_):
    number, project = _award_names(award)
    for officer in program_officers(award.call.funder_id):
        notify(officer, "agreement.uploaded", f"协议签署件待确认：{number}",
               f"“{award.organization.name}”已上传项目《{project}》的协议签署件，请核对后确认生效或退回。",
               f"/awards/{award.id}/agreement")


@subscribe("agreement.refused")
def on_agreement_refused(award, agreement=None, actor=None, reason: str = "", **_):
    number, project = _award_names(award)
    for member in organization_members(award.organization_id):
        notify(member, "agreement.refused", f"协议签署件被退回：{number}",
               f"项目《{project}》的协议签署件被资助方退回，请按意见重新上传。\n原因：{reason}",
               f"/awards/{award.id}/agreement")


@subscribe("agreement.signed")
def on_agreement_signed(award, agreement=None, actor=None, **_):
    number, project = _award_names(award)
    for member in organization_members(award.organization_id):
        notify(member, "agreement.signed", f"协议已生效：{number}",
               f"项目《{project}》的协议已经资助方确认生效，首期资金将按拨付计划办理。请按协议约定按时提交中期和结项报告。",
               f"/awards/{award.id}/agreement", dedupe_key=f"agreement-signed:{award.id}")


@subscribe("installment.requested")
def on_installment_requested(installment, actor=None, **_):
    from app.core.money import format_fen

    award = installment.award
    number, project = _award_names(award)
    who = actor.name if actor is not None else "项目主管"
    for user in finance_officers(award.call.funder_id):
        notify(user, "payment.requested", f"待审核拨付：{number} 第 {installment.position} 期",
               f"{who}申请拨付项目《{project}》（{award.organization.name}）第 {installment.position} 期资金 "
               f"{format_fen(installment.amount_fen)}，请审核付款。",
               f"/finance/installments/{installment.id}/approve")


@subscribe("payment.approved")
def on_payment_approved(payment, actor=None, **_):
    from app.core.money import format_fen

    installment = payment.installment
    award = installment.award
    number, project = _award_names(award)
    for member in organization_members(award.organization_id):
        notify(member, "payment.paid", f"资助资金已拨付：{number} 第 {installment.position} 期",
               f"项目《{project}》第 {installment.position} 期资金 {format_fen(payment.amount_fen)} 已于 "
               f"{payment.paid_on.isoformat()} 拨付，付款凭证号 {payment.voucher_number}。",
               f"/finance/payments/{payment.id}/voucher.pdf")


# --- project reports (issue 5) -------------------------------------------------------------

@subscribe("report.notice")
def on_report_notice(report, audience: str, kind: str, title: str, body: str, link: str,
                     dedupe_key=None, sent=None, **_):
    """The reports domain writes its messages; this delivers them to the organization's
    members or the call's program officers."""
    award = report.award
    users = (organization_members(award.organization_id) if audience == "members"
             else program_officers(award.call.funder_id))
    for user in users:
        if notify(user, kind, title, body, link, dedupe_key=dedupe_key) is not None and sent is not None:
            sent.append(user.id)


# --- credit: breaches and bars (issue 6) -----------------------------------------------------

def _org_name(debarment) -> str:
    from app.extensions import db
    from app.orgs.models import Organization

    return db.session.get(Organization, debarment.organization_id).name


@subscribe("breach.recorded")
def on_breach_recorded(debarment, award=None, actor=None, **_):
    funder = debarment.funder.name
    if award is not None:
        number, project = _award_names(award)
        what = f"项目《{project}》（{number}）的资助协议"
    else:
        what = "资助协议"
    for member in organization_members(debarment.organization_id):
        notify(member, "breach.recorded", f"违约记录：{funder}",
               f"{funder}记录了“{_org_name(debarment)}”违反{what}。\n违约情况：{debarment.reason}\n"
               f"{debarment.starts_on.isoformat()} 至 {debarment.ends_on.isoformat()}（不含）期间不能申报{funder}的征集；"
               f"违约记录计入平台信用分。",
               f"/orgs/{debarment.organization_id}/credit", dedupe_key=f"breach:{debarment.id}")


@subscribe("debarment.lifted")
def on_debarment_lifted(debarment, actor=None, **_):
    funder = debarment.funder.name
    for member in organization_members(debarment.organization_id):
        notify(member, "debarment.lifted", f"禁止申报已提前解除：{funder}",
               f"{funder}已于 {debarment.lifted_on.isoformat()} 提前解除对“{_org_name(debarment)}”的禁止申报。\n"
               f"解除原因：{debarment.lift_reason}\n违约记录仍保留在信用记录中。",
               f"/orgs/{debarment.organization_id}/credit", dedupe_key=f"debarment-lifted:{debarment.id}")
