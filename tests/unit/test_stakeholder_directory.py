"""The stakeholder directory: bundled entries, the user's, the overlays' contacts, and
lookup by function and market (docs/playbooks.md, "Stakeholders")."""

from __future__ import annotations

from pathlib import Path

from rr_desktop.playbooks import Source, load_directory, load_library


def test_lookup_by_function_and_market_puts_the_market_first() -> None:
    directory = load_directory(None, load_library(None))
    legal_in = [s.id for s in directory.find(function="legal", market="IN")]
    # The India Grievance Officer (IN overlay) names IN; APAC Legal covers the region;
    # Global Legal names no market or region.
    assert legal_in == ["in-grievance-officer", "legal-apac", "legal-global"]
    assert [s.id for s in directory.find(function="market_team", market="nz")] == \
        ["market-au"]
    assert [s.id for s in directory.find(function="regulator", market="AU")] == \
        ["au-esafety"]
    assert directory.find(function="legal", market="US") == \
        (directory.get("legal-global"),)  # outside APAC only the global team
    esafety = directory.get("au-esafety")
    assert esafety is not None
    assert esafety.overlay == "AU" and esafety.markets == ("AU",)
    assert esafety.file == "playbooks/overlays/au.yaml"
    assert esafety.channels.web == "https://www.esafety.gov.au/industry"


def test_a_user_entry_replaces_the_bundled_one_and_adds_its_own(tmp_path: Path) -> None:
    user = tmp_path / "stakeholders" / "ours.yaml"
    user.parent.mkdir(parents=True)
    user.write_text("""\
stakeholders:
  - id: legal-apac
    name: APAC Legal (our desk)
    function: legal
    regions: [APAC]
    channels: {email: apac-legal@ours.example, phone: "+65 6000 0000"}
    hours: 24/7
  - id: comms-jp
    name: Japan press office
    function: comms
    markets: [JP]
    channels: {chat: "#press-jp"}
""", encoding="utf-8")
    directory = load_directory(tmp_path)
    assert directory.problems == ()
    legal = directory.get("legal-apac")
    assert legal is not None and legal.name == "APAC Legal (our desk)"
    assert legal.source is Source.USER
    entry = next(e for e in directory.entries if e.key == "legal-apac")
    assert entry.replaced_file == "stakeholders/functions.yaml"
    assert [s.id for s in directory.find(function="comms", market="JP")] == \
        ["comms-jp", "comms-apac"]
