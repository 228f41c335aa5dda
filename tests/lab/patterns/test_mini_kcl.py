"""The SIMPLIFIED MODEL of the KCL lease table (F28): one lease per shard, renew and take over,
idle extra workers, conditional writes, parents before children (F22)."""

from __future__ import annotations

import json

import pytest

from kinesis_lab.clients.readers import list_all_shards
from kinesis_lab.core import clock
from kinesis_lab.data import decode
from kinesis_lab.patterns.mini_kcl import (
    FAILOVER_SECONDS,
    SHARD_END,
    TRIM_HORIZON,
    LeaseTable,
    Worker,
    check_processing,
    idle_workers,
    run_rounds,
)

STREAM = "orders"
APP = "order-dashboard"


def put_orders(lab, numbers, stream=STREAM):
    lab.kinesis.put_records(
        StreamName=stream,
        Records=[
            {"PartitionKey": f"customer-{n % 7}", "Data": json.dumps({"order": n}).encode()}
            for n in numbers
        ],
    )


@pytest.fixture
def setup(sim_lab):
    sim_lab.create_stream(STREAM, shard_count=2)
    table = LeaseTable(sim_lab.dynamodb, APP)
    table.create()
    table.sync_shards(list_all_shards(sim_lab.kinesis, STREAM))
    handled = []

    def handle(worker, shard, record):
        handled.append((worker, shard, decode(record)["order"]))

    def worker(name):
        return Worker(name, table, sim_lab.kinesis, STREAM, handle)

    return sim_lab, table, handled, worker


def test_the_lease_table_is_named_after_the_application_with_a_lease_per_shard(setup):
    lab, table, _, _ = setup
    assert table.table_name == APP
    assert APP in lab.dynamodb.list_tables()["TableNames"]
    leases = table.leases()
    assert [lease["leaseKey"] for lease in leases] == [
        s["ShardId"] for s in list_all_shards(lab.kinesis, STREAM)
    ]
    assert {lease["checkpoint"] for lease in leases} == {TRIM_HORIZON}
    assert all("leaseOwner" not in lease for lease in leases)
    assert table.sync_shards(list_all_shards(lab.kinesis, STREAM)) == []  # idempotent


def test_workers_share_the_leases_and_the_extra_worker_stays_idle(setup):
    lab, table, handled, worker = setup
    put_orders(lab, range(1, 21))
    workers = [worker("worker-a"), worker("worker-b"), worker("worker-c")]
    run_rounds(workers, 2, 5, clock.now())

    owners = table.owners()
    assert sorted(owners.values()) == ["worker-a", "worker-b"]
    assert idle_workers(workers, table) == ["worker-c"]
    assert sorted(order for _, _, order in handled) == list(range(1, 21))


def test_a_dead_workers_lease_is_taken_over_after_the_failover_time(setup):
    lab, table, handled, worker = setup
    put_orders(lab, range(1, 21))
    workers = [worker("worker-a"), worker("worker-b"), worker("worker-c")]
    started = clock.now()
    run_rounds(workers, 2, 5, started)
    dead_shard = next(s for s, owner in table.owners().items() if owner == "worker-a")
    checkpoint_before = next(
        lease["checkpoint"] for lease in table.leases() if lease["leaseKey"] == dead_shard
    )

    workers[0].kill()
    put_orders(lab, range(21, 41))
    events = run_rounds(workers, 1, 5, started)  # within the failover time: nobody takes it
    assert table.owners()[dead_shard] == "worker-a"
    assert not any("takes over" in event.what for event in events)

    events = run_rounds(workers, 3, 5, started)
    takeover = [event for event in events if "takes over from worker-a" in event.what]
    assert takeover and takeover[0].shard_id == dead_shard
    assert table.owners()[dead_shard] in ("worker-b", "worker-c")
    assert "worker-a" not in table.owners().values()
    assert checkpoint_before not in (TRIM_HORIZON, SHARD_END)
    assert sorted(order for _, _, order in handled) == list(range(1, 41))  # none lost or twice
    assert all(w != "worker-a" for w, _, order in handled if order > 20)
    assert "no renewal for" in str(takeover[0])
    quiet = float(takeover[0].what.split("no renewal for ")[1].split(" s")[0])
    assert quiet > FAILOVER_SECONDS


def test_taking_a_lease_is_a_conditional_write_on_the_counter(setup):
    _, table, _, _ = setup
    shard = table.leases()[0]["leaseKey"]
    assert table.take(shard, "worker-a", 0) is True
    assert table.take(shard, "worker-b", 0) is False  # the counter moved: b lost the race
    assert table.owners()[shard] == "worker-a"
    assert table.renew(shard, "worker-b") is False
    assert table.renew(shard, "worker-a") is True
    assert table.checkpoint(shard, "worker-b", "123") is False
    assert table.checkpoint(shard, "worker-a", "123") is True
    lease = next(lease for lease in table.leases() if lease["leaseKey"] == shard)
    assert (lease["leaseCounter"], lease["checkpoint"]) == (2, "123")


def test_a_worker_that_lost_its_lease_says_so(setup):
    lab, table, _, worker = setup
    a = worker("worker-a")
    run_rounds([a], 1, 5, clock.now())
    shard = table.leases()[0]["leaseKey"]
    counter = next(le["leaseCounter"] for le in table.leases() if le["leaseKey"] == shard)
    assert table.take(shard, "worker-b", counter)
    a.renew()
    assert any(event.what == "lost the lease" for event in a.events)


def test_children_wait_for_their_parent_to_reach_shard_end(sim_lab):
    sim_lab.create_stream("split-orders", shard_count=1)
    for n in range(1, 6):
        sim_lab.kinesis.put_record(
            StreamName="split-orders", PartitionKey="one", Data=json.dumps({"order": n}).encode()
        )
    parent = list_all_shards(sim_lab.kinesis, "split-orders")[0]["ShardId"]
    sim_lab.kinesis.split_shard(
        StreamName="split-orders", ShardToSplit=parent, NewStartingHashKey=str(2**127)
    )
    for n in range(6, 11):
        sim_lab.kinesis.put_record(
            StreamName="split-orders", PartitionKey="one", Data=json.dumps({"order": n}).encode()
        )
    table = LeaseTable(sim_lab.dynamodb, "split-app")
    table.create()
    table.sync_shards(list_all_shards(sim_lab.kinesis, "split-orders"))
    children = [lease for lease in table.leases() if lease["parentShardIds"]]
    assert len(children) == 2 and all(c["parentShardIds"] == [parent] for c in children)

    handled = []
    child_worker = Worker(
        "worker-child",
        table,
        sim_lab.kinesis,
        "split-orders",
        lambda w, s, r: handled.append(decode(r)["order"]),
    )
    for child in children:  # give the child leases to one worker before the parent is done
        assert table.take(child["leaseKey"], "worker-child", 0)
    child_worker.process()
    assert handled == []
    assert any(event.what.startswith("waits: parent") for event in child_worker.events)

    parent_worker = Worker(
        "worker-parent",
        table,
        sim_lab.kinesis,
        "split-orders",
        lambda w, s, r: handled.append(decode(r)["order"]),
    )
    assert table.take(parent, "worker-parent", 0)
    parent_worker.process()
    assert handled == [1, 2, 3, 4, 5]
    assert next(le for le in table.leases() if le["leaseKey"] == parent)["checkpoint"] == SHARD_END
    child_worker.process()
    assert handled == list(range(1, 11))  # parent first, then the child: order kept


def test_the_lease_view_shows_owner_counter_and_checkpoint(setup):
    _, table, _, _ = setup
    shard = table.leases()[0]["leaseKey"]
    table.take(shard, "worker-a", 0)
    text = str(table.view())
    assert f"Lease table '{APP}'" in text
    assert "worker-a" in text and "— (no owner)" in text and TRIM_HORIZON in text
    html = table.view()._repr_html_()
    assert "<table>" in html and "worker-a" in html


def test_check_processing_reports_missing_and_twice(capsys):
    handled = [("a", "s0", 1), ("a", "s0", 2), ("b", "s1", 2), ("b", "s1", 4)]
    assert check_processing(handled, [1, 2, 3, 4]) is False
    out = capsys.readouterr().out
    assert "✗ 3 of 4 records handled" in out and "never handled: [3]" in out
    assert "handled twice: 1" in out and "a 2, b 2" in out
    assert check_processing(handled, [1, 2, 4]) is True


def test_the_table_is_deleted_on_request(setup):
    lab, table, _, _ = setup
    table.delete()
    table.delete()  # already gone: fine
    assert APP not in lab.dynamodb.list_tables()["TableNames"]
