"""`backbone bench webhooks` measures real answers (every delivery accepted), here on a handful."""

from __future__ import annotations

from bench.webhooks import run


def test_every_delivery_is_answered_200_on_both_paths() -> None:
    rows = run(requests_per_path=6, concurrency=2, database_url=None)
    assert [r.path for r in rows] == ["jobber", "sandbox"]
    for r in rows:
        assert r.requests == 6 and r.statuses == {"200": 6}
        assert 0 < r.p50_ms <= r.p95_ms <= r.p99_ms <= r.max_ms
