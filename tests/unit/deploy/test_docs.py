"""The docs a newcomer walks: a README of at most 200 lines that leads to every document, links
and make targets that exist, and nothing pointing outside the repository."""

import re

import pytest

from harness import ROOT

README = ROOT / "README.md"
DOCS = sorted((ROOT / "docs").glob("*.md"))
TARGETS = set(re.findall(r"^([\w-]+):", (ROOT / "Makefile").read_text(), re.MULTILINE))


def test_the_readme_is_short_and_leads_to_every_document():
    text = README.read_text()
    assert len(text.splitlines()) <= 200
    assert [doc.name for doc in DOCS if f"docs/{doc.name}" not in text] == []


@pytest.mark.parametrize("doc", [README, *DOCS], ids=lambda p: p.name)
def test_links_and_targets_exist_and_nothing_points_outside_the_repository(doc):
    text = doc.read_text()
    for target in re.findall(r"\]\(([^)#]+)(?:#[^)]*)?\)", text):
        if not target.startswith(("http://", "https://")):
            assert (doc.parent / target).exists(), target
    assert set(re.findall(r"`make ([a-z][\w-]*)", text)) <= TARGETS
    assert not re.search(r"\.\./shared|(?<![\w.])/work/|\bSPEC\b|\bNOTES\b", text)
