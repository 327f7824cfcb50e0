"""Logging in with `/web`: a link that works once for 15 minutes, a session cookie of 12 hours,
each login audited, attempts limited, and only hashes stored."""

from __future__ import annotations

import datetime as dt

from bot.base.settings import Settings
from bot.storage.records import Role
from scheduler.retention import forget_old_data
from tests.bot.web.conftest import Site


async def test_the_link_logs_in_once(site: Site) -> None:
    link = await site.link("andi")
    browser = site.browser()
    shown = await browser.get(link)
    assert shown.status_code == 200
    assert 'id="login"' in shown.text
    assert "Pak Andi" not in shown.text  # a preview of the link shows nobody's name
    assert "set-cookie" not in shown.headers
    first = await browser.post(link)
    assert first.status_code == 303
    assert first.headers["location"] == "/"
    cookie = first.headers["set-cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie
    assert "Max-Age=43200" in cookie  # 12 hours
    assert "Secure" not in cookie  # served over plain http in this test
    browser.cookies = first.cookies
    page = await browser.get("/")
    assert page.status_code == 200
    assert "Pak Andi" in page.text
    for method in ("GET", "POST"):
        again = await site.browser().request(method, link)
        assert again.status_code == 403
        assert "sudah dipakai" in again.text
        assert "set-cookie" not in again.headers


async def test_opening_the_link_uses_nothing(site: Site) -> None:
    """Chat apps fetch a link to preview it: that GET must leave the link for the person."""
    link = await site.link("sari")
    for _ in range(3):
        assert (await site.browser().get(link)).status_code == 200
    assert (await site.browser().post(link)).status_code == 303
    assert site.rows("SELECT COUNT(*) FROM audit_log WHERE action = 'web-login'") == [(1,)]


async def test_the_cookie_is_secure_when_the_address_is_https(site: Site) -> None:
    link = await site.link("andi")
    response = await site.browser().post(link.replace("http://", "https://"))
    assert response.status_code == 303
    assert "Secure" in response.headers["set-cookie"]


async def test_a_link_expires_after_15_minutes(site: Site) -> None:
    link = await site.link("sari")
    site.clock.advance(minutes=15)
    assert (await site.browser().get(link)).status_code == 403
    assert (await site.browser().post(link)).status_code == 403


async def test_a_link_still_works_just_before_15_minutes(site: Site) -> None:
    link = await site.link("sari")
    site.clock.advance(minutes=14, seconds=59)
    assert (await site.browser().post(link)).status_code == 303


async def test_a_new_link_retires_the_older_one(site: Site) -> None:
    old = await site.link("sari")
    new = await site.link("sari")
    assert (await site.browser().post(old)).status_code == 403
    assert (await site.browser().post(new)).status_code == 303


async def test_the_session_ends_after_12_hours(site: Site) -> None:
    browser = await site.log_in("sari")
    site.clock.advance(hours=11, minutes=59)
    assert (await browser.get("/")).status_code == 200
    site.clock.advance(minutes=1)
    page = await browser.get("/")
    assert page.status_code == 401
    assert "/web" in page.text


async def test_logging_out_ends_the_session(site: Site) -> None:
    browser = await site.log_in("sari")
    cookies = browser.cookies
    response = await browser.post("/keluar")
    assert response.status_code == 200
    assert 'posukk_sesi=""' in response.headers["set-cookie"]
    browser.cookies = cookies  # a copy kept elsewhere is no good any more
    assert (await browser.get("/")).status_code == 401


async def test_a_revoked_role_ends_access_at_once(site: Site) -> None:
    browser = await site.log_in("sari")
    sari = await site.user("sari")
    async with site.database.unit_of_work() as uow:
        (grant,) = [g for g in await uow.roles.active(sari) if g.role is Role.KADER]
        await uow.roles.revoke(grant.id, site.clock())
    assert (await browser.get("/")).status_code == 401


async def test_only_hashes_are_stored_and_every_login_is_audited(site: Site) -> None:
    link = await site.link("andi")
    token = link.rsplit("/", 1)[1]
    response = await site.browser().post(link)
    session = response.cookies["posukk_sesi"]
    stored = site.rows("SELECT token_hash FROM web_links") + site.rows(
        "SELECT token_hash FROM web_sessions"
    )
    assert stored
    assert not [row for row in stored if token in str(row) or session in str(row)]
    andi = await site.user("andi")
    actions = site.rows(
        "SELECT action, subject FROM audit_log WHERE action LIKE 'web-%' ORDER BY id"
    )
    assert actions == [("web-link", f"user:{andi}"), ("web-login", f"user:{andi}")]


async def test_login_attempts_are_limited(site: Site) -> None:
    browser = site.browser()
    refused = [(await browser.get(f"/masuk/tebak{n}")).status_code for n in range(10)]
    assert refused == [403] * 10
    link = await site.link("andi")
    blocked = await browser.post(link)
    assert blocked.status_code == 429
    assert "Terlalu banyak" in blocked.text


async def test_no_page_without_a_session(site: Site) -> None:
    for path in ("/", "/laporan", "/laporan/1", "/laporan/unduh.xlsx", "/grup/1", "/peta"):
        response = await site.browser().get(path)
        assert response.status_code == 401, path
        assert "ketik /web" in response.text
    forged = site.browser()
    forged.cookies.set("posukk_sesi", "x" * 43)
    assert (await forged.get("/")).status_code == 401


async def test_erasure_removes_the_persons_logins(site: Site) -> None:
    browser = await site.log_in("sari")
    sari = await site.user("sari")
    async with site.database.unit_of_work() as uow:
        user = await uow.users.get(sari)
        assert user is not None
        await uow.privacy.erase(user, site.clock())
    assert site.rows("SELECT COUNT(*) FROM web_sessions WHERE user_id = ?", sari) == [(0,)]
    assert site.rows("SELECT COUNT(*) FROM web_links WHERE user_id = ?", sari) == [(0,)]
    assert (await browser.get("/")).status_code == 401


async def test_expired_logins_are_deleted_by_the_daily_job(site: Site) -> None:
    await site.log_in("sari")
    await site.link("andi")
    await forget_old_data(site.database, site.data_dir, site.clock() + dt.timedelta(hours=13), 5)
    assert site.rows("SELECT COUNT(*) FROM web_links") == [(0,)]
    assert site.rows("SELECT COUNT(*) FROM web_sessions") == [(0,)]


def test_links_point_to_the_public_address_or_to_this_machine() -> None:
    assert Settings(web_base_url="https://dasbor.example").web_address == "https://dasbor.example"
    assert Settings(web_port=9000).web_address == "http://localhost:9000"
    assert Settings().web_address == "http://localhost:8090"
