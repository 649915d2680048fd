"""The course site in headless Chromium, offline: every chapter page renders its stored outputs,
widgets and math with no console error and no request off loopback; navigation follows the chapters."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from browser import browser_page, served

ROOT = Path(__file__).resolve().parent.parent
CHAPTERS = sorted(path.stem for path in (ROOT / "chapters").glob("[0-9]*.ipynb"))
WITH_MATH = {"03_balancing_tasks", "04_shared_private_adversarial", "05_private_shared_analysis",
             "07_reproducing_liu_2017"}


@pytest.fixture(scope="module")
def site() -> str:
    """The site built by scripts/site.sh, served on loopback; yields its base URL."""
    subprocess.run(["bash", "scripts/site.sh"], cwd=ROOT, check=True, timeout=1800)
    with served(ROOT / "build" / "site") as url:
        yield url


def images_not_loaded(page) -> list[str]:
    return page.eval_on_selector_all("img", "images => images.filter(i => !(i.complete && i.naturalWidth > 0))"
                                            ".map(i => i.src)")


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_every_chapter_page_loads_offline_with_its_images(site, chapter):
    with browser_page(f"site-{chapter}") as (page, log):
        page.goto(f"{site}/chapters/{chapter}.html", wait_until="networkidle")
        assert page.locator("h1").first.is_visible()
        assert images_not_loaded(page) == []
        badges = page.eval_on_selector_all("img[src*='_static/badges/']", "images => images.length")
        assert badges == 2
        if chapter in WITH_MATH:
            page.wait_for_selector("mjx-container", state="visible", timeout=15000)
        assert log.errors == []


def test_chapter_05_shows_coloured_article_views_and_its_picker_widget(site):
    with browser_page("site-05-widgets") as (page, log):
        page.goto(f"{site}/chapters/05_private_shared_analysis.html", wait_until="networkidle")
        page.wait_for_selector(".jupyter-widgets select, .widget-dropdown", state="visible", timeout=15000)
        assert page.locator(".widget-dropdown").first.is_visible()
        coloured = page.locator(".jupyter-widgets span[style*='background']")  # the picker's live view
        assert coloured.count() > 3 and coloured.first.is_visible()
        assert images_not_loaded(page) == []  # the stored article views are pictures
        assert log.errors == []


def test_chapter_01_shows_its_progress_bar_widgets(site):
    with browser_page("site-01-progress") as (page, log):
        page.goto(f"{site}/chapters/01_single_task_baselines.html", wait_until="networkidle")
        bar = page.wait_for_selector(".widget-hprogress .progress-bar", state="visible", timeout=15000)
        assert bar.bounding_box()["width"] > 50  # drawn full, as the stored run ended
        assert log.errors == []


def test_home_page_leads_to_chapter_01_then_next_to_chapter_02(site):
    with browser_page("site-navigation") as (page, log):
        page.goto(f"{site}/index.html", wait_until="networkidle")
        assert images_not_loaded(page) == []
        page.locator("article a[href='chapters/01_single_task_baselines.html']").first.click()
        page.wait_for_url("**/chapters/01_single_task_baselines.html")
        page.locator("a.next-page").click()
        page.wait_for_url("**/chapters/02_hard_parameter_sharing.html")
        assert log.errors == []


def test_home_page_links_to_newsie_and_it_loads(site):
    with browser_page("site-newsie") as (page, log):
        page.goto(f"{site}/index.html", wait_until="networkidle")
        page.locator("article a[href='newsie/index.html']").first.click()
        page.wait_for_url("**/newsie/index.html")
        page.wait_for_load_state("networkidle")
        assert page.locator("body").inner_text().strip()
        assert log.errors == []


def test_vendored_files_match_their_manifest_and_a_changed_one_is_named(tmp_path):
    sys.path.insert(0, str(ROOT / "site"))
    from vendored import MANIFEST, STATIC, mismatches

    assert mismatches() == []
    static = tmp_path / "_static"
    shutil.copytree(STATIC, static)
    changed = static / "vendor" / "html-manager-1.0.15" / "embed.js"
    changed.write_text("tampered")
    assert mismatches(MANIFEST, static) == [
        "vendor/html-manager-1.0.15/embed.js (@jupyter-widgets/html-manager 1.0.15) has another sha256 than "
        "8f6d2d3f856d8595d1841dec3019d99bbe74d331f2a5178c2a33bfec729e3d6a"]
