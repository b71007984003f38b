"""Every chapter page, opened the way a reader opens it: offline, in a real browser."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlparse

import pytest
from browser.site import HTML, ROOT, SCREENSHOTS

TOC = (ROOT / "_toc.yml").read_text()
CHAPTERS = sorted(re.findall(r"file: (notebooks/\d\d_\w+)", TOC))
ANIMATED = {page for page in CHAPTERS if "_anim_img" in (ROOT / f"{page}.ipynb").read_text()}  # to_jshtml players


def test_every_notebook_is_a_chapter_page():
    notebooks = sorted(f"notebooks/{p.stem}" for p in (ROOT / "notebooks").glob("*.ipynb"))
    assert notebooks == CHAPTERS
    assert CHAPTERS, "no chapters in _toc.yml"
    assert "notebooks/02_images_and_filters" in ANIMATED, "chapter 2's sliding-window animation is missing"


class PageVisit:
    """A page loaded with every request, console message and page error recorded."""

    def __init__(self, browser, url: str):
        self.context = browser.new_context(viewport={"width": 1280, "height": 900})
        self.page = self.context.new_page()
        self.requests: list[str] = []
        self.errors: list[str] = []
        self.page.on("request", lambda request: self.requests.append(request.url))
        self.page.on("console", lambda message: message.type == "error" and self.errors.append(message.text))
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        # Anything not served from this machine is refused; the test reports it.
        self.page.route(re.compile(r"^https?://(?!127\.0\.0\.1[:/]).*"), lambda route: route.abort())
        self.page.goto(url, wait_until="load")

    def foreign_requests(self) -> list[str]:
        return [
            u for u in self.requests if urlparse(u).scheme in ("http", "https") and urlparse(u).hostname != "127.0.0.1"
        ]

    def close(self):
        self.context.close()


@pytest.fixture(params=CHAPTERS, ids=lambda page: Path(page).name)
def visit(request, browser, base_url):
    visit = PageVisit(browser, f"{base_url}/{request.param}.html")
    visit.name = Path(request.param).name
    # MathJax typesets after load; wait until it reports it is done.
    visit.page.wait_for_function("window.MathJax && MathJax.startup && MathJax.startup.promise", timeout=20000)
    visit.page.evaluate("MathJax.startup.promise")
    yield visit
    visit.close()


def test_math_is_typeset_from_local_files(visit):
    page = visit.page
    mathjax = [u for u in visit.requests if "mathjax" in u.lower()]
    assert mathjax and all(urlparse(u).hostname == "127.0.0.1" for u in mathjax), mathjax
    pending = page.locator(".math").count()
    typeset = page.locator("mjx-container").count()
    assert pending > 0, "the page has no math"
    assert typeset >= pending, f"{typeset} typeset formulas for {pending} math elements"
    # No raw TeX delimiters left in the text a reader sees.
    text = page.locator("article").inner_text()
    assert "$$" not in text and "\\frac" not in text and "\\sum" not in text


def test_every_image_loaded_and_has_alt_text(visit):
    images = visit.page.eval_on_selector_all(
        "article img", "images => images.map(i => [i.src, i.naturalWidth, i.getAttribute('alt') || ''])"
    )
    broken = [src for src, width, _ in images if width == 0]
    assert not broken, broken
    # Alt text says what a figure shows; a file name (myst-nb's default) does not.
    unlabelled = [src for src, _, alt in images if len(alt) < 10 or alt.endswith((".png", ".svg", ".jpg"))]
    assert not unlabelled, unlabelled


def test_intro_shows_the_chapter_map(browser, base_url):
    visit = PageVisit(browser, f"{base_url}/book/intro.html")
    try:
        chapter_map = visit.page.locator("img[src*=chapter_map]")
        assert chapter_map.count() == 1
        assert chapter_map.evaluate("i => i.naturalWidth") > 0
        assert "Chapter map" in chapter_map.get_attribute("alt")
        assert not visit.errors and not visit.foreign_requests()
    finally:
        visit.close()


def test_no_console_errors_and_no_remote_requests(visit):
    visit.page.wait_for_timeout(300)
    assert not visit.errors, visit.errors
    assert not visit.foreign_requests(), visit.foreign_requests()


def test_solutions_hidden_until_clicked(visit):
    page = visit.page
    solutions = page.locator("div.solution")
    assert solutions.count() >= 2, "a chapter has at least two exercises with solutions"
    for index in range(solutions.count()):
        solution = solutions.nth(index)
        body = solution.locator("section").first
        assert not body.is_visible(), f"solution {index} is shown before it is clicked"
        solution.locator(".admonition-title").first.click()
        body.wait_for(state="visible", timeout=5000)
        assert body.is_visible(), f"solution {index} stays hidden after a click"


def test_notebook_download_is_offered(visit):
    link = visit.page.locator(f"a[href$='_sources/notebooks/{visit.name}.ipynb']").first
    assert link.count() == 1, "no download link for the page's notebook"
    response = visit.page.request.get(link.evaluate("a => a.href"))
    assert response.ok
    assert '"cells"' in response.text() and '"outputs"' in response.text()


def test_screenshot(visit):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{visit.name}.png"
    visit.page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 10_000


@pytest.mark.parametrize("page", sorted(ANIMATED), ids=lambda page: Path(page).name)
def test_animation_plays(browser, base_url, page):
    visit = PageVisit(browser, f"{base_url}/{page}.html")
    try:
        slider = visit.page.locator("input[type=range][id^=_anim_slider]").first
        assert slider.count() == 1, "no animation slider on the page"
        image = visit.page.locator("img[id^=_anim_img]").first
        before = (slider.input_value(), image.get_attribute("src"))
        visit.page.locator("button[title='Play']").first.click()
        visit.page.wait_for_function(
            "s => Number(document.querySelector(s).value) > 1", arg=f"#{slider.get_attribute('id')}", timeout=10000
        )
        after = (slider.input_value(), image.get_attribute("src"))
        assert int(after[0]) > int(before[0])
        assert after[1] != before[1], "the frame did not change"
    finally:
        visit.close()


def test_search_finds_a_chapter_by_a_word(browser, base_url):
    visit = PageVisit(browser, f"{base_url}/search.html?q=dilation")
    try:
        visit.page.wait_for_selector("ul.search li a", timeout=15000)
        links = visit.page.eval_on_selector_all("ul.search li a", "links => links.map(a => a.href)")
        assert any("padding_stride_dilation" in link for link in links), links
    finally:
        visit.close()


def test_no_remote_scripts_styles_or_fonts_in_built_pages():
    remote = re.compile(r"""<(?:script|link|img|iframe)\b[^>]*(?:src|href)=["'](?:https?:)?//""", re.IGNORECASE)
    offenders = {}
    for page in HTML.rglob("*.html"):
        hits = remote.findall(page.read_text(errors="replace"))
        if hits:
            offenders[str(page.relative_to(HTML))] = hits[:3]
    assert not offenders, offenders
    for css in HTML.rglob("*.css"):
        assert not re.search(
            r"@import\s+url\(\s*['\"]?https?://|url\(\s*['\"]?https?://", css.read_text(errors="replace")
        ), css


# A reader who searches for a concept finds the chapter that introduces it, and its glossary entry.
SEARCHED_TERMS = {
    "equivariance": "notebooks/02_images_and_filters",
    "locally connected": "notebooks/03_channels_loop",
    "reflect": "notebooks/02_images_and_filters",
    "global average pooling": "notebooks/08_transposed_and_pooling",
}


@pytest.mark.parametrize("query", sorted(SEARCHED_TERMS), ids=lambda query: query.replace(" ", "_"))
def test_search_finds_a_concept_in_its_chapter_and_the_glossary(browser, base_url, query):
    chapter = SEARCHED_TERMS[query]
    assert f"file: {chapter}" in TOC, f"{chapter} is not a chapter in _toc.yml"
    visit = PageVisit(browser, f"{base_url}/search.html?q={query.replace(' ', '+')}")
    try:
        # Sphinx lists the results one by one, then says how many it found (or that none matched).
        summary = visit.page.locator("#search-results p.search-summary")
        summary.wait_for(state="attached", timeout=15000)
        visit.page.wait_for_function(
            "p => /Search finished|did not match/.test(p.textContent)", arg=summary.element_handle(), timeout=15000
        )
        links = visit.page.eval_on_selector_all("ul.search li a", "links => links.map(a => a.href)")
        pages = {urlparse(link).path.lstrip("/").removesuffix(".html") for link in links}
        assert pages, f"searching for {query!r} finds no page"
        assert chapter in pages, f"searching for {query!r} does not find {chapter}; it finds {sorted(pages)}"
        assert "book/glossary" in pages, f"searching for {query!r} does not find the glossary; it finds {sorted(pages)}"
        assert not visit.errors and not visit.foreign_requests()
    finally:
        visit.close()
