from flask import render_template
from flask_login import login_required

from app.orgs import bp


@bp.route("/")
def directory():
    return render_template("errors/404.html"), 404


@bp.route("/mine")
@login_required
def mine():
    return render_template("errors/404.html"), 404


@bp.route("/new")
@login_required
def create():
    return render_template("errors/404.html"), 404


@bp.route("/<int:org_id>")
def profile(org_id: int):
    return render_template("errors/404.html"), 404
