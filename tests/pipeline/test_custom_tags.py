"""Custom tags: listed whole every run, written only where they changed, and what was deleted
upstream deleted here."""

import pytest

from helpers import Warehouse, serving
from simulator.accounts import AccountsWorkspace
from simulator.placement import PlacementWorkspace
from simulator.workspace import Workspace

TAG_RESOURCES = ("instantly_custom_tags", "instantly_custom_tag_mappings")


@pytest.fixture
def tagged(tmp_path):
    """A warehouse of its own simulator: the tests rename tags and unassign them."""
    workspace, accounts = Workspace(campaigns=5, days=5), AccountsWorkspace(accounts=4, days=5)
    with serving(workspace, PlacementWorkspace(tests=0, days=5), accounts) as sim:
        yield Warehouse(tmp_path, sim)


def loaded_tags(wh: Warehouse):
    return sorted(wh.query("select id, label from raw.instantly_custom_tags"))


def loaded_mappings(wh: Warehouse):
    return sorted(wh.query("select id, tag_id, resource_id from raw.instantly_custom_tag_mappings"))


def truth_mappings(tags):
    return sorted((m.id, m.tag_id, m.resource_id) for m in tags.mappings.values())


def rows_written(report, table: str) -> int:
    return report.rows.get(table, 0)


def test_a_first_load_has_every_tag_and_every_mapping_of_the_workspace(tagged):
    tags = tagged.sim.tags
    tagged.load(*TAG_RESOURCES)
    assert loaded_tags(tagged) == sorted((t.id, t.label) for t in tags.tags.values())
    assert loaded_mappings(tagged) == truth_mappings(tags)
    carriers = [m.resource_id for m in tags.mappings.values()]
    assert any(carriers.count(r) > 1 for r in carriers), "some campaign or mailbox carries several tags"
    assert tagged.query("select count(distinct workspace_id) from raw.instantly_custom_tags") == [(1,)]


def test_a_later_load_writes_only_what_changed_and_deletes_what_was_unassigned(tagged):
    tags = tagged.sim.tags
    tagged.load(*TAG_RESOURCES)
    renamed = next(iter(tags.tags))
    tags.rename(renamed, "Client: Northwind Europe")
    gone = next(iter(tags.mappings))
    tags.unassign(gone)
    report = tagged.load(*TAG_RESOURCES)
    assert rows_written(report, "instantly_custom_tags") == 1
    assert rows_written(report, "instantly_custom_tag_mappings") == 1  # the deletion
    assert ("Client: Northwind Europe",) in tagged.query("select label from raw.instantly_custom_tags")
    assert loaded_mappings(tagged) == truth_mappings(tags)
    assert gone not in {m for m, _, _ in loaded_mappings(tagged)}


def test_a_load_with_nothing_changed_writes_nothing(tagged):
    tagged.load(*TAG_RESOURCES)
    report = tagged.load(*TAG_RESOURCES)
    assert [rows_written(report, t) for t in TAG_RESOURCES] == [0, 0]
    assert loaded_mappings(tagged) == truth_mappings(tagged.sim.tags)
