"""Each concept spread over several modules once now has one home, and a test fails when it is
defined again elsewhere: the matting rule (platform.config), Lambda's payload limits
(platform.lambda_payloads), the result-key folders (platform.storage), which quota a failed image
returns to (money.job_charges), the remaining-quota arithmetic (money.charge_decision), the
format ↔ content-type map (work.output_options) and the transaction loop (platform.transactions)."""

import re

import pytest

from harness import ROOT

CORE = ROOT / "layers" / "core" / "bgr_core"
DEPLOYED = [CORE, ROOT / "functions"]

HOMES = {
    "matting rule": (CORE / "platform" / "config.py", re.compile(r"""startswith\(\s*["']matting""")),
    "payload limit": (
        CORE / "platform" / "lambda_payloads.py",
        re.compile(r"\b[456]\s*\*\s*(?:1024\s*\*\s*1024|MIB)\b"),
    ),
    "result key": (CORE / "platform" / "storage.py", re.compile(r"""["']results/|\bfolder=""")),
    "quota a refund returns to": (
        CORE / "money" / "job_charges.py",
        re.compile(r"""pricing_type\s*==\s*["']subscription["']|subscriptions\.release\("""),
    ),
    "remaining quota": (
        CORE / "money" / "charge_decision.py",
        re.compile(r"daily_quota\)?\s*-\s*"),
    ),
    "format to content type": (
        CORE / "work" / "output_options.py",
        re.compile(
            r"""["'](?:png|webp|jpg)["']\s*:\s*["']image/|["']image/[a-z]+["']\s*:\s*["']|f["']image/\{"""
        ),
    ),
    "transaction retry": (
        CORE / "platform" / "transactions.py",
        re.compile(r"except\s+TransactWriteError|TransactionCanceledException"),
    ),
}
# Lines that match a pattern but are another concept: API keys refuse at once (a limit, a revoked
# key) rather than deciding again; S3's multipart minimum part size and the PNG encoder's deflate
# split are no Lambda payload.
UNRELATED = {
    CORE / "integrations" / "api_keys.py": {"transaction retry"},
    ROOT / "functions" / "batch_zip" / "zipper" / "plan.py": {"payload limit"},
    ROOT / "functions" / "inference" / "cutout" / "png.py": {"payload limit"},
}


def sources():
    for folder in DEPLOYED:
        for path in folder.rglob("*.py"):
            if "tests" not in path.parts:
                yield path


@pytest.mark.parametrize("concept", sorted(HOMES))
def test_a_concept_is_defined_in_its_home_only(concept):
    home, pattern = HOMES[concept]
    assert pattern.search(home.read_text()), f"{concept}: its home {home.name} no longer defines it"
    elsewhere = [
        f"{path.relative_to(ROOT).as_posix()}:{number}: {line.strip()}"
        for path in sources()
        if path != home and concept not in UNRELATED.get(path, ())
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if pattern.search(line)
    ]
    assert elsewhere == []
