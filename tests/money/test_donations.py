"""Donation services: amounts, the PENDING row before Stripe, the Checkout Session request
(idempotency key, methods, CNY, fen), Stripe failures, progress from the ledger, tokens,
the receipt PDF and the staff queries."""
from __future__ import annotations

import shutil
import subprocess

import pytest

from app.core.errors import Conflict, ValidationError
from app.extensions import db as _db
from app.money import donations as service
from app.money.models import Donation, DonationStatus, FundSourceKind
from app.money.receipt_pdf import render_receipt
from tests.factories import make_admin, make_funder, make_fund_source, make_staff
from tests.money.fake_stripe import fake_stripe, fake_stripe_server, stripe_on  # noqa: F401


@pytest.fixture
def fund(db):
    return make_fund_source(make_funder(name="阳光社区发展基金会"), amount_fen=0, appropriate=False,
                            kind=FundSourceKind.DONATION, name="阳光社区发展基金", accepts_donations=True,
                            donation_target_fen=5_000_000)


def _paid(fund, amount_fen=20_000, name="王先生", session="cs_x"):
    from app.money import ledger

    donation = Donation(fund_source_id=fund.id, amount_fen=amount_fen, donor_name=name,
                        donor_email="wang@example.cn", checkout_session_id=f"{session}_{fund.id}_{amount_fen}")
    _db.session.add(donation)
    _db.session.flush()
    donation.entry_id = ledger.donate(fund, amount_fen, source=("donation", donation.id)).id
    donation.status, donation.paid_at = DonationStatus.PAID, service.utcnow()
    donation.receipt_number = service.receipt_number_for(donation, donation.paid_at)
    _db.session.flush()
    return donation


@pytest.mark.parametrize("text,fen", [("200", 20_000), ("1", 100), ("50000", 5_000_000), ("88.88", 8_888),
                                      ("¥1,000.5", 100_050)])
def test_amounts_accepted(app, text, fen):
    with app.test_request_context():
        assert service.parse_amount(text) == fen


@pytest.mark.parametrize("text", ["", "0", "0.99", "50000.01", "１００", "12.345", "-5", "1e3", "abc", "NaN"])
def test_amounts_refused_with_a_message_on_the_amount_field(app, text):
    with app.test_request_context():
        with pytest.raises(ValidationError) as err:
            service.parse_amount(text)
    assert err.value.field == "amount" and err.value.message


def test_limits_follow_the_configuration(app, monkeypatch):
    monkeypatch.setitem(app.config, "DONATION_MIN_YUAN", 10)
    monkeypatch.setitem(app.config, "DONATION_MAX_YUAN", 100)
    with app.test_request_context():
        with pytest.raises(ValidationError):
            service.parse_amount("9.99")
        with pytest.raises(ValidationError):
            service.parse_amount("100.01")
        assert service.parse_amount("100") == 10_000


def test_without_keys_nothing_is_written(app, fund):
    with app.test_request_context():
        assert not service.online_giving_enabled()
        with pytest.raises(Conflict):
            service.start_donation(fund, amount="200")
    assert _db.session.query(Donation).count() == 0


def test_fund_not_taking_donations_is_refused(app, stripe_on):
    other = make_fund_source(make_funder(), accepts_donations=False)
    with app.test_request_context():
        with pytest.raises(Conflict):
            service.start_donation(other, amount="200")


def test_pending_row_then_checkout_session_with_idempotency_key(app, fund, stripe_on):
    with app.test_request_context():
        donation = service.start_donation(fund, amount="200", donor_name="  李女士 ", donor_email="Li@Example.cn",
                                          message="加油")
        assert donation.id and donation.status == DonationStatus.PENDING and donation.checkout_session_id is None
        url = service.open_checkout(donation, success_url="http://x/thanks", cancel_url="http://x/fund")
    assert donation.donor_name == "李女士" and donation.donor_email == "li@example.cn"
    (request,) = stripe_on.creates()
    assert request.headers["idempotency-key"] == f"donation-{donation.id}"
    form = request.form
    assert form["mode"] == "payment" and form["currency"] == "cny"
    assert [form[f"payment_method_types[{i}]"] for i in range(3)] == ["card", "alipay", "wechat_pay"]
    assert form["payment_method_options[wechat_pay][client]"] == "web"
    assert form["line_items[0][price_data][unit_amount]"] == "20000"
    assert form["line_items[0][price_data][currency]"] == "cny"
    assert "阳光社区发展基金" in form["line_items[0][price_data][product_data][name]"]
    assert form["client_reference_id"] == str(donation.id) and form["metadata[donation_id]"] == str(donation.id)
    assert form["success_url"] == "http://x/thanks" and form["cancel_url"] == "http://x/fund"
    assert form["customer_email"] == "li@example.cn"
    assert donation.checkout_session_id in stripe_on.sessions and url.endswith(donation.checkout_session_id)


def test_anonymous_donation_keeps_no_name(app, fund, stripe_on):
    with app.test_request_context():
        donation = service.start_donation(fund, amount="10", donor_name="不想公开", anonymous=True)
        assert donation.donor_name == "" and service.donor_label(donation) == "匿名"


def test_stripe_error_marks_expired_and_says_so(app, fund, stripe_on):
    stripe_on.fail_next = (400, "invalid_request_error", "The currency cny is not supported for this account")
    with app.test_request_context():
        donation = service.start_donation(fund, amount="200")
        with pytest.raises(Conflict) as err:
            service.open_checkout(donation, success_url="http://x/t", cancel_url="http://x/f")
    assert "没有扣款" in err.value.message
    assert donation.status == DonationStatus.EXPIRED and donation.checkout_session_id is None


def test_unreachable_stripe_marks_expired(app, fund, stripe_on, monkeypatch):
    monkeypatch.setitem(app.config, "STRIPE_API_BASE", "http://127.0.0.1:9")   # nothing listens there
    monkeypatch.setattr("app.money.stripe_client.MAX_NETWORK_RETRIES", 0)
    with app.test_request_context():
        donation = service.start_donation(fund, amount="200")
        with pytest.raises(Conflict):
            service.open_checkout(donation, success_url="http://x/t", cancel_url="http://x/f")
    assert donation.status == DonationStatus.EXPIRED


def test_checkout_state_follows_the_session(app, fund, stripe_on):
    with app.test_request_context():
        donation = service.start_donation(fund, amount="200")
        service.open_checkout(donation, success_url="http://x/t", cancel_url="http://x/f")
        state = service.checkout_state(donation)
        assert state.status == "open" and state.url.endswith(donation.checkout_session_id)
        stripe_on.complete(donation.checkout_session_id)
        assert service.checkout_state(donation).status == "complete"
        donation.checkout_session_id = "cs_unknown"
        assert service.checkout_state(donation).status == "unknown"


def test_progress_counts_paid_donations_from_the_ledger(app, fund):
    other = make_fund_source(fund.funder, amount_fen=0, appropriate=False, accepts_donations=True)
    _paid(fund, 20_000)
    _paid(fund, 30_050)
    _db.session.add(Donation(fund_source_id=fund.id, amount_fen=99_900, status=DonationStatus.PENDING))
    _db.session.flush()
    result = service.progress([fund, other])
    assert result[fund.id].raised_fen == 50_050 and result[fund.id].donors == 2
    assert result[fund.id].percent == 1   # 50,050 of 5,000,000 fen
    assert result[other.id].raised_fen == 0 and result[other.id].percent == 0
    assert [d.amount_fen for d in service.recent_donations(fund)] == [30_050, 20_000]


def test_tokens_round_trip_and_refuse_forgery(app, fund):
    donation = _paid(fund)
    with app.test_request_context():
        token = service.donation_token(donation)
        assert service.donation_from_token(token) is donation
        assert service.donation_from_token(token[:-2] + "xx") is None
        assert service.donation_from_token(str(donation.id)) is None


def test_receipt_pdf_text(app, fund):
    if not shutil.which("pdftotext"):
        pytest.fail("pdftotext (poppler-utils) is needed to read the receipt")
    donation = _paid(fund, 20_050, name="王先生")
    with app.test_request_context():
        data = render_receipt(donation)
    text = subprocess.run(["pdftotext", "-layout", "-", "-"], input=data, capture_output=True, check=True).stdout.decode()
    compact = "".join(text.split())
    for expected in ("捐赠票据", donation.receipt_number, "王先生", "¥200.50", "人民币贰佰元伍角整",
                     "阳光社区发展基金", "阳光社区发展基金会", "不是税务发票", "公益事业捐赠票据", "感谢"):
        assert expected in compact, expected


def test_receipt_of_anonymous_donor_says_anonymous(app, fund):
    donation = _paid(fund, 10_000, name="")
    with app.test_request_context():
        data = render_receipt(donation)
    text = subprocess.run(["pdftotext", "-", "-"], input=data, capture_output=True, check=True).stdout.decode()
    assert "匿名" in text


def test_staff_see_their_funders_donations_only(app, fund):
    mine = _paid(fund, 20_000, name="王先生")
    _db.session.add(Donation(fund_source_id=fund.id, amount_fen=5_000, donor_name="赵", status=DonationStatus.EXPIRED))
    other_fund = make_fund_source(make_funder(), amount_fen=0, appropriate=False, accepts_donations=True)
    theirs = _paid(other_fund, 70_000, name="钱")
    officer = make_staff(fund.funder)
    assert {d.id for d in _db.session.scalars(service.staff_donations(officer))} >= {mine.id}
    assert theirs.id not in {d.id for d in _db.session.scalars(service.staff_donations(officer))}
    assert [f.id for f in service.staff_funds(officer)] == [fund.id]
    totals = service.staff_totals(officer)
    assert totals[DonationStatus.PAID] == (1, 20_000) and totals[DonationStatus.EXPIRED] == (1, 5_000)
    assert [d.id for d in _db.session.scalars(service.staff_donations(officer, q="王"))] == [mine.id]
    assert list(_db.session.scalars(service.staff_donations(officer, q="%"))) == []
    assert [d.id for d in _db.session.scalars(service.staff_donations(officer, status=DonationStatus.PAID))] == [mine.id]
    admin = make_admin()
    assert {mine.id, theirs.id} <= {d.id for d in _db.session.scalars(service.staff_donations(admin))}
