"""What the browser tests share: a headless Chromium, axe-core, and failing with the page's state."""
import os
import sys

from axe_selenium_python import Axe
from selenium import webdriver
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys


def fail(message):
    print(f"{os.path.basename(sys.argv[0])}: {message}", file=sys.stderr)
    sys.exit(1)


def browser(network_log=False):
    """Headless Chromium; with `network_log`, its network events can be read from the "performance" log."""
    options = webdriver.ChromeOptions()
    for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--autoplay-policy=no-user-gesture-required", "--mute-audio"):
        options.add_argument(flag)
    options.binary_location = "/usr/bin/chromium"
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", **({"performance": "ALL"} if network_log else {})})
    return webdriver.Chrome(service=webdriver.ChromeService(executable_path="/usr/bin/chromedriver"), options=options)


def accessible(driver, view):
    """axe-core on the page as it is: no serious or critical violation."""
    axe = Axe(driver)
    axe.inject()
    found = [v for v in axe.run()["violations"] if v.get("impact") in ("serious", "critical")]
    if found:
        fail(f"accessibility ({view}): " + "; ".join(f"{v['id']}: {v['help']} ({len(v['nodes'])}: {v['nodes'][0]['html'][:120]})" for v in found))


def drive(out, body, failure="failure.png", network_log=False):
    """Runs `body(driver)` in a fresh headless Chromium at 1280×1000; anything unexpected fails with a
    screenshot (`out/failure`) and the page's state."""
    os.makedirs(out, exist_ok=True)
    driver = browser(network_log)
    try:
        driver.set_window_size(1280, 1000)
        body(driver)
    except Exception as error:
        driver.save_screenshot(os.path.join(out, failure))
        fail(f"{type(error).__name__}: {error}\n{page_state(driver)}")
    finally:
        driver.quit()


def tab_to(driver, matches, what, limit=120):
    """Presses Tab until the focused element satisfies `matches`: proof it is reachable by keyboard."""
    for _ in range(limit):
        ActionChains(driver).send_keys(Keys.TAB).perform()
        if matches(driver.switch_to.active_element):
            return driver.switch_to.active_element
    fail(f"{what} cannot be reached with the Tab key ({limit} presses)")


def type_over(element, text):
    """Selects the field's text and types over it, as a person does: the field keeps the focus (Selenium's
    clear() blurs it, and the page rightly refills an unfocused field when a plan update arrives)."""
    element.click()
    element.send_keys(Keys.CONTROL, "a")
    element.send_keys(text)


def plan_settled(driver, timeout=60):
    """Waits until the page has no plan question scheduled or in flight (the plan's aria-busy), so what
    it shows is the answer to the last edit."""
    from selenium.webdriver.support.ui import WebDriverWait
    WebDriverWait(driver, timeout).until(lambda d: d.find_element(By.ID, "plan-view").get_attribute("aria-busy") != "true")


def type_keys(driver, *keys):
    ActionChains(driver).send_keys(*keys).perform()


def page_state(driver):
    ids = ("connection", "upload-error", "cut-error", "text-error", "start-error", "job-error", "job-notice", "file-info", "plan-summary", "job-state")
    shown = {}
    for id in ids:
        found = driver.find_elements(By.ID, id)
        shown[id] = found[0].text if found else None
    console = [entry["message"] for entry in driver.get_log("browser")]
    return f"page: {shown}\nconsole: {console[-10:]}"


def requests_sent(driver, method):
    """The URLs of the `method` requests the page sent since the last call (from the performance log)."""
    import json
    urls = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message.get("method") == "Network.requestWillBeSent" and message["params"]["request"]["method"] == method:
            urls.append(message["params"]["request"]["url"])
    return urls
