from flask import render_template
from flask_login import login_required

from app.admin import bp


@bp.route("/")
@login_required
def index():
    return render_template("errors/404.html"), 404
