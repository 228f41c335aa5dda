"""The "what is simulated" page has one home (the catalogue) and is current on the site."""

import importlib.util
import re
import sys

from paths import REPO

from kinesis_lab.simulation import catalogue, firehose, lambda_esm


def load_generator():
    spec = importlib.util.spec_from_file_location("gen", REPO / "tools" / "gen_simulation_page.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["gen"] = module
    spec.loader.exec_module(module)
    return module


def test_committed_site_page_is_current():
    generator = load_generator()
    committed = (REPO / "site" / "what-is-simulated.md").read_text(encoding="utf-8")
    assert committed == generator.render(), "run: python tools/gen_simulation_page.py"


FACT_SHEET = (REPO / "site" / "reference" / "facts.md").read_text()


def test_notes_come_from_the_simulation_modules():
    page = catalogue.what_is_simulated_markdown()
    for note in firehose.simulation_notes() + lambda_esm.simulation_notes():
        assert note in page


def test_every_entry_cites_fact_rows_that_exist():
    for entry in catalogue.FIXED_IN_THE_MOCK + catalogue.SIMULATED:
        rows = re.findall(r"F(\d+)", entry.facts)
        assert rows, entry.behaviour
        assert all(f"| F{row} |" in FACT_SHEET for row in rows), entry.facts


def test_every_simulation_names_the_module_that_implements_it():
    for entry in catalogue.SIMULATED:
        assert entry.how.startswith("SIMULATION")
        for module in re.findall(r"kinesis_lab\.simulation\.(\w+)", entry.how):
            assert importlib.util.find_spec(f"kinesis_lab.simulation.{module}"), module


def test_notebook_view_uses_lower_headings():
    markdown = catalogue.show_what_is_simulated().data
    assert markdown.startswith("### What the labs simulate")
