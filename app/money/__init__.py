"""Money (资金): fund sources, the ledger, allocations, award funding, agreements,
installments, maker-checker disbursement, refunds, reconciliation and donations."""
from flask import Blueprint

bp = Blueprint("money", __name__)

from app.money import fund_views  # noqa: E402,F401
from app.money import agreement_views  # noqa: E402,F401
from app.money import disbursement_views  # noqa: E402,F401
from app.money import donation_views  # noqa: E402,F401
