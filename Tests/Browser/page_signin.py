#!/usr/bin/env python3
"""The page against a Gateway with a token (CUTLINE_API_TOKEN), in real Chromium:

    page_signin.py BASE_URL TOKEN VIDEO OUT_DIR

The page asks for the token once (a wrong one is refused in words), keeps the sign-in where no script
can read it (an HttpOnly cookie: not in document.cookie, not in web storage), and then works: the file
is uploaded, planned and cut, and its clips play. A reload stays signed in; deleting the job's files
leaves a job that says so; signing out asks again.
Exits 1 with the reason on the first thing that is wrong.
"""
import os
import sys

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from pagekit import accessible, drive, fail, type_over


def dialog_open(driver):
    return driver.execute_script("return document.getElementById('signin').open")


def sign_in(driver, token):
    field = driver.find_element(By.ID, "signin-token")
    type_over(field, token)
    driver.find_element(By.CSS_SELECTOR, "#signin-form button[type=submit]").click()


def main():
    base, token, video, out = sys.argv[1:5]

    def body(driver):
        wait = WebDriverWait(driver, 60)
        driver.get(base + "/")
        # The page's first call (the recent jobs) is refused: the sign-in dialog opens, with the focus in it.
        wait.until(dialog_open)
        if driver.switch_to.active_element.get_attribute("id") != "signin-token":
            fail("the sign-in dialog opened without the focus in its field")
        driver.save_screenshot(os.path.join(out, "signin-1280.png"))
        accessible(driver, "sign-in")

        sign_in(driver, "not-the-token-0000000000")
        wait.until(lambda d: "not this Cutline's token" in d.find_element(By.ID, "signin-error").text)
        if not dialog_open(driver):
            fail("a wrong token closed the sign-in dialog")

        sign_in(driver, token)
        wait.until(lambda d: not dialog_open(d))
        leaked = driver.execute_script(
            "return [document.cookie, JSON.stringify({...localStorage}), JSON.stringify({...sessionStorage})].join(' ')")
        if "cutline_session" in leaked or token in leaked:
            fail(f"the session or the token can be read by the page's scripts: {leaked!r}")
        # As the browser keeps it (the cookie's Path is /api, so document.cookie here would not show it anyway).
        stored = [c for c in driver.execute_cdp_cmd("Network.getAllCookies", {})["cookies"] if c["name"] == "cutline_session"]
        if len(stored) != 1 or not stored[0]["httpOnly"] or stored[0]["sameSite"] != "Strict":
            fail(f"the session cookie is not one HttpOnly, SameSite=Strict cookie: {stored}")
        if not driver.find_element(By.ID, "signout").is_displayed():
            fail("no way to sign out after signing in")

        # Signed in, the page works: upload, plan, start, and the clips play.
        driver.find_element(By.ID, "file").send_keys(os.path.abspath(video))
        wait.until(lambda d: d.find_element(By.ID, "plan-view").is_displayed())
        type_over(driver.find_element(By.ID, "seconds"), "2")
        wait.until(lambda d: d.find_element(By.ID, "plan-summary").text.startswith("3 clips") and not d.find_element(By.ID, "cut-error").text)
        wait.until(lambda d: d.find_element(By.ID, "start").is_enabled())
        driver.find_element(By.ID, "start").click()
        wait.until(lambda d: "/jobs/" in d.current_url)
        WebDriverWait(driver, 240).until(lambda d: d.find_element(By.ID, "job-state").text.startswith("Done"))
        videos = driver.find_elements(By.CSS_SELECTOR, "#clips video")
        if len(videos) != 3:
            fail(f"{len(videos)} clips shown, the plan said 3")
        WebDriverWait(driver, 60).until(lambda d: d.execute_script("return document.querySelector('#clip-0 video').readyState") >= 2)
        job_url = driver.current_url

        # A reload keeps the sign-in: the job's view loads without asking again.
        driver.refresh()
        WebDriverWait(driver, 60).until(lambda d: d.find_element(By.ID, "job-state").text.startswith("Done"))
        if dialog_open(driver):
            fail("a reload asked for the token again")

        # "Delete the video and clips" purges the job: the page says so, and a reload still does.
        driver.find_element(By.ID, "delete-files").click()
        wait.until(lambda d: "deleted" in d.find_element(By.ID, "job-state").text)
        if driver.find_elements(By.CSS_SELECTOR, "#clips video"):
            fail("the clips still show after their files were deleted")
        driver.refresh()
        wait.until(lambda d: "deleted" in d.find_element(By.ID, "job-state").text)
        accessible(driver, "deleted job")

        # Signing out ends the session: the page asks again.
        driver.find_element(By.ID, "signout").click()
        wait.until(lambda d: dialog_open(d))
        if driver.current_url != job_url:
            fail(f"signing out left the page: {driver.current_url}")
        print("page_signin: signed in once, 3 clips made and played, reload kept the session, files deleted, sign-out asked again")

    drive(out, body, failure="signin-failure.png")


if __name__ == "__main__":
    main()
