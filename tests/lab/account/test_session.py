"""The lab session: ready clients, harmless re-runs, a reset that wipes state."""

import os

from kinesis_lab import current_lab, start_lab
from kinesis_lab.account.session import SERVICES


def test_start_lab_gives_clients_for_every_lab_service(lab):
    for service in SERVICES:
        assert getattr(lab, service).meta.service_model.service_name == service
    assert lab.region == "us-east-1"
    assert lab.account_id == "123456789012"
    assert lab.offline


def test_a_client_is_made_when_first_used_and_kept():
    """start_lab() parses no service model a lesson may never use (about 0.2 s of CPU)."""
    lab = start_lab(quiet=True)
    try:
        assert lab.clients == {}
        kinesis = lab.kinesis
        assert lab.kinesis is kinesis and list(lab.clients) == ["kinesis"]
        assert lab.client("kinesis") is kinesis
        assert set(lab.all_clients()) == set(SERVICES) and lab.all_clients()["kinesis"] is kinesis
        lab.create_stream("made-when-used", shard_count=1)
        assert kinesis.list_streams()["StreamNames"] == ["made-when-used"]
    finally:
        lab.stop()


def test_rerunning_the_setup_cell_returns_the_same_session_and_keeps_state(lab):
    lab.create_stream("keep-me", shard_count=1)
    again = start_lab(quiet=True)
    assert again is lab
    assert again.kinesis.list_streams()["StreamNames"] == ["keep-me"]


def test_reset_wipes_every_service(lab):
    lab.create_stream("gone", shard_count=1)
    lab.s3.create_bucket(Bucket="gone-bucket")
    lab.reset()
    assert lab.kinesis.list_streams()["StreamNames"] == []
    assert lab.s3.list_buckets()["Buckets"] == []


def test_create_stream_recreates_an_existing_stream_empty(lab):
    lab.create_stream("s", shard_count=2)
    lab.kinesis.put_record(StreamName="s", Data=b"old", PartitionKey="k")
    lab.create_stream("s", shard_count=3)
    shards = lab.kinesis.list_shards(StreamName="s")["Shards"]
    assert len(shards) == 3
    it = lab.kinesis.get_shard_iterator(
        StreamName="s", ShardId=shards[0]["ShardId"], ShardIteratorType="TRIM_HORIZON"
    )["ShardIterator"]
    assert lab.kinesis.get_records(ShardIterator=it)["Records"] == []


def test_on_demand_stream(lab):
    lab.create_stream("od", on_demand=True)
    summary = lab.kinesis.describe_stream_summary(StreamName="od")["StreamDescriptionSummary"]
    assert summary["StreamModeDetails"]["StreamMode"] == "ON_DEMAND"


def test_banner_says_offline(lab, capsys):
    start_lab()
    out = capsys.readouterr().out
    assert "offline: nothing leaves this machine" in out
    assert "fidelity fixes on" in out


def test_stop_restores_the_learners_environment(monkeypatch):
    monkeypatch.setenv("AWS_PROFILE", "learner-profile")
    session = start_lab(quiet=True)
    assert "AWS_PROFILE" not in os.environ
    session.stop()
    assert os.environ["AWS_PROFILE"] == "learner-profile"
    assert current_lab() is None


def test_environment_inside_the_lab_holds_only_fake_credentials(lab):
    assert os.environ["AWS_ACCESS_KEY_ID"] == "testing"
    assert os.environ["AWS_EC2_METADATA_DISABLED"] == "true"
    assert repr(lab) == "<Lab target='mock' region='us-east-1' offline=True>"


def test_fidelity_fixes_can_be_switched_off_and_on_again():
    from kinesis_lab.mock import fidelity

    stock = start_lab(fidelity_fixes=False, limits=False, quiet=True)
    assert not fidelity.is_installed() and "stock moto" in stock.describe()
    stock.stop()
    fixed = start_lab(quiet=True)
    assert fidelity.is_installed()
    fixed.stop()


def test_labs_share_botocore_data_but_not_credentials_or_region():
    """One data loader per process (service models parsed once), nothing else shared."""
    first = start_lab(quiet=True)
    loader = first._boto_session._session.get_component("data_loader")
    credentials = first._boto_session.get_credentials()
    first.stop()
    second = start_lab(region="eu-west-1", quiet=True)
    try:
        assert second._boto_session._session.get_component("data_loader") is loader
        assert second._boto_session._session is not first._boto_session._session
        assert second.kinesis.meta.region_name == "eu-west-1"
        assert second._boto_session.get_credentials().access_key == credentials.access_key
        second.create_stream("shared-loader", shard_count=1)
        assert second.kinesis.list_streams()["StreamNames"] == ["shared-loader"]
    finally:
        second.stop()


def test_a_learners_own_boto3_client_uses_the_labs_session(monkeypatch):
    """boto3.client(...) in a notebook: the lab's fake credentials and region (nothing a
    previous default session cached), the models already parsed, the mocked account."""
    import boto3

    stale = boto3.session.Session(aws_access_key_id="stale", aws_secret_access_key="stale")
    monkeypatch.setattr(boto3, "DEFAULT_SESSION", stale)
    lab = start_lab(region="eu-west-1", quiet=True)
    try:
        own = boto3.client("kinesis")
        assert boto3.DEFAULT_SESSION is lab._boto_session
        assert boto3.DEFAULT_SESSION.get_credentials().access_key == "testing"
        assert own.meta.region_name == "eu-west-1"
        lab.create_stream("own-client", shard_count=1)
        assert own.list_streams()["StreamNames"] == ["own-client"]
    finally:
        lab.stop()
    assert boto3.DEFAULT_SESSION is None
