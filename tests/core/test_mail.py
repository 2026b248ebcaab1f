from app.core.mail import mail, queue_email


def test_mail_goes_out_after_commit_only(app, db, outbox):
    queue_email(db.session, "a@example.cn", "主题", "正文")
    assert outbox == []
    db.session.rollback()
    db.session.commit()
    assert outbox == []  # dropped with the rollback
    queue_email(db.session, "a@example.cn", "主题", "正文")
    db.session.commit()
    assert [m.to for m in outbox] == ["a@example.cn"]


def test_smtp_used_when_configured(app, db, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_SERVER", "smtp.example.cn")
    with mail.record_messages() as sent:
        queue_email(db.session, "b@example.cn", "确认邮箱", "请点击链接")
        db.session.commit()
    assert len(sent) == 1
    assert sent[0].recipients == ["b@example.cn"] and sent[0].subject == "确认邮箱"


def test_without_smtp_the_mail_is_logged(app, db, caplog):
    caplog.set_level("INFO")
    queue_email(db.session, "c@example.cn", "重设密码", "链接在此")
    db.session.commit()
    assert "c@example.cn" in caplog.text and "链接在此" in caplog.text


def test_a_released_savepoint_does_not_send_the_mail(app, db, outbox):
    queue_email(db.session, "d@example.cn", "主题", "正文")
    with db.session.begin_nested():
        pass
    assert outbox == []
    db.session.rollback()
    assert outbox == []  # the request failed after the savepoint: nothing was sent
