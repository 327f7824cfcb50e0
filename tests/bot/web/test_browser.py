"""The dashboard in a real browser: Debian's Chromium, headless, driven by Selenium through its
chromedriver, against `posukk web` started as a process on a copy of the test world.

One browser for the whole module. Any error in the browser's console fails the test that
caused it (a refused page's own status line excepted, where the refusal is the point).
Screenshots at 360 and 1280 pixels are saved under `test-artifacts/browser/` (or
`$POSUKK_TEST_ARTIFACTS`). There is no skip: without Chromium the tests fail and say why
(`make test` installs it first, see `.ci/chromium`).
"""

from __future__ import annotations

import asyncio
import io
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from openpyxl import load_workbook
from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException, WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.command import Command
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.ui import Select, WebDriverWait

from bot.base.settings import Settings
from bot.core.engine import Engine
from bot.storage.database import Database
from handlers import CONVERSATIONS
from tests.bot.web.conftest import KNOWLEDGE, LINK, TEXTS, Reports, ref_of
from tests.conftest import Person, new_database
from tests.postgres import PostgresServer

ROOT = Path(__file__).resolve().parents[3]
CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
PAGE_LIMIT = 300 * 1024
WIDTHS = (360, 1280)
WAIT_SECONDS = 20.0


def artifacts() -> Path:
    folder = Path(os.environ.get("POSUKK_TEST_ARTIFACTS", ROOT / "test-artifacts")) / "browser"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Dashboard:
    base: str
    path: Path | str
    folder: Path
    reports: Reports

    def link(self, persona: str) -> str:
        """The link `/web` gives `persona` in the chat, now (the server runs on real time)."""

        async def ask() -> str:
            database = await Database.open(self.path)
            try:
                settings = Settings(data_dir=self.folder, web_base_url=self.base)
                engine = Engine(database, TEXTS, settings, KNOWLEDGE, CONVERSATIONS)
                who = Person(engine, ref_of(persona))
                replies = await who.say("/web")
            finally:
                await database.close()
            found = LINK.search(replies[0].text)
            assert found is not None, replies[0].text
            return found.group(1)

        return asyncio.run(ask())


@pytest.fixture(scope="module")
def dashboard(
    world: tuple[Path | str, Reports],
    tmp_path_factory: pytest.TempPathFactory,
    postgres_server: PostgresServer | None,
) -> Iterator[Dashboard]:
    source, reports = world
    folder = tmp_path_factory.mktemp("browser-site")
    path = new_database(postgres_server, folder, source)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "POSUKK_WEB_PORT": str(port),
        "POSUKK_WEB_BASE_URL": base,
        "POSUKK_DATA_DIR": str(folder),
    }
    with subprocess.Popen(
        [sys.executable, "-m", "bot.app.cli", "web", "--db", str(path)],
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    ) as server:
        try:
            assert server.stderr is not None
            started = server.stderr.readline()
            assert "Dasbor web" in started, started + server.stderr.read()
            yield Dashboard(base, path, folder, reports)
        finally:
            server.terminate()


class Browser(webdriver.Chrome):
    downloads: Path
    """Where downloaded files land."""

    def console(self) -> list[dict[str, str]]:
        """The console's entries since the last call."""
        return list(self.execute(Command.GET_LOG, {"type": "browser"})["value"])


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Browser]:
    missing = [str(p) for p in (CHROMIUM, CHROMEDRIVER) if not p.exists()]
    if missing:
        pytest.fail(
            f"the browser tests need Debian's chromium and chromium-driver ({', '.join(missing)}"
            " missing): `make test` installs them with .ci/chromium, or run"
            " `apt-get install chromium chromium-driver`"
        )
    downloads = tmp_path_factory.mktemp("downloads")
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for argument in (
        "--headless=new",
        "--no-sandbox",  # the CI runs as root
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--disable-extensions",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--window-size=1280,900",
    ):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    options.add_experimental_option(
        "prefs",
        {"download.default_directory": str(downloads), "download.prompt_for_download": False},
    )
    driver = Browser(options=options, service=Service(executable_path=str(CHROMEDRIVER)))
    driver.execute_cdp_cmd(
        "Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)}
    )
    driver.downloads = downloads
    try:
        yield driver
    finally:
        driver.quit()


def console_errors(driver: Browser, refused: str = "") -> list[str]:
    """The console's errors since the last call; a refused page's own status line is allowed
    when `refused` (its address) is given."""
    found = []
    for entry in driver.console():
        if entry["level"] != "SEVERE":
            continue
        if refused and entry["source"] == "network" and refused in entry["message"]:
            continue
        found.append(f"{entry['source']}: {entry['message']}")
    return found


def page_weight(driver: Browser) -> int:
    """Bytes the page and everything it loaded took over the wire (decoded sizes)."""
    sizes = driver.execute_script(
        "return performance.getEntries()"
        ".filter(e => e.decodedBodySize !== undefined).map(e => e.decodedBodySize)"
    )
    return int(sum(sizes))


def screenshots(driver: Browser, name: str) -> None:
    """The whole page at each width, as a phone (360) and an office screen (1280) show it."""
    for width in WIDTHS:
        driver.execute_cdp_cmd(
            "Emulation.setDeviceMetricsOverride",
            {"width": width, "height": 800, "deviceScaleFactor": 1, "mobile": width < 600},
        )
        height = int(driver.execute_script("return document.documentElement.scrollHeight"))
        driver.execute_cdp_cmd(
            "Emulation.setDeviceMetricsOverride",
            {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 600},
        )
        path = artifacts() / f"{name}-{width}.png"
        path.write_bytes(driver.get_screenshot_as_png())
        assert path.stat().st_size > 1000
        if width < 600:
            overflow = driver.execute_script(
                "return document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
            assert overflow <= 0, f"{name} scrolls sideways at {width} px"
    driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


def visit(driver: Browser, address: str, refused: bool = False) -> None:
    driver.get(address)
    assert console_errors(driver, address if refused else "") == []
    assert page_weight(driver) < PAGE_LIMIT


def follow(driver: Browser, element: WebElement) -> None:
    """Click `element` and wait for the page it leads to (a click does not always wait)."""
    old = driver.find_element(By.TAG_NAME, "html")
    element.click()
    WebDriverWait(driver, WAIT_SECONDS).until(lambda _: gone(old))
    WebDriverWait(driver, WAIT_SECONDS).until(
        lambda d: d.execute_script("return document.readyState") == "complete"
    )
    assert console_errors(driver) == []


def gone(element: WebElement) -> bool:
    """Whether `element` left the page: `staleness_of`, and also when chromedriver, asked in the
    middle of the page's change, answers that the node no longer belongs to the document."""
    try:
        element.is_enabled()
    except StaleElementReferenceException:
        return True
    except WebDriverException as error:
        if "does not belong to the document" in (error.msg or ""):
            return True
        raise
    return False


def heading(driver: Browser) -> str:
    return str(driver.find_element(By.TAG_NAME, "h1").text)


def wait_for_file(folder: Path, suffix: str) -> Path:
    """The downloaded file, once complete: Chrome reserves the final name with an empty file
    and writes a `.crdownload` beside it until the end."""
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        files = list(folder.iterdir())
        done = [p for p in files if p.suffix == suffix and p.stat().st_size > 0]
        if done and not [p for p in files if p.suffix == ".crdownload"]:
            return done[0]
        time.sleep(0.1)
    raise AssertionError(
        f"no {suffix} file downloaded in {WAIT_SECONDS} s: {list(folder.iterdir())}"
    )


def test_an_officer_logs_in_filters_opens_a_report_and_downloads(
    dashboard: Dashboard, browser: Browser
) -> None:
    link = dashboard.link("andi")
    visit(browser, link)
    follow(browser, browser.find_element(By.ID, "login"))
    assert browser.current_url == f"{dashboard.base}/"
    assert heading(browser) == "Ringkasan: Berau, Kota Bontang"
    assert browser.find_element(By.ID, "waiting").text == "5"
    screenshots(browser, "ringkasan")

    follow(browser, browser.find_element(By.LINK_TEXT, "Laporan"))
    Select(browser.find_element(By.ID, "filter-period")).select_by_value("all")
    Select(browser.find_element(By.ID, "filter-sector")).select_by_value("sawit")
    follow(browser, browser.find_element(By.ID, "apply"))
    assert "sector=sawit" in browser.current_url
    listed = {a.text for a in browser.find_elements(By.CSS_SELECTOR, "#reports a")}
    assert listed == {f"UKK-26-{n:06d}" for n in dashboard.reports.plantation}
    screenshots(browser, "laporan")

    first = f"UKK-26-{dashboard.reports.plantation[0]:06d}"
    follow(browser, browser.find_element(By.LINK_TEXT, first))
    assert heading(browser) == f"Laporan {first}"
    assert "Pak Rahmat: melapor" in browser.find_element(By.ID, "timeline").text
    screenshots(browser, "laporan-detail")

    browser.back()  # to the filtered list: its downloads carry the filters
    download = WebDriverWait(browser, WAIT_SECONDS).until(
        lambda d: d.find_element(By.ID, "download-xlsx")
    )
    assert "sector=sawit" in str(download.get_attribute("href"))
    download.click()
    workbook = wait_for_file(browser.downloads, ".xlsx")
    sheets = load_workbook(io.BytesIO(workbook.read_bytes()))
    rows = list(sheets.worksheets[0].iter_rows(min_row=2, values_only=True))
    assert {row[0] for row in rows} == {f"UKK-26-{n:06d}" for n in dashboard.reports.plantation}
    assert console_errors(browser) == []

    for page, name in (
        ("/grup/1", "grup"),
        ("/kegiatan", "kegiatan"),
        ("/siaran", "siaran"),
        ("/peta", "peta"),
    ):
        visit(browser, dashboard.base + page)
        screenshots(browser, name)
    assert len(browser.find_elements(By.CSS_SELECTOR, "#map circle")) == 3

    visit(browser, link, refused=True)  # the link again, as someone who kept the message
    assert "sudah dipakai" in browser.find_element(By.ID, "message").text
    assert not browser.find_elements(By.ID, "login")


def test_a_kader_cannot_open_another_groups_pages(dashboard: Dashboard, browser: Browser) -> None:
    browser.delete_all_cookies()
    visit(browser, dashboard.link("sari"))
    follow(browser, browser.find_element(By.ID, "login"))
    assert heading(browser) == "Ringkasan: Kota Bontang"
    other_report = dashboard.reports.plantation[0]
    for page in ("/grup/2", f"/laporan/{other_report}", "/laporan?group=2"):
        visit(browser, dashboard.base + page, refused=True)
        assert browser.find_element(By.ID, "message").text == "Halaman ini di luar wilayah Anda."
        assert browser.find_elements(By.LINK_TEXT, "Ringkasan"), "the menu leads back"
    visit(browser, dashboard.base + f"/laporan/{dashboard.reports.anonymous}")
    assert browser.find_element(By.ID, "reporter").text == "anonim (-)"
    screenshots(browser, "kader-laporan-anonim")
