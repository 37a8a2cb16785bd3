#!/usr/bin/env python3
"""The page in real Chromium (headless, Selenium), against running services:

    page_flow.py BASE_URL VIDEO OUT_DIR

One job as a person does it: pick the file, cut it in 2 s clips, generate variations, edit one by hand,
keep one through a second generate, start, and watch every clip appear and play in the page. Then the
clips are downloaded from the page's own links and checked: as many as the page's preview said, and
the hand-edited text is in its clip (OCR). Screenshots at 1280 and 360 px go to OUT_DIR. Exits 1 with
the reason on the first thing that is wrong.
"""
import json
import os
import subprocess
import sys
import time
import urllib.request

from axe_selenium_python import Axe
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait


def fail(message):
    print(f"page_flow: {message}", file=sys.stderr)
    sys.exit(1)


def browser():
    options = webdriver.ChromeOptions()
    for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--autoplay-policy=no-user-gesture-required", "--mute-audio"):
        options.add_argument(flag)
    options.binary_location = "/usr/bin/chromium"
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=webdriver.ChromeService(executable_path="/usr/bin/chromedriver"), options=options)


def accessible(driver, view):
    """axe-core on the page as it is: no serious or critical violation."""
    axe = Axe(driver)
    axe.inject()
    found = [v for v in axe.run()["violations"] if v.get("impact") in ("serious", "critical")]
    if found:
        fail(f"accessibility ({view}): " + "; ".join(f"{v['id']}: {v['help']} ({len(v['nodes'])}: {v['nodes'][0]['html'][:120]})" for v in found))


def main():
    base, video, out = sys.argv[1], sys.argv[2], sys.argv[3]
    os.makedirs(out, exist_ok=True)
    driver = browser()
    wait = WebDriverWait(driver, 60)
    try:
        driver.set_window_size(1280, 1000)
        driver.get(base + "/")
        driver.save_screenshot(os.path.join(out, "upload-1280.png"))
        accessible(driver, "upload")
        # A file that is not a video: the page shows the API's reason where the file was chosen.
        bogus = os.path.join(out, "notes.mp4")
        with open(bogus, "w") as file:
            file.write("these are notes, not a video\n" * 100)
        driver.find_element(By.ID, "file").send_keys(bogus)
        wait.until(lambda d: d.find_element(By.ID, "upload-error").text != "")
        reason = driver.find_element(By.ID, "upload-error").text
        if "video" not in reason.lower():
            fail(f"the non-video file's error does not say why: {reason!r}")
        if driver.find_element(By.ID, "plan-view").is_displayed():
            fail("the plan shows for a file that is not a video")
        driver.get(base + "/")
        driver.find_element(By.ID, "file").send_keys(os.path.abspath(video))
        # The default 10 s clips are longer than this 5 s video: the page says so beside the field.
        wait.until(lambda d: "longer" in d.find_element(By.ID, "cut-error").text or "clip" in d.find_element(By.ID, "plan-summary").text)
        seconds = driver.find_element(By.ID, "seconds")
        seconds.clear()
        seconds.send_keys("2")
        wait.until(lambda d: d.find_element(By.ID, "plan-summary").text == "3 clips")
        count = 3
        driver.save_screenshot(os.path.join(out, "plan-1280.png"))

        if driver.find_element(By.ID, "min").is_displayed():
            fail("the random cut's fields show while fixed is chosen")
        driver.find_element(By.CSS_SELECTOR, 'input[name="textmode"][value="vary"]').click()
        if driver.find_element(By.ID, "single-text").is_displayed():
            fail("the single text's field shows in vary mode")
        driver.find_element(By.ID, "base-text").send_keys("Watch this amazing trick")
        driver.find_element(By.ID, "generate").click()
        wait.until(lambda d: d.find_element(By.ID, "clip-text-0").get_attribute("value") != "")
        engine = driver.find_element(By.ID, "engine").text
        if "offline:wordnet" not in engine:
            fail(f"the engine is not shown: {engine!r}")
        kept = driver.find_element(By.ID, "clip-text-0").get_attribute("value")
        driver.find_element(By.ID, "clip-lock-0").click()
        edited = driver.find_element(By.ID, "clip-text-1")
        edited.clear()
        edited.send_keys("Edited by hand")
        driver.find_element(By.ID, "clip-lock-1").click()
        before = driver.find_element(By.ID, "clip-text-2").get_attribute("value")
        driver.find_element(By.ID, "generate").click()
        wait.until(lambda d: d.find_element(By.ID, "clip-text-2").get_attribute("value") != before)
        if driver.find_element(By.ID, "clip-text-0").get_attribute("value") != kept:
            fail("a kept text changed on regenerate")
        if driver.find_element(By.ID, "clip-text-1").get_attribute("value") != "Edited by hand":
            fail("the hand-edited text changed on regenerate")
        driver.save_screenshot(os.path.join(out, "texts-1280.png"))
        accessible(driver, "plan and texts")

        time.sleep(0.5)  # the debounced analyze of the last edit
        driver.find_element(By.ID, "start").click()
        wait.until(lambda d: "/jobs/" in d.current_url)
        WebDriverWait(driver, 240).until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#clips video")) >= 1)
        driver.save_screenshot(os.path.join(out, "running-1280.png"))
        WebDriverWait(driver, 240).until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#clips video")) == count)
        WebDriverWait(driver, 240).until(lambda d: d.find_element(By.ID, "job-state").text.startswith("Done"))
        for index in range(count):
            WebDriverWait(driver, 60).until(lambda d: d.execute_script(f"return document.querySelector('#clip-{index} video').readyState") >= 2)
        start = driver.execute_script("const v = document.querySelector('#clip-0 video'); v.muted = true; v.play(); return v.currentTime")
        WebDriverWait(driver, 20).until(lambda d: d.execute_script("return document.querySelector('#clip-0 video').currentTime") > start)
        driver.save_screenshot(os.path.join(out, "finished-1280.png"))
        accessible(driver, "finished job")
        driver.set_window_size(360, 800)
        overflow = driver.execute_script("return document.documentElement.scrollWidth > window.innerWidth")
        driver.save_screenshot(os.path.join(out, "finished-360.png"))
        if overflow:
            fail("at 360 px the page overflows horizontally")

        links = [a.get_attribute("href") for a in driver.find_elements(By.CSS_SELECTOR, "#clips a")]
        if len(links) != count:
            fail(f"{len(links)} download links, the preview said {count}")
        for index, link in enumerate(links):
            path = os.path.join(out, f"clip-{index}.mp4")
            with urllib.request.urlopen(link) as answer, open(path, "wb") as file:
                file.write(answer.read())
            probe = json.loads(subprocess.run(["ffprobe", "-v", "error", "-print_format", "json", "-show_streams", path],
                                              check=True, capture_output=True, text=True).stdout)
            if not any(s["codec_type"] == "video" for s in probe["streams"]):
                fail(f"clip {index} has no video")
        frame = os.path.join(out, "frame.png")
        subprocess.run(["ffmpeg", "-v", "error", "-y", "-ss", "1", "-i", os.path.join(out, "clip-1.mp4"), "-frames:v", "1",
                        "-vf", "format=gray,scale=iw*2:ih*2,lut=y='if(gt(val,225),0,255)'", frame], check=True)
        read = subprocess.run(["tesseract", frame, "-"], capture_output=True, text=True).stdout.lower()
        if "edited" not in read or "hand" not in read:
            fail(f"the edited text is not in clip 2 (OCR read {read!r})")
        print(f"page_flow: ok ({count} clips, engine {engine}, kept text {kept!r})")
    except Exception as error:
        driver.save_screenshot(os.path.join(out, "failure.png"))
        shown = {id: driver.find_element(By.ID, id).text for id in ("connection", "upload-error", "cut-error", "text-error", "start-error", "job-error", "file-info", "plan-summary")}
        console = [entry["message"] for entry in driver.get_log("browser")]
        fail(f"{type(error).__name__}: {error}\npage: {shown}\nconsole: {console[-10:]}")
    finally:
        driver.quit()


if __name__ == "__main__":
    main()
