"""`serve --state-dir`: a restart keeps balances, jobs and their images, and what it restores is
not taken for new uploads (nothing is cut out or charged again)."""

import pytest
import requests
from test_local_runtime import BGR, SECRET, client, images, new_user, serving  # noqa: F401 (fixture)

pytestmark = pytest.mark.slow


def test_a_restart_with_a_state_dir_keeps_balances_jobs_and_results(images, tmp_path):  # noqa: F811
    state = str(tmp_path / "state")
    with serving(tmp_path / "first.log", SECRET, "--state-dir", state) as first:
        user_id, user = new_user(first, credits=10)
        done = user.wait_job(user.remove(images[0], "basic")["id"])
        assert done["status"] == "completed" and user.balance() == 7
        cutout = requests.get(done["resultUrl"], timeout=30).content
    with serving(tmp_path / "second.log", SECRET, "--state-dir", state) as second:
        user = client(second, user_id)
        assert user.balance() == 7
        jobs = user.get(f"{BGR}/jobs")["jobs"]
        assert [(j["id"], j["status"]) for j in jobs] == [(done["id"], "completed")]
        again = user.get(f"{BGR}/jobs/{done['id']}")["job"]
        assert requests.get(again["resultUrl"], timeout=30).content == cutout
        assert "saved in" in (tmp_path / "second.log").read_text()
    with serving(tmp_path / "fresh.log", SECRET) as fresh:  # without it, a restart starts empty
        assert client(fresh, user_id).balance() == 0
