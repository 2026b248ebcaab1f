"""Calls for proposals (项目征集): 公益创投 rounds and 政府购买服务 calls."""
from flask import Blueprint

bp = Blueprint("calls", __name__)

from app.calls import views  # noqa: E402,F401
