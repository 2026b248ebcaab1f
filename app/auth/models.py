"""Accounts (用户)."""
from __future__ import annotations

import secrets
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import Boolean, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from app.core.db import UTCDateTime, utcnow
from app.extensions import db


def new_session_token() -> str:
    return secrets.token_urlsafe(16)


class User(UserMixin, db.Model):
    __tablename__ = "user"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    name: Mapped[str] = mapped_column(String(50))
    phone: Mapped[str] = mapped_column(String(20), default="")
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    is_active_account: Mapped[bool] = mapped_column(Boolean, default=True)
    email_confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Part of the Flask-Login id: changing it ends every other session of the user.
    session_token: Mapped[str] = mapped_column(String(64), default=new_session_token)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    staff_memberships = relationship(
        "StaffMembership", back_populates="user", cascade="all, delete-orphan", lazy="selectin"
    )
    org_memberships = relationship(
        "OrgMembership", back_populates="user", cascade="all, delete-orphan", lazy="selectin"
    )

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password)

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    def get_id(self) -> str:
        return f"{self.id}:{self.session_token}"

    def rotate_session_token(self) -> None:
        self.session_token = new_session_token()

    @property
    def is_active(self) -> bool:
        return self.is_active_account

    @property
    def is_confirmed(self) -> bool:
        return self.email_confirmed_at is not None

    # Role look-ups used by core.permissions; memberships are loaded with the user.
    def funder_roles(self, funder_id: int) -> set[str]:
        return {m.role.value for m in self.staff_memberships if m.funder_id == funder_id}

    def org_role(self, organization_id: int) -> str | None:
        for m in self.org_memberships:
            if m.organization_id == organization_id:
                return m.role.value
        return None

    @property
    def is_staff(self) -> bool:
        return bool(self.staff_memberships)

    def __repr__(self) -> str:
        return f"<User {self.email}>"
