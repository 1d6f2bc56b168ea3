from __future__ import annotations

from connector.admin.replay import ReplayOutcome, detail_message, summary


def test_summary_counts_each_outcome() -> None:
    outcomes = [
        ReplayOutcome("a" * 32, "succeeded", attempts=2),
        ReplayOutcome("b" * 32, "failed", "Still down.", attempts=2),
        ReplayOutcome("c" * 32, "succeeded", attempts=3),
        ReplayOutcome("d" * 32, None, "Only failed runs can be replayed (this one is succeeded)."),
    ]
    assert summary(outcomes) == (
        "Replayed 3 runs: 2 succeeded, 1 failed again. "
        "Not replayed: 1 run (dddddddd: Only failed runs can be replayed (this one is succeeded))."
    )


def test_summary_of_one_queued_run_and_of_nothing() -> None:
    assert summary([ReplayOutcome("a" * 32, "queued")]) == "Replayed 1 run: 1 queued for the worker."
    assert summary([]) == "Select at least one failed run to replay."


def test_summary_lists_at_most_five_reasons() -> None:
    outcomes = [ReplayOutcome(f"{n:032d}", None, "No such run.") for n in range(7)]
    text = summary(outcomes)
    assert text.startswith("Not replayed: 7 runs (") and text.endswith("; and 2 more).")
    assert text.count("No such run") == 5


def test_detail_message_for_each_outcome() -> None:
    assert detail_message(ReplayOutcome("r", "succeeded", attempts=2)) == "Replayed: the run succeeded on attempt 2."
    assert detail_message(ReplayOutcome("r", "failed", "Down.")) == "Replayed, but the run failed again: Down."
    assert detail_message(ReplayOutcome("r", "queued")) == "Replayed: the run is queued for the worker."
    assert detail_message(ReplayOutcome("r", None, "No such run.")) == "Not replayed: No such run."


def test_replay_many_goes_on_after_a_crash_and_replays_each_run_once(monkeypatch) -> None:
    from connector.admin import replay as module

    seen: list[str] = []

    def fake_replay_one(rt, run_id, actor):  # type: ignore[no-untyped-def]
        seen.append(run_id)
        if run_id == "boom":
            raise RuntimeError("database went away")
        return ReplayOutcome(run_id, "succeeded", attempts=2)

    monkeypatch.setattr(module, "replay_one", fake_replay_one)
    outcomes = module.replay_many(None, ["a", "boom", "b", "a"], None)  # type: ignore[arg-type]
    assert seen == ["a", "boom", "b"]
    assert [(o.run_id, o.status) for o in outcomes] == [("a", "succeeded"), ("boom", None), ("b", "succeeded")]
    assert outcomes[1].message == "The replay crashed; the log has the details."
