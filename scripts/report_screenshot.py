"""Screenshot of a tengen analyze HTML report in headless chromium, for the
README: ``python scripts/report_screenshot.py REPORT.html docs/report.png
[--move N] [--mistake N]`` (Debian's chromium and chromium-driver, selenium)."""

import argparse
import io
import shutil
import tempfile

from PIL import Image
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("html")
    ap.add_argument("png")
    ap.add_argument("--move", type=int, default=0, help="the position shown")
    ap.add_argument("--mistake", type=int, default=0, help="show this listed mistake's line")
    ap.add_argument("--size", default="1280,900")
    args = ap.parse_args()
    profile = tempfile.mkdtemp(prefix="tengen-shot-")
    opts = webdriver.ChromeOptions()
    opts.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
    for arg in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run",
                f"--window-size={args.size}", f"--user-data-dir={profile}"):
        opts.add_argument(arg)
    driver = webdriver.Chrome(service=Service(shutil.which("chromedriver")
                                              or "/usr/bin/chromedriver"), options=opts)
    try:
        driver.get("file://" + __import__("os").path.abspath(args.html))
        if args.mistake:
            driver.find_element(By.CSS_SELECTOR, f".mistakes li[data-move='{args.mistake}']").click()
        elif args.move:
            driver.execute_script(f"showPosition({args.move})")
        png = driver.get_screenshot_as_png()
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)
    image = Image.open(io.BytesIO(png)).convert("RGB").quantize(colors=128)
    image.save(args.png, optimize=True)


if __name__ == "__main__":
    main()
