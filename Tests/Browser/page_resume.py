#!/usr/bin/env python3
"""An upload interrupted by a reload resumes in headless Chromium (Selenium):

    page_resume.py BASE_URL VIDEO OUT_DIR

VIDEO must be large enough for several parts (the Gateway is started with a low multipart threshold).
The upload is slowed down (DevTools network throttling) so the reload lands mid-way: once some parts are
stored and others are not, the page is reloaded, the same file is picked again, and the page must PUT
only the parts not yet stored (counted from the browser's own network log), then plan the video.
"""
import json
import os
import re
import sys
import time
import urllib.request

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from pagekit import drive, fail, requests_sent


def parts(base, job):
    with urllib.request.urlopen(f"{base}/api/upload/{job}/parts") as answer:
        return json.loads(answer.read())


def main():
    base, video, out = sys.argv[1], sys.argv[2], sys.argv[3]
    os.makedirs(out, exist_ok=True)
    def body(driver):
        wait = WebDriverWait(driver, 120)
        driver.get(base + "/")
        driver.execute_cdp_cmd("Network.enable", {})
        # 12 MB/s: a part of 16 MiB takes over a second, so the reload lands between parts.
        driver.execute_cdp_cmd("Network.emulateNetworkConditions", {"offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": 12 * 1024 * 1024})
        driver.find_element(By.ID, "file").send_keys(os.path.abspath(video))
        job = wait.until(lambda d: d.execute_script("const e = Object.entries(localStorage).find(([k]) => k.startsWith('cutline:upload:')); return e ? e[1] : null"))
        deadline = time.time() + 120
        while True:
            answer = parts(base, job)
            stored = len(answer["done"])
            if 1 <= stored < answer["parts_total"]:
                break
            if stored == answer["parts_total"] or time.time() > deadline:
                fail(f"could not catch the upload mid-way ({stored} of {answer['parts_total']} parts stored)")
            time.sleep(0.05)
        driver.refresh()
        before = parts(base, job)
        stored, total = len(before["done"]), before["parts_total"]
        done_before = {part["number"] for part in before["done"]}
        requests_sent(driver, "PUT")  # forget what was sent before the reload
        driver.execute_cdp_cmd("Network.emulateNetworkConditions", {"offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1})
        driver.find_element(By.ID, "file").send_keys(os.path.abspath(video))
        wait.until(lambda d: d.find_element(By.ID, "plan-summary").text.endswith("clips") or d.find_element(By.ID, "upload-error").text)
        error = driver.find_element(By.ID, "upload-error").text
        if error:
            fail(f"the resumed upload failed: {error}")
        sent = requests_sent(driver, "PUT")
        puts = [url for url in sent if "part" in url.lower()]
        print(f"page_resume: before the reload {stored} of {total} parts stored; PUTs after it: {sent}", file=sys.stderr)
        # A part whose upload the reload cut short may still have been committed after `before` was read
        # (then the page rightly skips it too), so: no stored part sent again, and at most the rest sent.
        numbers = {int(m.group(1)) for url in puts if (m := re.search(r"[?&](?:part|partNumber)=(\d+)", url))}
        if len(numbers) != len(puts):
            fail(f"a part was sent twice, or a PUT names no part: {puts}")
        if numbers & done_before:
            fail(f"after the reload the page sent parts {sorted(numbers & done_before)} again, which were already stored")
        if not 1 <= len(puts) <= total - stored:
            fail(f"after the reload the page sent {len(puts)} part PUTs; {stored} of {total} parts were already stored")
        driver.save_screenshot(os.path.join(out, "resumed-1280.png"))
        print(f"page_resume: ok ({stored} of {total} parts stored before the reload; {len(puts)} sent after it)")
    drive(out, body, failure="resume-failure.png", network_log=True)


if __name__ == "__main__":
    main()
