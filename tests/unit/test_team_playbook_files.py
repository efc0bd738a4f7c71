"""The desktop's team playbook folder (rr_desktop/playbooks/team_files.py) and how the
library ranks its files: bundled < team < the user's own (docs/playbooks.md)."""

from __future__ import annotations

from pathlib import Path

from rr_desktop.playbooks import Source, load_library
from rr_desktop.playbooks.files import team_folder
from rr_desktop.playbooks.team import file_problem, name_problem
from rr_desktop.playbooks.team_files import known_tag, write_team_files

BASE = """\
id: {id}
title: {title}
steps:
  - id: declare
    title: Declare
    role: commander
    minutes: 5
"""


def _file(name: str, text: str) -> dict[str, object]:
    return {"name": name, "text": text, "version": 1}


def test_names_are_plain_files_in_the_folder_or_overlays() -> None:
    for good in ("a.yaml", "overlays/JP.yml", "violent-event.v2.YAML"):
        assert name_problem(good) is None, good
    for bad in ("../a.yaml", "/etc/a.yaml", "a.txt", "team/a.yaml", ".hidden.yaml",
                "overlays/../a.yaml", "overlays/", "a/b/c.yaml", "..yaml", "a" * 200 + ".yaml"):
        assert name_problem(bad) is not None, bad
    # An overlay sent as a base playbook is checked as one:
    assert file_problem("a.yaml", "market: JP\ntitle: x\n") == \
        "a.yaml: market is not a field this file format knows (a typo?)"
    assert file_problem("overlays/JP.yaml", "market: JP\ntitle: x\n") is None


def test_team_files_rank_between_bundled_and_the_users(tmp_path: Path) -> None:
    bundled = tmp_path / "resources"
    (bundled / "playbooks").mkdir(parents=True)
    (bundled / "playbooks" / "drill.yaml").write_text(BASE.format(id="drill", title="Bundled"))
    data = tmp_path / "data"
    team = team_folder(data)
    problems = write_team_files(team, [_file("drill.yaml", BASE.format(id="drill",
                                                                          title="Team")),
                                       _file("other.yaml", BASE.format(id="other",
                                                                          title="Team other"))],
                                "tag-1")
    assert problems == []
    library = load_library(data, bundled_root=bundled)
    assert library.playbook("drill").title == "Team"
    entry = next(e for e in library.entries if e.key == "drill")
    assert (entry.source, entry.replaced_source) == (Source.TEAM, Source.BUNDLED)
    assert "(the team's)" in entry.describe() and "replaces the bundled" in entry.describe()

    (data / "playbooks" / "mine.yaml").write_text(BASE.format(id="other", title="Mine"))
    library = load_library(data, bundled_root=bundled)
    assert library.playbook("other").title == "Mine"
    mine = next(e for e in library.entries if e.key == "other")
    assert (mine.source, mine.replaced_source) == (Source.USER, Source.TEAM)
    assert "replaces the team's" in mine.describe()


def test_the_folder_holds_exactly_the_hubs_valid_files(tmp_path: Path) -> None:
    team = team_folder(tmp_path)
    good = BASE.format(id="drill", title="Drill")
    write_team_files(team, [_file("drill.yaml", good), _file("gone.yaml", good)], "t1")
    assert known_tag(team) == "t1"
    # The hub drops gone.yaml and sends drill.yaml in a format this app cannot read: the
    # earlier good copy stays, the reason comes back, gone.yaml goes.
    problems = write_team_files(team, [_file("drill.yaml", "schema_version: 9\n" + good)],
                                "t2")
    assert len(problems) == 1 and "schema_version is 9" in problems[0]
    assert (team / "drill.yaml").read_text() == good
    assert not (team / "gone.yaml").exists()
    assert sorted(p.name for p in team.iterdir()) == [".hub.json", "drill.yaml"]
    (team / "drill.yaml").unlink()  # deleted by hand: the listing is read again
    write_team_files(team, [_file("drill.yaml", good)], "t3")
    (team / "drill.yaml").unlink()
    assert known_tag(team) is None


def test_a_file_the_hub_sent_unreadable_keeps_its_earlier_copy(tmp_path: Path) -> None:
    team = team_folder(tmp_path)
    good = BASE.format(id="drill", title="Drill")
    write_team_files(team, [_file("drill.yaml", good), _file("b.yaml", good)], "t1")
    write_team_files(team, [], "t2", unread=["drill.yaml"])
    assert (team / "drill.yaml").read_text() == good
    assert not (team / "b.yaml").exists()
