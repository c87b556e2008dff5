"""The review: its headline (the last complete UTC week against the one before, the week to date
apart, a change that counts only beyond its noise), its clients, its charts, its header, and a
client's own page."""

from datetime import date
from typing import Dict, List

from pipelines.outputs.certainty import beyond_noise
from pipelines.outputs.marts import scoped
from pipelines.outputs.report import families_line
from pipelines.outputs.review import campaign_outcomes, clients, esp_heatmap, got_worse, headline

MONDAY = date(2026, 12, 7)


def marts(rows: List[dict], min_seeds: int = 3):
    """A query of the marts that answers the review's verdict minimum, and `rows` to anything else."""
    return lambda sql: [{"seeds": min_seeds}] if "verdict_min_seeds" in sql else rows


def weeks(**by_week: Dict[str, int]) -> List[dict]:
    return [dict(week_start=date.fromisoformat(week), missing=0, spam=0, **counts) for week, counts in by_week.items()]


def test_a_change_counts_only_when_larger_than_its_noise():
    assert not beyond_noise(3, 4, 1, 4)  # 75% against 25% on four seeds each: chance can do that
    assert beyond_noise(30, 40, 10, 40)  # the same rates on forty seeds each: it cannot
    assert not beyond_noise(0, 5, 0, 7) and not beyond_noise(5, 5, 7, 7)  # equal rates, whatever n


def test_on_monday_the_headline_compares_the_last_complete_week_with_the_one_before():
    rows = weeks(**{"2026-11-23": dict(sent=40, inbox=30), "2026-11-30": dict(sent=40, inbox=10),
                    "2026-12-07": dict(sent=2, inbox=0)})
    panel = headline(lambda sql: rows, MONDAY)
    assert "<th>week of Nov 30</th><th>week of Nov 23</th><th>change</th><th>week of Dec 07 (to date)</th>" in panel.table
    assert "<td>inbox rate of sent</td><td>25% of 40</td><td>75% of 40</td><td>-50 points</td><td>0% of 2</td>" in panel.table
    assert panel.n == 82 and any("not over" in note for note in panel.notes)


def test_a_change_within_its_noise_is_marked_so():
    rows = weeks(**{"2026-11-23": dict(sent=4, inbox=3), "2026-11-30": dict(sent=4, inbox=1)})
    assert "<td>-50 points (within noise)</td>" in headline(lambda sql: rows, MONDAY).table


def test_the_week_not_over_is_marked_to_date_on_every_chart():
    rows = [dict(week_start=date(2026, 11, 30), recipient_esp="Google", sent=40, inbox=30, replies=2, bounced=1),
            dict(week_start=date(2026, 12, 7), recipient_esp="Google", sent=2, inbox=1, replies=0, bounced=0)]
    for panel in (esp_heatmap(marts(rows), MONDAY), campaign_outcomes(lambda sql: rows, MONDAY)):
        assert list(panel.figure.data[0].x) == ["2026-11-30", "2026-12-07 (to date)"], panel.key


def test_a_heatmap_cell_of_too_few_seeds_shows_its_rate_uncoloured():
    rows = [dict(week_start=date(2026, 11, 30), recipient_esp="Google", sent=40, inbox=30),
            dict(week_start=date(2026, 11, 30), recipient_esp="Libero.it", sent=1, inbox=0)]
    panel = esp_heatmap(marts(rows), MONDAY)
    heatmap = panel.figure.data[0]
    assert [list(row) for row in heatmap.z] == [[0.75], [None]]
    assert [list(row) for row in heatmap.text] == [["75%<br>n=40"], ["0%<br>n=1, too few"]]
    assert "A cell of fewer than 3 seeds is not coloured: too few to say." in panel.notes


def test_in_agency_mode_clients_are_listed_the_largest_real_drop_first():
    rows = [dict(workspace_label=label, week_start=date.fromisoformat(week), sent=sent, inbox=inbox)
            for label, week, sent, inbox in (
                ("acme", "2026-11-23", 4, 3), ("acme", "2026-11-30", 4, 1),  # -50 points on 4 seeds: noise
                ("globex", "2026-11-23", 40, 30), ("globex", "2026-11-30", 40, 14),  # -40 points on 40: real
                ("initech", "2026-11-30", 10, 9))]  # nothing to compare with
    panel = clients(lambda sql: rows, MONDAY)
    assert panel is not None and panel.n == 98
    listed = [cells.split("</td>")[0] for cells in panel.table.split('<tr class="row"><td>')[1:]]
    assert listed == ["globex", "acme", "initech"]
    assert "<td>-40 points</td>" in panel.table and "<td>-50 points (within noise)</td>" in panel.table
    assert "<td>35% of 40 (22%-50%)</td>" in panel.table  # each week's rate with its 95% interval


def test_a_single_workspace_has_no_clients_panel():
    rows = [dict(workspace_label="default", week_start=date(2026, 11, 30), sent=10, inbox=9)]
    assert clients(lambda sql: rows, MONDAY) is None


def test_the_pages_header_gives_each_familys_latest_load_naming_few_workspaces_and_counting_many():
    freshness = ([dict(family="campaigns", freshness_status="fresh", workspace_label=f"client{n}") for n in range(5)]
                 + [dict(family="placement", freshness_status="fresh", workspace_label=f"client{n}") for n in range(4)]
                 + [dict(family="placement", freshness_status="unsupported", workspace_label="client4")])
    assert families_line(freshness) == ("Latest load of each family: campaigns fresh;"
                                        " placement fresh (4 workspaces), unsupported (client4)"
                                        " (why, in the freshness table below).")
    assert families_line([]) == "No source has loaded yet."


def test_what_got_worse_compares_the_last_complete_week_and_shows_both_weeks_with_their_n():
    asked = []
    row = dict(workspace_label="acme", measure="inbox rate of sent", subject_kind="sending domain",
               subject="outreach1.example", n=77, rate=0.0, rate_low=0.0, rate_high=0.05, previous_week_n=110,
               previous_week_rate=0.58, change=-0.58)
    panel = got_worse(lambda sql: asked.append(sql) or [row], MONDAY)
    assert "week_start = cast('2026-11-30' as date)" in asked[0]
    assert panel.title == "What got worse in the week of Nov 30 (against Nov 23)" and panel.n == 77
    assert "<th>week of Nov 30</th><th>95% interval</th><th>week of Nov 23</th>" in panel.table
    assert ("<td>acme</td><td>inbox rate of sent</td><td>sending domain outreach1.example</td><td>0% of 77</td>"
            "<td>0%-5%</td><td>58% of 110</td><td>-58 points</td>") in panel.table



def test_a_client_page_reads_every_relation_through_its_workspace_alone():
    sql = ("select * from analytics.placement_test_senders as s left join analytics.inbox_placement_tests as t"
           " on t.test_id = s.test_id, raw.alert_state")
    assert scoped(sql, "o'brien") == (
        "select * from (select * from analytics.placement_test_senders where workspace_label = 'o''brien') as s"
        " left join (select * from analytics.inbox_placement_tests where workspace_label = 'o''brien') as t"
        " on t.test_id = s.test_id, (select * from raw.alert_state where workspace_label = 'o''brien') as alert_state")
