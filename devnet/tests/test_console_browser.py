"""The operator console (issue 17) in a real browser: headless Chromium driven by Selenium.

One `lg-keeper run` with `console.enabled` on a free loopback port, against its own devnode (a USDT
pool, a block every half second) and okxsim, shared by the module's tests, which run in order:
the refusals without a session, a wrong password, the login (a strict, HttpOnly, expiring cookie),
two liquidated claims held for review (`policy.reviewAbove` is low), one approved and paid on-chain,
one rejected and recorded on-chain as "not paid", each decision audited with the operator's name and
note, the claim, payouts and health pages, the verifier on okxsim scenarios (with a key, and with a
vault alias), a bad CSRF token, and no password or OKX secret in the keeper's log.

Every page visited is saved as a PNG in $LGK_SCREENSHOTS (default: a pytest temporary directory,
printed at the end). `make test` installs chromium and chromium-driver (Debian) and Selenium
(pinned in requirements.txt); a missing browser is a failure, not a skip. A bare pytest without a
built keeper skips, as test_chaos does.
"""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path
from typing import Iterator
from urllib.parse import urljoin, urlsplit

import pytest
import requests

from conftest import (DEVNET_DIR, Devnode, keeper_config, leverage_guard, listening, run_devnode, running_keeper, running_okxsim,
                      transact, wait_for)

sys.path.insert(0, str(DEVNET_DIR))
from demo import base_units, scenario  # noqa: E402  (needs the path above)

KEEPER = Path(os.environ.get("LGK_KEEPER", DEVNET_DIR.parent / ".build" / "debug" / "lg-keeper"))
CHROMIUM = Path(os.environ.get("LGK_CHROMIUM", "/usr/bin/chromium"))
CHROMEDRIVER = Path(os.environ.get("LGK_CHROMEDRIVER", "/usr/bin/chromedriver"))
VAULT_KEY = "cd" * 32  # dev only, passed in the environment
API_SECRET = "browser-test-api-secret-0123456789"
OPERATOR, PASSWORD = "olga", "Olga-dev-only-passphrase-7"
APPROVE_NOTE, REJECT_NOTE = "checked the liquidation on OKX", "duplicate of a claim paid off-chain"
# (devnet user, okxsim scenario): two liquidations paying more than reviewAbove, so both are held.
APPROVED = (0, "01-full-liquidation-long.json")
REJECTED = (1, "02-full-liquidation-short.json")
# The verifier's scenarios: one liquidated, one closed by hand.
VERIFIED = ["01-full-liquidation-long.json", "05-manual-close-loss.json"]
POLICY = {"coverageBps": 5000, "maxPayoutPerClaim": "50", "dailyLimit": "100", "minPoolReserve": "0", "reviewAbove": "1"}
SETTLE_S = 120
PAGE_S = 60

pytestmark = pytest.mark.skipif(not KEEPER.is_file(), reason=f"no keeper binary at {KEEPER} (swift build)")


def payout(file: str) -> Decimal:
    """What POLICY pays for a liquidated scenario, in pool units: coverage of min(loss, principal, cap)."""
    s = scenario(file)
    covered = min(Decimal(s["expect"]["loss"]), Decimal(s["claim"]["principal"]), Decimal(POLICY["maxPayoutPerClaim"]))
    return covered * POLICY["coverageBps"] / 10_000


def amounts_in(text: str) -> set[Decimal]:
    return {Decimal(n) for n in re.findall(r"\d+(?:\.\d+)?", text.replace(",", ""))}


def is_amount(text: str, whole: Decimal, decimals: int, currency: str) -> bool:
    """Whether one shown amount is `whole` pool units: "25 USDT" (whole units), "25000000 base units", both
    ("25 USDT (25000000 base units)"), or a bare number of either."""
    shown = text.strip().replace(",", "")
    pattern = rf"(\d+(?:\.\d+)?)(?:\s+({re.escape(currency)}|base units))?"
    parts = re.findall(pattern, shown)
    if not parts or re.sub(pattern, "", shown).strip(" ()") != "":
        return False
    base = whole * 10**decimals
    return all(Decimal(number) == {currency: whole, "base units": base}[unit] if unit else Decimal(number) in (whole, base)
               for number, unit in parts)


def shows_amount(text: str, whole: Decimal, decimals: int) -> bool:
    """Whether `text` shows `whole` pool units, as a decimal amount ("25", "25.00 USDT") or in base units."""
    return bool(amounts_in(text) & {whole, whole * 10**decimals})


@dataclass
class Claim:
    user: str  # lowercase 0x hex
    order: str  # decimal
    file: str

    @property
    def key(self) -> str:
        return f"{self.user}/{self.order}"


@dataclass
class Console:
    """The running stack: devnode, okxsim and `lg-keeper run` serving the console at `base`."""

    node: Devnode
    work: Path
    config: Path
    env: dict
    base: str
    keeper_log: Path
    okx_url: str
    contract: object
    approved: Claim
    rejected: Claim
    form_actions: set = field(default_factory=set)  # POST targets seen in the console's forms

    @property
    def decimals(self) -> int:
        return self.node.deployment["assetDecimals"]

    @property
    def currency(self) -> str:
        return self.node.deployment["assetSymbol"]

    def url(self, path: str) -> str:
        return urljoin(self.base, path)

    def lgk(self, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
        result = subprocess.run([str(KEEPER), *args, "--config", str(self.config)], capture_output=True, text=True,
                                env=self.env, input=stdin, timeout=60)
        assert result.returncode == 0, f"lg-keeper {' '.join(args[:2])} exited {result.returncode}: {result.stderr.strip()}"
        return result

    def claims(self) -> dict[str, dict]:
        return {f"{c['user']}/{c['orderId']}": c for c in json.loads(self.lgk("claims", "list", "--json").stdout)}

    def state(self, claim: Claim) -> str | None:
        return self.claims().get(claim.key, {}).get("state")

    def on_chain(self, claim: Claim) -> dict:
        names = ("principal", "leverage", "requestedAt", "amount", "liquidated", "verified", "claimed", "evidenceRoot")
        values = self.contract.functions.getClaim(self.node.web3().to_checksum_address(claim.user), int(claim.order)).call()
        return dict(zip(names, values))


def file_claim(node: Devnode, contract, user: int, file: str) -> Claim:
    c = scenario(file)["claim"]
    account = node.account("user", user)
    principal = base_units(c["principal"], node.deployment["assetDecimals"])
    receipt = transact(node.web3(), account, contract.functions.requestClaim(int(c["ordId"]), c["instId"], principal, c["leverage"]))
    assert receipt["status"] == 1, receipt
    return Claim(user=account.address.lower(), order=c["ordId"], file=file)


@pytest.fixture(scope="module")
def console(tmp_path_factory) -> Iterator[Console]:
    work = tmp_path_factory.mktemp("console")
    with run_devnode(work, "--pool-token", "--block-time", "0.5") as node, running_okxsim(work) as okx_url:
        config = keeper_config(node, work, okx_url, POLICY, http={"listen": "127.0.0.1:0", "apiSecretEnv": "LGK_API_SECRET"},
                               reconcile={"intervalSeconds": 5, "pauseOnMismatch": True}, vault={"masterKeyEnv": "LGK_VAULT_KEY"},
                               console={"enabled": True})
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(work), "LGK_VAULT_KEY": VAULT_KEY, "LGK_API_SECRET": API_SECRET}
        contract = leverage_guard(node)
        stack = Console(node=node, work=work, config=config, env=env, base="", keeper_log=work / "keeper.log", okx_url=okx_url,
                        contract=contract, approved=None, rejected=None)  # type: ignore[arg-type]
        for user, file in (APPROVED, REJECTED):
            a = scenario(file)["account"]
            stack.lgk("keys", "add", "--wallet", node.deployment["users"][user]["address"], "--alias", alias_of(user, file),
                      stdin=f"{a['apiKey']}\n{a['secretKey']}\n{a['passphrase']}\n")
        stack.lgk("console", "add-operator", OPERATOR, stdin=f"{PASSWORD}\n")
        with running_keeper(KEEPER, config, stack.keeper_log, env) as keeper:
            address = listening(stack.keeper_log, r'msg="http listening" listener=operations address=(\S+)', keeper, "the keeper's HTTP server")
            stack.base = f"http://{address}/"
            stack.approved = file_claim(node, contract, *APPROVED)
            stack.rejected = file_claim(node, contract, *REJECTED)
            wait_for(lambda: stack.state(stack.approved) == "held_review" and stack.state(stack.rejected) == "held_review", SETTLE_S,
                     lambda: f"both claims held for review (reviewAbove {POLICY['reviewAbove']}); the keeper's claims: {stack.claims()}")
            yield stack


# -- the browser ------------------------------------------------------------------------------------


@dataclass
class Screens:
    directory: Path
    count: int = 0


@pytest.fixture(scope="module")
def screens(tmp_path_factory, request) -> Iterator[Screens]:
    configured = os.environ.get("LGK_SCREENSHOTS")
    directory = Path(configured) if configured else tmp_path_factory.mktemp("screens")
    directory.mkdir(parents=True, exist_ok=True)
    for old in directory.glob("console-*.png"):
        old.unlink()
    shots = Screens(directory)
    yield shots
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    if reporter and capture:
        with capture.global_and_fixture_disabled():
            reporter.write_line(f"\n{shots.count} screenshots of the console in {directory}")


@pytest.fixture(scope="module")
def browser():
    missing = [f"{path} (Debian package {package})" for path, package in ((CHROMIUM, "chromium"), (CHROMEDRIVER, "chromium-driver"))
               if not shutil.which(str(path))]
    if missing:
        pytest.fail(f"the browser tests need {' and '.join(missing)}: `make browser-deps` installs them", pytrace=False)
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        pytest.fail("the browser tests need Selenium in the devnet venv: `make venv` installs devnet/requirements.txt", pytrace=False)
    options = webdriver.ChromeOptions()
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,900", "--lang=en-US"):
        options.add_argument(argument)
    options.binary_location = str(CHROMIUM)
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    driver.set_page_load_timeout(PAGE_S)
    try:
        yield driver
    finally:
        driver.quit()


def shot(driver, screens: Screens, name: str) -> Path:
    """Save the whole page, beyond the window, as console-NN-name.png (Chrome's Page.captureScreenshot)."""
    size = driver.execute_cdp_cmd("Page.getLayoutMetrics", {})["cssContentSize"]
    clip = {"x": 0, "y": 0, "width": size["width"], "height": min(size["height"], 8000), "scale": 1}
    png = driver.execute_cdp_cmd("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True, "clip": clip})["data"]
    screens.count += 1
    path = screens.directory / f"console-{screens.count:02d}-{name}.png"
    path.write_bytes(base64.b64decode(png))
    return path


def by_css(driver, selector: str):
    from selenium.webdriver.common.by import By
    return driver.find_elements(By.CSS_SELECTOR, selector)


def one(driver, selector: str, what: str):
    found = by_css(driver, selector)
    assert found, f"no {what} ({selector}) on {driver.current_url}: {visible_text(driver)[:1500]}"
    return found[0]


def visible_text(driver) -> str:
    return driver.execute_script("return document.body ? document.body.innerText : ''")


def path_of(driver) -> str:
    return urlsplit(driver.current_url).path


def click_and_wait(driver, element) -> None:
    """Click what submits a form or follows a link, and wait for the next page to load.

    The old page is marked by a script variable the new one lacks: watching an element of the old page go
    stale races with chromedriver ("Node with given id does not belong to the document").
    """
    from selenium.common.exceptions import WebDriverException
    from selenium.webdriver.support.ui import WebDriverWait

    def arrived(d) -> bool:
        try:
            return d.execute_script("return window.lgkLeft === undefined && document.readyState === 'complete'")
        except WebDriverException:  # between documents
            return False
    driver.execute_script("window.lgkLeft = true")
    element.click()
    WebDriverWait(driver, PAGE_S, poll_frequency=0.1).until(arrived, f"no new page within {PAGE_S}s of the click on {driver.current_url}")


def submit_button(form):
    from selenium.webdriver.common.by import By
    buttons = form.find_elements(By.CSS_SELECTOR, "button[type=submit], input[type=submit], button:not([type])")
    assert buttons, f"a form without a submit button: {form.get_attribute('outerHTML')[:500]}"
    return buttons[0]


def form_of(element):
    from selenium.webdriver.common.by import By
    return element.find_element(By.XPATH, "./ancestor::form")


def remember_forms(driver, console: Console) -> None:
    """Record where the page's POST forms go, for the refusal tests."""
    for form in by_css(driver, "form"):
        if (form.get_attribute("method") or "get").lower() == "post":
            console.form_actions.add(urlsplit(form.get_attribute("action") or driver.current_url).path)


def log_in(driver, console: Console, screens: Screens | None, name: str = OPERATOR, password: str = PASSWORD) -> None:
    driver.get(console.url("console/login"))
    name_field = one(driver, "input[name=name]", "name field")
    name_field.clear()
    name_field.send_keys(name)
    password_field = one(driver, "input[name=password]", "password field")
    assert password_field.get_attribute("type") == "password", "the password field does not hide what is typed"
    password_field.send_keys(password)
    if screens:
        shot(driver, screens, "login")
    remember_forms(driver, console)
    click_and_wait(driver, submit_button(form_of(password_field)))


def ensure_session(driver, console: Console) -> None:
    driver.get(console.url("console/claims"))
    if path_of(driver) == "/console/login":
        log_in(driver, console, None)
        driver.get(console.url("console/claims"))
    assert path_of(driver) == "/console/claims", f"logged in, /console/claims went to {driver.current_url}"


def row(driver, claim: Claim):
    return one(driver, f'[data-claim="{claim.key}"]', f"row of claim {claim.key}")


def column(driver, row_element, heading: str) -> str:
    """The text of `row_element`'s cell under the table heading that starts with `heading` (case-insensitive)."""
    text = driver.execute_script("""
        const row = arguments[0], wanted = arguments[1].toLowerCase();
        const headings = [...row.closest('table').querySelectorAll('thead th, tr:first-child th')];
        const index = headings.findIndex(th => th.innerText.trim().toLowerCase().startsWith(wanted));
        return index < 0 || !row.cells[index] ? null : row.cells[index].innerText.trim();""", row_element, heading)
    assert text is not None, f"no '{heading}' column in the table of the row {row_element.get_attribute('outerHTML')[:300]}"
    return text


def row_state(driver, console: Console, claim: Claim) -> str:
    driver.get(console.url("console/claims"))
    return row(driver, claim).get_attribute("data-state")


def decide(driver, console: Console, screens: Screens, claim: Claim, action: str, note: str) -> None:
    """Approve or reject a held claim as an operator does: its row's button, the confirmation form, a note."""
    ensure_session(driver, console)
    from selenium.webdriver.common.by import By
    button = row(driver, claim).find_elements(By.CSS_SELECTOR, f'[data-action="{action}"]')
    assert button, f"the held claim's row has no {action} button: {row(driver, claim).get_attribute('outerHTML')[:1500]}"
    click_and_wait(driver, button[0])
    note_field = one(driver, "[name=note]", "note field of the confirmation form")
    note_field.send_keys(note)
    assert claim.order in visible_text(driver), f"the confirmation page does not name order {claim.order}"
    shot(driver, screens, f"{action}-confirm")
    remember_forms(driver, console)
    click_and_wait(driver, one(driver, '[data-action="confirm"]', "confirm button"))
    shot(driver, screens, f"{action}-done")


def audit_mentions(console: Console, claim: Claim, *words: str) -> bool:
    shown = console.lgk("claims", "show", claim.user, claim.order, "--json").stdout
    return all(word in shown for word in words)


# -- the tests, in the order they run ----------------------------------------------------------------


def test_without_a_session_pages_redirect_to_login_and_posts_are_refused(console, browser, screens):
    for page in ("console/", "console/claims", f"console/claims/{console.approved.key}", "console/payouts", "console/health", "console/verify"):
        answer = requests.get(console.url(page), allow_redirects=False, timeout=10)
        assert answer.status_code in (302, 303), f"GET /{page} without a session answered {answer.status_code}"
        assert urlsplit(urljoin(console.url(page), answer.headers["Location"])).path == "/console/login", answer.headers["Location"]
    # The actions (the claims' decisions: test_posts_of_every_console_form_need_a_session, once their forms are seen).
    answer = requests.post(console.url("console/verify"), data=verifier_fields(VERIFIED[0]), allow_redirects=False, timeout=10)
    assert answer.status_code == 403, f"POST /console/verify without a session answered {answer.status_code}"
    browser.delete_all_cookies()
    browser.get(console.url("console/claims"))
    assert path_of(browser) == "/console/login", browser.current_url
    one(browser, "input[name=name]", "name field")


def test_a_wrong_password_is_refused(console, browser, screens):
    browser.delete_all_cookies()
    log_in(browser, console, None, password=PASSWORD + "-wrong")
    assert path_of(browser) == "/console/login", f"a wrong password led to {browser.current_url}"
    shot(browser, screens, "login-refused")
    assert PASSWORD not in browser.page_source
    browser.get(console.url("console/claims"))
    assert path_of(browser) == "/console/login", "a wrong password opened a session"
    session = requests.Session()
    session.get(console.url("console/login"), timeout=10)
    answer = session.post(console.url("console/login"), data={"name": OPERATOR, "password": "nope"}, allow_redirects=False, timeout=10)
    assert answer.status_code not in (302, 303) or urlsplit(answer.headers["Location"]).path == "/console/login", answer.status_code
    answer = session.get(console.url("console/claims"), allow_redirects=False, timeout=10)
    assert answer.status_code in (302, 303), f"after a wrong password /console/claims answered {answer.status_code}"


def test_login_opens_a_strict_http_only_session(console, browser, screens):
    browser.delete_all_cookies()
    log_in(browser, console, screens)
    assert path_of(browser).startswith("/console") and path_of(browser) != "/console/login", f"the login led to {browser.current_url}"
    cookies = browser.get_cookies()
    assert cookies, "the login set no cookie"
    for cookie in cookies:
        assert cookie.get("httpOnly") is True, f"cookie {cookie['name']} is not HttpOnly"
        assert cookie.get("sameSite") == "Strict", f"cookie {cookie['name']} is SameSite={cookie.get('sameSite')}"
        assert cookie.get("expiry"), f"cookie {cookie['name']} does not expire"
    shot(browser, screens, "after-login")


def test_the_claims_page_shows_both_held_claims(console, browser, screens):
    ensure_session(browser, console)
    for claim in (console.approved, console.rejected):
        r = row(browser, claim)
        assert r.get_attribute("data-state") == "held_review", r.get_attribute("outerHTML")[:1500]
        text = r.text
        assert "held_review" in text, f"the row does not show the state: {text!r}"
        amount = column(browser, r, "amount")
        assert is_amount(amount, payout(claim.file), console.decimals, console.currency), \
            f"row of {claim.key} shows the amount {amount!r}, not the payout {payout(claim.file)} {console.currency}"
        for action in ("approve", "reject"):
            assert by_css(r, f'[data-action="{action}"]'), f"row of {claim.key} has no {action} button: {r.get_attribute('outerHTML')[:1500]}"
    shot(browser, screens, "claims-held")


def test_approving_a_held_claim_pays_it_on_chain(console, browser, screens):
    claim = console.approved
    decide(browser, console, screens, claim, "approve", APPROVE_NOTE)
    wait_for(lambda: console.on_chain(claim)["claimed"], SETTLE_S, f"claim {claim.key} paid on-chain")
    chain = console.on_chain(claim)
    decimals = console.node.deployment["assetDecimals"]
    assert chain["verified"] and chain["liquidated"] and Decimal(chain["amount"]) / 10**decimals == payout(claim.file), chain
    events = console.contract.events.PayoutExecuted().get_logs(from_block=console.node.deployment["deployBlock"],
                                                              argument_filters={"user": console.node.web3().to_checksum_address(claim.user)})
    assert [e["args"]["orderId"] for e in events] == [int(claim.order)], events
    wait_for(lambda: console.state(claim) == "paid", SETTLE_S, f"claim {claim.key} paid in the keeper's database")
    assert "0x" + chain["evidenceRoot"].hex() == console.claims()[claim.key]["evidenceRoot"], "the chain holds another root than the verdict's"
    assert row_state(browser, console, claim) == "paid"
    shot(browser, screens, "claims-after-approve")
    assert audit_mentions(console, claim, OPERATOR, APPROVE_NOTE), "the approval is not audited with the operator's name and note"


def test_rejecting_a_held_claim_records_not_paid(console, browser, screens):
    claim = console.rejected
    decide(browser, console, screens, claim, "reject", REJECT_NOTE)
    wait_for(lambda: console.on_chain(claim)["verified"], SETTLE_S, f"the rejection of {claim.key} written on-chain")
    chain = console.on_chain(claim)
    assert chain["amount"] == 0 and not chain["claimed"], chain
    wait_for(lambda: console.state(claim) == "rejected", SETTLE_S, f"claim {claim.key} recorded as rejected")
    assert "0x" + chain["evidenceRoot"].hex() == console.claims()[claim.key]["evidenceRoot"], "the chain holds another root than the rejection's"
    assert row_state(browser, console, claim) == "rejected"
    shot(browser, screens, "claims-after-reject")
    assert audit_mentions(console, claim, OPERATOR, REJECT_NOTE), "the rejection is not audited with the operator's name and note"


def test_a_claims_page_shows_its_history_and_evidence(console, browser, screens):
    ensure_session(browser, console)
    claim = console.approved
    shown = json.loads(console.lgk("claims", "show", claim.user, claim.order, "--json").stdout)
    assert by_css(row(browser, claim), f'a[href*="{claim.order}"]'), f"the row of {claim.key} has no link to the claim's page"
    browser.get(console.url(f"console/claims/{claim.key}"))
    assert path_of(browser) == f"/console/claims/{claim.key}", browser.current_url
    text = visible_text(browser)
    assert shown["evidenceRoot"] and shown["evidenceRoot"].lower() in browser.page_source.lower(), "the claim page does not show its evidence root"
    assert OPERATOR in text and APPROVE_NOTE in text, "the claim page's history does not show the operator's decision"
    assert "paid" in text
    shot(browser, screens, "claim")
    browser.get(console.url(f"console/claims/{console.rejected.key}"))
    assert REJECT_NOTE in visible_text(browser)
    shot(browser, screens, "claim-rejected")


def test_the_payouts_and_health_pages(console, browser, screens):
    ensure_session(browser, console)
    browser.get(console.url("console/payouts"))
    assert path_of(browser) == "/console/payouts", browser.current_url
    assert by_css(browser, "table"), "the payouts page has no table"
    assert by_css(browser, "svg, canvas, [data-chart]"), "the payouts page has no chart"
    assert shows_amount(visible_text(browser), payout(console.approved.file), console.decimals), "today's payout is not on the payouts page"
    shot(browser, screens, "payouts")
    browser.get(console.url("console/health"))
    assert path_of(browser) == "/console/health", browser.current_url
    assert visible_text(browser).strip(), "the health page is empty"
    shot(browser, screens, "health")


def verifier_fields(file: str) -> dict[str, str]:
    """The verifier form's fields for an okxsim scenario: its claim's order and its account's key."""
    s = scenario(file)
    return {"instId": s["claim"]["instId"], "ordId": s["claim"]["ordId"], "apiKey": s["account"]["apiKey"],
            "secretKey": s["account"]["secretKey"], "passphrase": s["account"]["passphrase"]}


def alias_of(user: int, file: str) -> str:
    """The vault alias under which the fixture stored a trader's key."""
    return f"trader{user}-{scenario(file)['account']['name']}"


def verify(browser, console: Console, screens: Screens, file: str, alias: str | None = None) -> dict[str, str]:
    """Run the verifier on a scenario's order with its account's key, or with the key stored under `alias`."""
    s = scenario(file)
    browser.get(console.url("console/verify"))
    assert path_of(browser) == "/console/verify", browser.current_url
    fields = verifier_fields(file)
    if alias:
        fields = {"instId": fields["instId"], "ordId": fields["ordId"], "alias": alias}
    for name, value in fields.items():
        field_ = one(browser, f"[name={name}]", f"verifier field {name}")
        field_.clear()
        field_.send_keys(value)
    assert one(browser, "[name=secretKey]", "secretKey").get_attribute("type") == "password"
    assert one(browser, "[name=passphrase]", "passphrase").get_attribute("type") == "password"
    remember_forms(browser, console)
    click_and_wait(browser, one(browser, '[data-action="verify"]', "verify button"))
    shot(browser, screens, f"verify-{s['name']}" + ("-by-alias" if alias else ""))
    source = browser.page_source
    for secret in (s["account"]["secretKey"], s["account"]["passphrase"], s["account"]["apiKey"]):
        assert secret not in source, "the verifier echoed a credential back"
    result = {name: one(browser, f'[data-field="{name}"]', f"result field {name}").text.strip() for name in ("liquidated", "reason", "amount", "root")}
    # The amount as read, with what stands beside it (a unit outside the field's element).
    amount = one(browser, '[data-field="amount"]', "result field amount")
    result["amount shown"] = browser.execute_script("return arguments[0].parentElement.innerText", amount).strip()
    result["bundle"] = one(browser, '[data-field="bundle"]', "link to the evidence bundle").get_attribute("href")
    return result


def test_the_verifier_on_okxsim_scenarios(console, browser, screens):
    ensure_session(browser, console)
    browser.get(console.url("console/verify"))
    shot(browser, screens, "verify-form")
    wrong_amounts = []
    for file, alias in [(file, None) for file in VERIFIED] + [(APPROVED[1], alias_of(*APPROVED))]:
        expect = scenario(file)["expect"]
        result = verify(browser, console, screens, file, alias)
        assert result["liquidated"] == ("true" if expect["liquidated"] else "false"), (file, result)
        assert result["reason"] == expect["reason"], (file, result)
        assert re.fullmatch(r"0x[0-9a-f]{64}", result["root"]), (file, result)
        expected = payout(file) if expect["liquidated"] else Decimal(0)
        for shown in (result["amount"], result["amount shown"]):
            if not is_amount(shown, expected, console.decimals, console.currency):
                wrong_amounts.append(f"{file}{' (by alias)' if alias else ''}: the verifier shows the amount as {shown!r}, not {expected} {console.currency} (whole or base units)")
        browser.get(result["bundle"])
        assert result["root"] in browser.page_source, f"the bundle at {result['bundle']} does not hold the root {result['root']}"
        if not alias:
            shot(browser, screens, f"verify-bundle-{scenario(file)['name']}")
    log = console.keeper_log.read_text(errors="replace")
    for file in VERIFIED:
        account = scenario(file)["account"]
        assert account["secretKey"] not in log and account["passphrase"] not in log, "a verifier credential reached the keeper's log"
    assert not wrong_amounts, "\n".join(wrong_amounts)


def test_a_bad_csrf_token_is_refused(console, browser, screens):
    ensure_session(browser, console)
    browser.get(console.url("console/verify"))
    form = form_of(one(browser, '[data-action="verify"]', "verify button"))
    tokens = [i for i in form.find_elements("css selector", "input[type=hidden]") if "csrf" in (i.get_attribute("name") or "").lower()]
    assert tokens, f"the verifier form carries no CSRF token: {form.get_attribute('outerHTML')[:1500]}"
    token_name, token = tokens[0].get_attribute("name"), tokens[0].get_attribute("value")
    action = urljoin(browser.current_url, form.get_attribute("action") or browser.current_url)
    fields = verifier_fields(VERIFIED[0])
    session = requests.Session()
    for cookie in browser.get_cookies():
        session.cookies.set(cookie["name"], cookie["value"], path=cookie.get("path", "/"))
    flipped = ("0" if token[0] != "0" else "1") + token[1:]
    for bad in ({token_name: flipped}, {token_name: ""}, {}):
        answer = session.post(action, data={**fields, **bad}, allow_redirects=False, timeout=20)
        assert answer.status_code == 403, f"POST {action} with CSRF token {bad or 'missing'} answered {answer.status_code}"
    answer = session.post(action, data={**fields, token_name: token}, allow_redirects=False, timeout=20)
    assert answer.status_code == 200, f"the same POST with the page's token answered {answer.status_code}"
    # In the browser: the form with its token changed by script.
    browser.execute_script("arguments[0].value = arguments[1]", tokens[0], flipped)
    for name, value in fields.items():
        form.find_element("css selector", f"[name={name}]").send_keys(value)
    click_and_wait(browser, one(browser, '[data-action="verify"]', "verify button"))
    assert not by_css(browser, '[data-field="liquidated"]'), "a form with a bad CSRF token was served"
    shot(browser, screens, "csrf-refused")


def test_a_post_to_any_console_page_without_a_session_answers_403(console):
    """Issue 17: "every console page and action without a session redirects to /console/login (a POST answers 403)"."""
    answers = {page: requests.post(console.url(page), data={"note": "x"}, allow_redirects=False, timeout=10).status_code
               for page in ("console/", "console/claims", "console/payouts", "console/health", "console/verify", "console/no-such-page")}
    assert set(answers.values()) == {403}, f"POSTs without a session answered {answers}"


def test_posts_of_every_console_form_need_a_session(console):
    actions = console.form_actions - {"/console/login"}
    assert actions, "no console form was seen"
    for action in sorted(actions):
        answer = requests.post(console.url(action.lstrip("/")), data={"note": "x"}, allow_redirects=False, timeout=10)
        assert answer.status_code == 403, f"POST {action} without a session answered {answer.status_code}"


def hidden_fields(page: str) -> dict[str, str]:
    """A page's hidden form fields (the CSRF token), as a browser would send them."""
    fields = {}

    class Parser(HTMLParser):
        def handle_starttag(self, tag, attributes):
            a = dict(attributes)
            if tag == "input" and a.get("type") == "hidden" and a.get("name"):
                fields[a["name"]] = a.get("value") or ""
    Parser().feed(page)
    return fields


def test_failed_logins_are_rate_limited(console, browser, screens):
    """Runs last of the logins: after a few failures for a name, even its right password is refused for a while."""
    session = requests.Session()
    statuses = []
    for _ in range(6):
        form = hidden_fields(session.get(console.url("console/login"), timeout=10).text)
        statuses.append(session.post(console.url("console/login"), data={**form, "name": OPERATOR, "password": "guess"},
                                     allow_redirects=False, timeout=10).status_code)
        if statuses[-1] == 429:
            break
    assert statuses[-1] == 429, f"six failed logins in a row answered {statuses}, never 429"
    browser.delete_all_cookies()
    log_in(browser, console, None)
    assert path_of(browser) == "/console/login", f"a rate-limited login led to {browser.current_url}"
    shot(browser, screens, "login-rate-limited")
    browser.get(console.url("console/claims"))
    assert path_of(browser) == "/console/login", "a rate-limited login opened a session"


def test_the_keeper_log_holds_no_password(console):
    assert PASSWORD not in console.keeper_log.read_text(errors="replace")
