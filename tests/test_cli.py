"""The command line: help on every command, clear errors, and the dataset check."""

from __future__ import annotations

import subprocess
import sys

import pytest

from servicecourse import cli
from servicecourse.datasets import GENERATORS, available, load
from servicecourse.paths import CourseError, find_module

COMMANDS = sorted(cli.parser()._subparsers._group_actions[0].choices)


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "servicecourse.cli", *args], capture_output=True, text=True
    )


def test_every_step_is_a_command():
    expected = {"build", "release", "book", "collect", "autograde", "feedback", "export"}
    assert expected | {"learn", "dashboards", "datasets"} <= set(COMMANDS)


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help(command):
    done = run(command, "--help")
    assert done.returncode == 0
    assert f"usage: servicecourse {command}" in done.stdout
    assert len(done.stdout.splitlines()) > 3


def test_unknown_module_is_a_clear_error():
    done = run("release", "42_nonsense")
    assert done.returncode == 2
    assert "no module called '42_nonsense'" in done.stderr
    assert "01_intro" in done.stderr, "the error lists the modules that exist"
    assert "Traceback" not in done.stderr


def test_release_without_modules_says_how():
    done = run("release")
    assert done.returncode == 2
    assert "--all" in done.stderr


def test_autograde_of_a_missing_folder_is_a_clear_error(tmp_path):
    done = run("autograde", "01_intro", "--submissions", str(tmp_path / "nowhere"))
    assert done.returncode == 2
    assert "does not exist" in done.stderr


def test_modules_are_found_by_name_or_number():
    assert find_module("1").name == "01_intro"
    assert find_module("04").name == "04_proactive"
    assert find_module("07_wellbeing").name == "07_wellbeing"
    with pytest.raises(CourseError):
        find_module("8")


def test_synthetic_datasets_match_their_generators():
    done = run("datasets")
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"{len(GENERATORS)} synthetic dataset(s) match" in done.stdout


def test_regenerating_gives_the_same_bytes(root):
    for name, generator in GENERATORS.items():
        assert generator.csv_text() == (root / "datasets" / f"{name}.csv").read_text()
        assert generator.csv_text() == generator.csv_text()


def test_every_dataset_has_a_data_card(root):
    for name in available():
        card = root / "datasets" / f"{name}.md"
        assert card.exists(), f"{name} needs a data card"
        text = card.read_text()
        assert "Licence" in text
        if name in GENERATORS:
            assert "Synthetic" in text and "fictional" in text
            assert str(GENERATORS[name].seed) in text, "the card names the seed"


def test_missing_dataset_is_a_clear_error():
    with pytest.raises(CourseError, match="the datasets are: .*mars_trainings"):
        load("no_such_data")


def test_contacts_dataset_is_plausible():
    contacts = load("kallavesi_desk_contacts")
    assert set(contacts.channel) == {"phone", "email", "portal", "chat"}
    monthly = contacts.groupby("month").contacts.sum()
    assert len(monthly) == 24
    assert 4000 <= monthly.median() <= 6000, "about 5,000 contacts a month for 25 agents"
    july = monthly[monthly.index.str.endswith("-07")]
    assert (july < monthly.median() * 0.8).all(), "July is the summer-holiday low"
    chat_2016 = contacts.query("channel == 'chat' and month < '2017-01'").contacts
    assert (chat_2016 == 0).all(), "chat opens in January 2017"


def test_commands_in_the_docs_exist(root):
    """The instructors' guide, the learners' guide and the README name only real commands."""
    import re

    docs = ["README.md", "AUTHORING.md", "book/instructors.md", "book/how_to_study.md"]
    named = set()
    for doc in docs:
        text = (root / doc).read_text()
        named |= set(re.findall(r"(?:^|`|/bin/)servicecourse ([a-z]+)", text, re.MULTILINE))
    assert named, "the docs show commands"
    assert named <= set(COMMANDS), f"the docs name unknown commands: {named - set(COMMANDS)}"
