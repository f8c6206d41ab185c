"""The main pages at 375 px (a phone) and 1280 px (a laptop): no horizontal scrolling, no word
broken inside a table cell, axe-core clean at both widths; screenshots in var/screenshots.

A word may wrap at a hyphen ("APK-" / "herinnering"), never inside ("Afze" / "nder").
"""

import re

import pytest
from playwright.sync_api import expect

from machtigen import demo
from tests.browser.stories import digid, login

WIDTHS = (375, 1280)
BROKEN_WORDS = """() => {
    const broken = [];
    for (const cell of document.querySelectorAll('td, th')) {
        if (!cell.offsetParent) continue;
        const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
        for (let node = walker.nextNode(); node; node = walker.nextNode()) {
            for (const m of node.textContent.matchAll(/[^\\s\\-\\u2013\\/]+/g)) {
                const range = document.createRange();
                range.setStart(node, m.index);
                range.setEnd(node, m.index + m[0].length);
                const lines = new Set([...range.getClientRects()]
                    .filter(r => r.width > 0).map(r => Math.round(r.bottom)));
                if (lines.size > 1) broken.push(m[0]);
            }
        }
    }
    return broken;
}"""
HORIZONTAL_SCROLL = "() => document.documentElement.scrollWidth - window.innerWidth"


def look(visit, name: str) -> None:
    """At each width: nothing sticks out sideways, no word is split, axe is satisfied."""
    for width in WIDTHS:
        visit.page.set_viewport_size({"width": width, "height": 812 if width < 600 else 900})
        overflow = visit.page.evaluate(HORIZONTAL_SCROLL)
        assert overflow <= 0, f"{name} at {width} px scrolls sideways by {overflow} px"
        broken = visit.page.evaluate(BROKEN_WORDS)
        assert not broken, f"{name} at {width} px breaks words inside table cells: {broken}"
        visit.check()
        visit.shot(f"{name}-{width}")
    visit.page.set_viewport_size({"width": 1200, "height": 900})


def test_the_check_finds_a_word_broken_inside_a_cell(visit):
    """The detector itself: a cell too narrow for its word, with breaking allowed."""
    visit.goto("/auth/login")
    visit.page.evaluate(
        """() => {
            const cell = document.createElement('td');
            cell.textContent = 'Afzender';
            Object.assign(cell.style, {width: '3ch', wordBreak: 'break-all'});
            const table = document.createElement('table');
            table.insertRow().appendChild(cell);
            document.querySelector('main').appendChild(table);
        }"""
    )
    assert visit.page.evaluate(BROKEN_WORDS) == ["Afzender"]


def test_a_citizens_pages_at_phone_and_laptop_width(visit):
    visit.goto("/auth/login")
    look(visit, "login")
    page = digid(visit, demo.KOEN_BSN)
    look(visit, "home")
    menu = page.get_by_role("navigation", name="Hoofdmenu")
    visit.click(menu.get_by_role("link", name=re.compile("^Berichtenbox")))
    look(visit, "inbox")
    visit.click(page.get_by_role("link", name="Uw auto moet binnenkort APK-gekeurd worden"))
    look(visit, "message")
    for path, name in (
        ("/portal/settings", "settings"),
        ("/portal/mandates", "mandates"),
        ("/portal/mandates/new", "grant-form"),
        ("/portal/activity", "activity"),
        ("/help/trail-check", "trail-check"),
    ):
        visit.goto(path)
        look(visit, name)


def test_the_menu_folds_away_on_a_phone_and_still_works_without_script(visit):
    page = digid(visit, demo.KOEN_BSN)
    visit.page.set_viewport_size({"width": 375, "height": 812})
    header = page.locator("header")
    assert header.bounding_box()["height"] < 812 * 0.2, "the header takes under a fifth"
    menu = page.get_by_role("navigation", name="Hoofdmenu")
    expect(menu.get_by_role("link", name="Instellingen")).to_be_hidden()
    menu.get_by_text("Menu").click()
    expect(menu.get_by_role("link", name="Instellingen")).to_be_visible()
    visit.check()
    visit.shot("menu-open-375")
    visit.click(menu.get_by_role("link", name="Instellingen"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Instellingen")


def test_the_inbox_is_a_list_of_cards_on_a_phone(visit):
    page = digid(visit, demo.KOEN_BSN)
    visit.goto("/portal/inbox")
    row = page.get_by_role("row", name=re.compile("APK-gekeurd"))
    visit.page.set_viewport_size({"width": 375, "height": 812})
    assert row.evaluate("r => getComputedStyle(r).display") == "block"
    expect(row).to_contain_text("Afzender: RDW")
    folder = page.get_by_text("Nieuwe map", exact=True)
    assert folder.evaluate("e => e.tagName") == "SUMMARY", "behind a link, not a form above"
    visit.page.set_viewport_size({"width": 1280, "height": 900})
    assert row.evaluate("r => getComputedStyle(r).display") == "table-row"


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_a_representatives_pages_at_phone_and_laptop_width(visit, lang):
    page = login(visit, "Inloggen met eHerkenning (voor kantoren)")
    if lang == "en":
        visit.click(page.get_by_role("link", name="English"))
    look(visit, f"caseload-{lang}")
    switch = "Wisselen naar Anna Bakker" if lang == "nl" else "Switch to Anna Bakker"
    visit.click(page.get_by_role("button", name=switch))
    look(visit, f"client-inbox-{lang}")
    visit.goto("/portal/settings")
    look(visit, f"client-settings-{lang}")
    visit.goto("/portal")
    look(visit, f"client-home-{lang}")
