"""Window assignment and watermarks follow Flink's rules (the M10 simulation)."""

from __future__ import annotations

import pytest

from kinesis_lab.data import readings
from kinesis_lab.patterns.windowing import (
    MINUTE_MS,
    SECOND_MS,
    Window,
    arrival_time,
    event_time,
    fired_counts,
    firing_delays_ms,
    run_event_time_windows,
    session_windows,
    sessions_by_key,
    simulate_arrivals,
    sliding_windows,
    tumbling_window,
    watermark_after,
    window_contents,
    window_counts,
    window_start,
    windows_for,
)

MIN = MINUTE_MS
S = SECOND_MS


def ev(ts_ms, **extra):
    return {"ts_ms": ts_ms, **extra}


# --- tumbling ---------------------------------------------------------------------------------


def test_an_event_on_a_boundary_belongs_to_the_window_that_starts_there():
    assert tumbling_window(60_000, MIN) == Window(60_000, 120_000)
    assert tumbling_window(59_999, MIN) == Window(0, 60_000)
    assert not Window(0, 60_000).contains(60_000)


@pytest.mark.parametrize("ts", [0, 1, 59_999, 60_000, 60_001, 1_768_467_602_051, -1, -60_000])
def test_every_timestamp_is_in_exactly_one_tumbling_window(ts):
    window = tumbling_window(ts, MIN)
    assert window.contains(ts)
    assert window.size_ms == MIN
    assert window.start_ms % MIN == 0
    neighbours = [
        Window(window.start_ms - MIN, window.start_ms),
        Window(window.end_ms, window.end_ms + MIN),
    ]
    assert not any(n.contains(ts) for n in neighbours)


def test_offset_shifts_the_window_grid():
    assert tumbling_window(10_000, MIN, offset_ms=15_000) == Window(-45_000, 15_000)
    assert tumbling_window(15_000, MIN, offset_ms=15_000) == Window(15_000, 75_000)


def test_tumbling_counts_add_up_to_the_number_of_events():
    data = readings(180, devices=6, interval_s=10, seed=3)
    counts = window_counts(data, MIN)
    assert sum(counts.values()) == len(data)
    assert list(counts) == sorted(counts)
    # six devices every 10 s: 36 readings per minute, by event time
    assert set(counts.values()) == {36}


@pytest.mark.parametrize("bad", [0, -5, 1.5, True])
def test_window_sizes_must_be_positive_whole_milliseconds(bad):
    with pytest.raises(ValueError):
        window_start(1_000, bad)
    with pytest.raises(ValueError):
        sliding_windows(1_000, MIN, bad)


# --- sliding ----------------------------------------------------------------------------------


@pytest.mark.parametrize("ts", [0, 5_000, 10_000, 59_999, 60_000, 123_456, 1_768_467_602_051])
def test_sliding_60s_every_10s_puts_each_event_in_6_windows(ts):
    windows = sliding_windows(ts, 60 * S, 10 * S)
    assert len(windows) == 6
    assert all(w.contains(ts) and w.size_ms == 60 * S for w in windows)
    assert all(w.start_ms % (10 * S) == 0 for w in windows)
    starts = [w.start_ms for w in windows]
    assert starts == sorted(starts) and len(set(starts)) == 6
    # the window just before the oldest and just after the newest miss the event
    assert not Window(starts[0] - 10 * S, starts[0] - 10 * S + 60 * S).contains(ts)
    assert not Window(starts[-1] + 10 * S, starts[-1] + 70 * S).contains(ts)


def test_sliding_with_a_slide_that_does_not_divide_the_size():
    # size 25 s every 10 s: windows start at multiples of 10 s; 2 or 3 hold each event
    assert [w.start_ms for w in sliding_windows(20_000, 25_000, 10_000)] == [0, 10_000, 20_000]
    assert [w.start_ms for w in sliding_windows(26_000, 25_000, 10_000)] == [10_000, 20_000]


def test_a_slide_larger_than_the_size_leaves_gaps():
    assert sliding_windows(15_000, 10_000, 20_000) == []
    assert sliding_windows(5_000, 10_000, 20_000) == [Window(0, 10_000)]


def test_slide_equal_to_size_is_tumbling():
    for ts in (0, 59_999, 60_000, 99_999):
        assert windows_for(ts, MIN, MIN) == [tumbling_window(ts, MIN)]
        assert sliding_windows(ts, MIN, MIN) == [tumbling_window(ts, MIN)]


def test_sliding_contents_hold_each_event_size_over_slide_times():
    data = readings(120, devices=4, interval_s=10, seed=1)
    contents = window_contents(data, 60 * S, 10 * S)
    assert sum(len(v) for v in contents.values()) == 6 * len(data)
    for window, members in contents.items():
        assert all(window.contains(event_time(e)) for e in members)


# --- sessions ---------------------------------------------------------------------------------


def test_session_ends_gap_after_its_last_event():
    assert session_windows([1_000, 5_000, 9_000], 5_000) == [Window(1_000, 14_000)]


def test_events_exactly_gap_apart_share_a_session_and_more_than_gap_splits():
    assert session_windows([0, 10_000], 10_000) == [Window(0, 20_000)]
    assert session_windows([0, 10_001], 10_000) == [Window(0, 10_000), Window(10_001, 20_001)]


def test_session_input_order_does_not_matter():
    assert session_windows([9_000, 1_000, 5_000, 60_000], 5_000) == [
        Window(1_000, 14_000),
        Window(60_000, 65_000),
    ]


def test_sessions_are_per_key():
    events = [ev(0, k="a"), ev(3_000, k="b"), ev(6_000, k="a"), ev(50_000, k="a")]
    result = sessions_by_key(events, 10_000, key_of=lambda e: e["k"])
    assert [w for w, _ in result["a"]] == [Window(0, 16_000), Window(50_000, 60_000)]
    assert [len(members) for _, members in result["a"]] == [2, 1]
    assert [w for w, _ in result["b"]] == [Window(3_000, 13_000)]


def test_movement_sessions_match_the_planted_movement_runs():
    data = readings(600, devices=6, interval_s=10, movement_rate=0.1, seed=3)
    moving = [r for r in data if r["accel_g"] > 1.2]
    sessions = sessions_by_key(moving, 15 * S, key_of=lambda r: r["device_id"])
    # ground truth: runs of consecutive "movement" readings per device
    runs = 0
    for device in {r["device_id"] for r in data}:
        flags = [r["anomaly"] == "movement" for r in data if r["device_id"] == device]
        runs += sum(1 for i, f in enumerate(flags) if f and (i == 0 or not flags[i - 1]))
    assert sum(len(s) for s in sessions.values()) == runs > 0


# --- arrivals, watermarks and late events ------------------------------------------------------


def test_simulated_arrivals_are_seeded_sorted_and_never_early():
    data = readings(100, devices=5, seed=2)
    first = simulate_arrivals(data, seed=4)
    assert first == simulate_arrivals(data, seed=4)
    assert first != simulate_arrivals(data, seed=5)
    assert [arrival_time(e) for e in first] == sorted(arrival_time(e) for e in first)
    assert all(arrival_time(e) > event_time(e) for e in first)
    assert "arrival_ms" not in data[0]  # the input is not modified


def test_watermark_is_max_event_time_minus_bound_minus_one():
    assert watermark_after(100_000, 5_000) == 94_999


def test_late_event_after_the_window_fired_goes_to_the_side_output():
    arrivals = [ev(10_000, id=1), ev(65_000, id=2), ev(20_000, id=3), ev(130_000, id=4)]
    run = run_event_time_windows(arrivals, MIN, max_out_of_orderness_ms=0)
    # 65 s moves the watermark to 64.999 s ≥ 59.999 s: [0, 60 s) fires with event 1 only
    assert run.fired[0].window == Window(0, MIN)
    assert [e["id"] for e in run.fired[0].events] == [1]
    assert run.fired[0].after_events == 2
    assert [e["id"] for e in run.late] == [3]
    assert fired_counts(run) == {
        Window(0, MIN): 1,
        Window(MIN, 2 * MIN): 1,
        Window(2 * MIN, 3 * MIN): 1,
    }


def test_a_large_enough_bound_keeps_the_out_of_order_event():
    arrivals = [ev(10_000, id=1), ev(65_000, id=2), ev(20_000, id=3), ev(130_000, id=4)]
    run = run_event_time_windows(arrivals, MIN, max_out_of_orderness_ms=10_000)
    assert run.late == []
    assert [e["id"] for e in run.fired[0].events] == [1, 3]


def test_window_fires_only_when_the_watermark_reaches_its_last_millisecond():
    # bound 0: an event at 60 s gives watermark 59.999 s = max timestamp of [0, 60 s)
    run = run_event_time_windows(
        [ev(1_000), ev(59_999)], MIN, max_out_of_orderness_ms=0, flush=False
    )
    assert run.fired == []
    run = run_event_time_windows(
        [ev(1_000), ev(60_000)], MIN, max_out_of_orderness_ms=0, flush=False
    )
    assert [f.window for f in run.fired] == [Window(0, MIN)]


def test_without_flush_open_windows_stay_open_and_flush_fires_them():
    arrivals = [ev(1_000), ev(2_000)]
    assert run_event_time_windows(arrivals, MIN, max_out_of_orderness_ms=0, flush=False).fired == []
    flushed = run_event_time_windows(arrivals, MIN, max_out_of_orderness_ms=0)
    assert len(flushed.fired) == 1 and flushed.fired[0].watermark_ms is None


def test_every_event_is_counted_once_or_is_late_with_tumbling_windows():
    data = readings(300, devices=6, interval_s=10, seed=3)
    arrivals = simulate_arrivals(data, seed=1, late_share=0.05)
    for bound in (0, 2_000, 30_000):
        run = run_event_time_windows(arrivals, MIN, max_out_of_orderness_ms=bound)
        assert sum(fired_counts(run).values()) + len(run.late) == len(data)
    generous = run_event_time_windows(arrivals, MIN, max_out_of_orderness_ms=10 * MIN)
    assert generous.late == []
    assert fired_counts(generous) == window_counts(data, MIN)


def test_sliding_event_late_for_some_windows_is_kept_in_the_others():
    # [0,60), [10,70) ... an event at 55 s arriving after the watermark passed 59.999 s is late
    # for [0, 60 s) but still counted in the five later windows that hold it
    arrivals = [ev(55_000, id=1), ev(61_000, id=2), ev(55_500, id=3)]
    run = run_event_time_windows(arrivals, MIN, slide_ms=10 * S, max_out_of_orderness_ms=0)
    assert run.late == []
    holding_3 = [f.window for f in run.fired if any(e["id"] == 3 for e in f.events)]
    assert len(holding_3) == 5 and Window(0, MIN) not in holding_3


def test_negative_bound_is_refused():
    with pytest.raises(ValueError):
        run_event_time_windows([], MIN, max_out_of_orderness_ms=-1)


def test_window_label_is_utc_time_of_day():
    assert Window(1_768_467_600_000, 1_768_467_660_000).label() == "09:00:00.000–09:01:00.000"


def test_firing_delay_is_the_trigger_arrival_minus_the_window_end():
    arrivals = [
        {"ts_ms": 10_000, "arrival_ms": 11_000},
        {"ts_ms": 65_000, "arrival_ms": 66_500},
        {"ts_ms": 70_000, "arrival_ms": 71_000},
    ]
    run = run_event_time_windows(arrivals, MIN, max_out_of_orderness_ms=0)
    # [0, 60 s) fires on the second arrival (66.5 s); [60 s, 120 s) only at the flush
    assert firing_delays_ms(run, arrivals) == {Window(0, MIN): 6_500, Window(MIN, 2 * MIN): None}
    bigger = run_event_time_windows(arrivals, MIN, max_out_of_orderness_ms=8_000)
    # a bound of 8 s waits for the event at 70 s (watermark 61.999 s), which arrives at 71 s
    assert firing_delays_ms(bigger, arrivals) == {
        Window(0, MIN): 11_000,
        Window(MIN, 2 * MIN): None,
    }
