#!/usr/bin/env python3
"""The page in real Chromium (headless, Selenium), against running services:

    page_flow.py BASE_URL VIDEO OUT_DIR

One job as a person does it: pick the file, cut it at random lengths with a seed, generate variations,
edit one by hand, keep one through a second generate, make the clips for TikTok (the engine's preview
turns vertical, with the safe area drawn over it), start, and watch every clip appear and play in the
page. Then the clips are downloaded from the page's own links and checked: as many as the page's plan
said, 1080×1920, and the hand-edited text is in its clip (OCR). Screenshots at 1280 and 360 px go to
OUT_DIR. Exits 1 with the reason on the first thing that is wrong.
"""
import json
import os
import re
import subprocess
import sys
import urllib.request

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

from pagekit import accessible, drive, fail, plan_settled, type_over


def main():
    base, video, out = sys.argv[1], sys.argv[2], sys.argv[3]
    # With --storage URL (S3 mode): the clips must come from there, not through the Gateway.
    storage = sys.argv[sys.argv.index("--storage") + 1] if "--storage" in sys.argv else None
    os.makedirs(out, exist_ok=True)
    def body(driver):
        wait = WebDriverWait(driver, 60)
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
        if driver.find_element(By.ID, "min").is_displayed():
            fail("the random cut's fields show while fixed is chosen")
        # Random lengths from 1 to 2 s, seed 7: the plan the page shows is the plan rendered.
        driver.find_element(By.CSS_SELECTOR, 'input[name="cut"][value="random"]').click()
        for id, value in (("min", "1"), ("max", "2"), ("seed", "7")):
            field = driver.find_element(By.ID, id)
            type_over(field, value)
        wait.until(lambda d: d.find_element(By.ID, "plan-summary").text.endswith("clips") and not d.find_element(By.ID, "cut-error").text)
        plan_settled(driver)  # the debounced analyze of the last keystroke
        wait.until(lambda d: d.find_element(By.ID, "seed").get_attribute("value") == "7")
        count = int(driver.find_element(By.ID, "plan-summary").text.split()[0])
        bars = len(driver.find_elements(By.CSS_SELECTOR, "#timeline span"))
        if count < 3 or bars != count:
            fail(f"the plan says {count} clips and the timeline draws {bars}")
        driver.save_screenshot(os.path.join(out, "plan-1280.png"))
        driver.find_element(By.CSS_SELECTOR, 'input[name="textmode"][value="vary"]').click()
        if driver.find_element(By.ID, "single-text").is_displayed():
            fail("the single text's field shows in vary mode")
        driver.find_element(By.ID, "base-text").send_keys("Watch this amazing trick")
        driver.find_element(By.ID, "generate").click()
        wait.until(lambda d: d.find_element(By.ID, "clip-text-0").get_attribute("value") != "")
        engine = driver.find_element(By.ID, "engine").text
        if "offline:lexicon" not in engine:
            fail(f"the engine is not shown: {engine!r}")
        # A clip whose text swaps a word of the base says which, and one that swaps none says nothing.
        base_words = ["watch", "this", "amazing", "trick"]
        for index in range(count):
            words = re.sub(r"[^\w\s']", "", driver.find_element(By.ID, f"clip-text-{index}").get_attribute("value")).lower().split()
            swapped = [(a, b) for a, b in zip(base_words, words[-len(base_words):]) if a != b]
            note = driver.find_element(By.ID, f"clip-replaced-{index}").text
            expected = ", ".join(f"{a} → {b}" for a, b in swapped)
            if (note != f"Replaced: {expected}") if swapped else note:
                fail(f"clip {index + 1} swapped {swapped} and says {note!r}")
        kept = driver.find_element(By.ID, "clip-text-0").get_attribute("value")
        driver.find_element(By.ID, "clip-lock-0").click()
        edited = driver.find_element(By.ID, "clip-text-1")
        type_over(edited, "Edited by hand")
        if edited.get_attribute("value") != "Edited by hand":
            fail(f"typing over the text gave {edited.get_attribute('value')!r}")
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

        # The look: for TikTok. The preview is the engine's frame: vertical, with the safe area over it.
        wait.until(lambda d: d.execute_script("const i = document.getElementById('preview-image'); return i.complete && i.naturalWidth > 0"))
        Select(driver.find_element(By.ID, "platform")).select_by_value("tiktok")
        WebDriverWait(driver, 60).until(lambda d: d.execute_script(
            "const i = document.getElementById('preview-image'); return i.complete && i.naturalHeight > 1.7 * i.naturalWidth"))
        if not driver.find_element(By.ID, "safe-area").is_displayed():
            fail("no safe-area guide over the TikTok preview")
        driver.save_screenshot(os.path.join(out, "look-1280.png"))

        plan_settled(driver)  # the debounced analyze of the last edit
        # Layout shifts from here on (not caused by input): clips appearing must not push the page around.
        driver.execute_script("""
            window.shifts = [];
            new PerformanceObserver((list) => { for (const e of list.getEntries()) if (!e.hadRecentInput) window.shifts.push(e.value); })
              .observe({ type: 'layout-shift', buffered: false });
        """)
        driver.find_element(By.ID, "start").click()
        wait.until(lambda d: "/jobs/" in d.current_url)
        WebDriverWait(driver, 240).until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#clips video")) >= 1)
        driver.save_screenshot(os.path.join(out, "running-1280.png"))
        WebDriverWait(driver, 240).until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#clips video")) == count)
        WebDriverWait(driver, 240).until(lambda d: d.find_element(By.ID, "job-state").text.startswith("Done"))
        for index in range(count):
            WebDriverWait(driver, 60).until(lambda d: d.execute_script(f"return document.querySelector('#clip-{index} video').readyState") >= 2)
        shift = driver.execute_script("return window.shifts.reduce((a, b) => a + b, 0)")
        if shift > 0.1:
            fail(f"clips appearing shift the layout (cumulative layout shift {shift:.3f}; 0.1 is the most that reads as stable)")
        posters = driver.execute_script("return [...document.querySelectorAll('#clips video')].map(v => v.poster)")
        if not all(posters):
            fail(f"a clip has no thumbnail as its poster: {posters}")
        start = driver.execute_script("const v = document.querySelector('#clip-0 video'); v.muted = true; v.play(); return v.currentTime")
        WebDriverWait(driver, 20).until(lambda d: d.execute_script("return document.querySelector('#clip-0 video').currentTime") > start)
        driver.save_screenshot(os.path.join(out, "finished-1280.png"))
        accessible(driver, "finished job")
        if driver.execute_script("return document.documentElement.scrollWidth > window.innerWidth"):
            fail("at 1280 px the page overflows horizontally")
        driver.set_window_size(360, 800)
        overflow = driver.execute_script("return document.documentElement.scrollWidth > window.innerWidth")
        driver.save_screenshot(os.path.join(out, "finished-360.png"))
        if overflow:
            fail("at 360 px the page overflows horizontally")

        # The cut list for an editor: both links shown, and each downloads what its format says, one
        # entry per clip (fetched as the link would be, with the page's own session).
        if not driver.find_element(By.ID, "cut-lists").is_displayed():
            fail("a finished job offers no cut list for an editor")
        exported = driver.execute_async_script("""
            const done = arguments[arguments.length - 1];
            Promise.all(["export-otio", "export-edl"].map(async (id) => {
              const answer = await fetch(document.getElementById(id).href);
              return [answer.status, answer.headers.get("content-disposition") || "", await answer.text()];
            })).then(done, (error) => done(String(error)));
        """)
        if not isinstance(exported, list):
            fail(f"the cut lists could not be fetched: {exported}")
        (otio_status, otio_name, otio_body), (edl_status, edl_name, edl_body) = exported
        if otio_status != 200 or ".otio" not in otio_name or otio_body.count('"Clip.2"') != count:
            fail(f"the OpenTimelineIO download is not {count} clips: {otio_status} {otio_name} {otio_body[:200]!r}")
        if edl_status != 200 or ".edl" not in edl_name or sum(1 for line in edl_body.splitlines() if line[:3].isdigit()) != count:
            fail(f"the EDL download is not {count} events: {edl_status} {edl_name} {edl_body[:200]!r}")

        links = [a.get_attribute("href") for a in driver.find_elements(By.CSS_SELECTOR, "#clips a")]
        if len(links) != count:
            fail(f"{len(links)} download links, the preview said {count}")
        if storage and not all(link.startswith(storage) for link in links):
            fail(f"in S3 mode the clips are not served by S3 ({storage}): {links[0]}")
        for index, link in enumerate(links):
            path = os.path.join(out, f"clip-{index}.mp4")
            with urllib.request.urlopen(link) as answer, open(path, "wb") as file:
                file.write(answer.read())
            probe = json.loads(subprocess.run(["ffprobe", "-v", "error", "-print_format", "json", "-show_streams", path],
                                              check=True, capture_output=True, text=True).stdout)
            video_streams = [s for s in probe["streams"] if s["codec_type"] == "video"]
            if not video_streams or (video_streams[0]["width"], video_streams[0]["height"]) != (1080, 1920):
                fail(f"clip {index} is not a 1080×1920 TikTok clip: {[(s['width'], s['height']) for s in video_streams]}")
        frame = os.path.join(out, "frame.png")
        subprocess.run(["ffmpeg", "-v", "error", "-y", "-ss", "0.5", "-i", os.path.join(out, "clip-1.mp4"), "-frames:v", "1",
                        "-vf", "crop=iw:ih/2:0:ih/2,format=gray,lut=y='if(gt(val,225),0,255)'", frame], check=True)
        read = subprocess.run(["tesseract", frame, "-"], capture_output=True, text=True).stdout.lower()
        if "edited" not in read or "hand" not in read:
            fail(f"the edited text is not in clip 2 (OCR read {read!r})")
        print(f"page_flow: ok ({count} clips, engine {engine}, kept text {kept!r}, layout shift {shift:.3f})")
    drive(out, body, failure="failure.png")


if __name__ == "__main__":
    main()
