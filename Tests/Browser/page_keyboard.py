#!/usr/bin/env python3
"""The page driven with the keyboard alone (headless Chromium, Selenium):

    page_keyboard.py BASE_URL VIDEO OUT_DIR

The file is given to the file input (a file chooser is the operating system's dialog, which no browser
automation drives); everything after it is Tab, typing, Space and Enter: the clip length, the text, the
start button, and the first clip's download link. Exits 1 with the reason on the first thing that is wrong.
"""
import os
import sys

from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

from pagekit import drive, fail, tab_to, type_keys


def main():
    base, video, out = sys.argv[1], sys.argv[2], sys.argv[3]
    os.makedirs(out, exist_ok=True)
    def body(driver):
        wait = WebDriverWait(driver, 60)
        driver.get(base + "/")
        driver.find_element(By.ID, "file").send_keys(os.path.abspath(video))
        wait.until(lambda d: d.find_element(By.ID, "seconds").is_displayed())
        driver.find_element(By.TAG_NAME, "body").click()  # focus starts at the top of the page
        tab_to(driver, lambda e: e.get_attribute("id") == "seconds", "the clip length")
        type_keys(driver, Keys.CONTROL, "a", Keys.NULL, "2")
        wait.until(lambda d: d.find_element(By.ID, "plan-summary").text == "3 clips")
        tab_to(driver, lambda e: e.get_attribute("id") == "single-text", "the text")
        type_keys(driver, Keys.CONTROL, "a", Keys.NULL, "Typed on a keyboard")
        button = tab_to(driver, lambda e: e.get_attribute("id") == "start", "the start button")
        if button.value_of_css_property("outline-style") == "none" and button.value_of_css_property("box-shadow") == "none":
            fail("the focused start button shows no focus ring")
        type_keys(driver, Keys.ENTER)
        wait.until(lambda d: "/jobs/" in d.current_url)
        WebDriverWait(driver, 240).until(lambda d: d.find_element(By.ID, "job-state").text.startswith("Done"))
        link = tab_to(driver, lambda e: e.tag_name == "a" and (e.get_attribute("href") or "").find("clip") >= 0 and e.text.startswith("Download clip 1"), "the first clip's download link")
        if not link.get_attribute("href"):
            fail("the download link has no address")
        driver.save_screenshot(os.path.join(out, "keyboard-1280.png"))
        print("page_keyboard: ok (length, text, start and download reached with Tab; started with Enter)")
    drive(out, body, failure="keyboard-failure.png")


if __name__ == "__main__":
    main()
