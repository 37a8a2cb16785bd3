#!/usr/bin/env python3
"""The page's error paths in headless Chromium (Selenium), against services started with a small
upload limit and a MediaProcessor the test can stop and start:

    page_errors.py BASE_URL VIDEO BIG_VIDEO OUT_DIR CONTROL_DIR

- a file over the limit: the page says so, in the API's words, where the file was chosen;
- a text with a character no font draws (U+E100): the warning names it under the text, before start;
- the MediaProcessor stopped mid-job: the page says the processor is not answering; after it is started
  again the job completes and the page shows every clip without a reload.
The processor is stopped and started by the test that runs this script: this script writes
CONTROL_DIR/stop (or start) and waits for CONTROL_DIR/stopped (or started).
"""
import os
import sys
import time

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from pagekit import accessible, drive, fail, plan_settled, type_over


def ask(control, action, done):
    open(os.path.join(control, action), "w").close()
    deadline = time.time() + 60
    while not os.path.exists(os.path.join(control, done)):
        if time.time() > deadline:
            fail(f"the test did not {action} the processor within 60 s")
        time.sleep(0.1)


def main():
    base, video, big, out, control = sys.argv[1:6]
    os.makedirs(out, exist_ok=True)
    def body(driver):
        wait = WebDriverWait(driver, 60)
        # Over the limit: refused before anything is sent, with the reason.
        driver.get(base + "/")
        driver.find_element(By.ID, "file").send_keys(os.path.abspath(big))
        wait.until(lambda d: d.find_element(By.ID, "upload-error").text != "")
        reason = driver.find_element(By.ID, "upload-error").text
        if "5.1 MB" not in reason or "4.0 MB" not in reason:
            fail(f"the file over the limit is not explained with its size and the limit: {reason!r}")

        # A character no font draws: named before the job starts.
        driver.get(base + "/")
        driver.find_element(By.ID, "file").send_keys(os.path.abspath(video))
        seconds = wait.until(lambda d: d.find_element(By.ID, "seconds") if d.find_element(By.ID, "seconds").is_displayed() else None)
        type_over(seconds, "1")
        text = driver.find_element(By.ID, "single-text")
        # (U+E100: Selenium reads U+E000…U+E05D as special keys.)
        type_over(text, "Private \ue100 glyph")
        wait.until(lambda d: "U+E100" in d.find_element(By.ID, "text-warnings").text)
        accessible(driver, "texts with a warning")
        type_over(text, "Outage survived")
        wait.until(lambda d: "U+E100" not in d.find_element(By.ID, "text-warnings").text)
        plan_settled(driver)

        # The processor stopped mid-job, then started again: the page explains, then catches up by itself.
        driver.find_element(By.ID, "start").click()
        wait.until(lambda d: "/jobs/" in d.current_url)
        WebDriverWait(driver, 240).until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#clips video")) >= 1)
        ask(control, "stop", "stopped")
        WebDriverWait(driver, 60).until(lambda d: d.find_element(By.ID, "job-notice").is_displayed()
                                        and "not answering" in d.find_element(By.ID, "job-notice").text)
        driver.save_screenshot(os.path.join(out, "outage-1280.png"))
        accessible(driver, "job with the processor down")
        driver.execute_script("window.cutlineNotReloaded = true")
        ask(control, "start", "started")
        WebDriverWait(driver, 240).until(lambda d: d.find_element(By.ID, "job-state").text.startswith("Done"))
        if not driver.execute_script("return window.cutlineNotReloaded === true"):
            fail("the page was reloaded")
        if driver.find_element(By.ID, "job-notice").is_displayed():
            fail("the notice stays after the processor is back")
        clips = len(driver.find_elements(By.CSS_SELECTOR, "#clips video"))
        print(f"page_errors: ok (limit, missing glyph, outage: {clips} clips after the restart)")
    drive(out, body, failure="errors-failure.png")


if __name__ == "__main__":
    main()
