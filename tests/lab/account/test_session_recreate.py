"""lab.create_stream re-creates a stream that an earlier run is still deleting (F120).

A lesson's clean-up deletes its stream; run again at once, its first cell re-creates it while
the stream is still DELETING. DeleteStream on a DELETING stream is refused with
ResourceInUseException (the lifecycle SIMULATION, as AWS does), so the re-create waits the
deletion out instead of deleting again.
"""

from __future__ import annotations


def test_create_stream_waits_out_a_stream_still_deleting(lab):
    lab.create_stream("rerun", shard_count=1)
    lab.kinesis.delete_stream(StreamName="rerun")  # the lesson's clean-up: DELETING for now
    assert lab.create_stream("rerun", shard_count=2) == "rerun"
    summary = lab.kinesis.describe_stream_summary(StreamName="rerun")["StreamDescriptionSummary"]
    assert (summary["StreamStatus"], summary["OpenShardCount"]) == ("ACTIVE", 2)
