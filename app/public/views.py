from flask import render_template
from flask_login import current_user, login_required

from app.public import bp
from app.public import services


@bp.route("/")
def index():
    return render_template("public/index.html", stats=services.home_stats(),
                           recent_orgs=services.recent_organizations())


@bp.route("/dashboard")
@login_required
def dashboard():
    return render_template("public/dashboard.html", **services.dashboard_for(current_user))
