"""Domain events → notifications. Each handler runs inside the emitting transaction: it
only writes inbox rows and queues emails (sent after the commit).

Texts are stored in Chinese whatever language the acting user browses in (force_locale
keeps enum labels such as the screening decision Chinese too).
"""
from __future__ import annotations

from flask_babel import force_locale

from app.core.events import subscribe
from app.notifications.services import (application_link, china_time, notify, organization_members,
                                        program_officers, project_title, shorten)


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
