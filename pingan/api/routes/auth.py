"""Logging in and out, and who am I."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response
from pydantic import BaseModel, Field

from pingan.api.deps import CurrentUser, StoreDep
from pingan.governance.audit import Actor, record
from pingan.governance.users import login, logout
from pingan.errors import Unauthenticated

router = APIRouter(prefix="/api", tags=["auth"])


class LoginBody(BaseModel):
    user: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)


@router.post("/login")
def login_route(body: LoginBody, store: StoreDep, response: Response) -> dict[str, Any]:
    """Check a password and open a session; the token also comes back as an HttpOnly cookie."""
    try:
        user, token = login(store, body.user, body.password)
    except Unauthenticated:
        record(store, Actor(body.user), action="login", operation="auth.login", outcome="refused")
        raise
    record(store, Actor(user.user_name, user.role.value), action="login", operation="auth.login")
    response.set_cookie("pingan_session", token, httponly=True, samesite="strict")
    return {"token": token, "user": user.user_name, "role": user.role.value}


@router.post("/logout")
def logout_route(principal: CurrentUser, store: StoreDep, response: Response) -> dict[str, Any]:
    store.con.execute("DELETE FROM sessions WHERE user_name = ?", [principal.user])
    record(store, principal.actor(), action="login", operation="auth.logout")
    response.delete_cookie("pingan_session")
    return {"ok": True}


@router.get("/me")
def me(principal: CurrentUser) -> dict[str, Any]:
    return {"user": principal.user, "role": principal.role.value}


__all__ = ["router", "logout"]
