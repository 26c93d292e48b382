import pytest

from bgr_core.charging import QuotaUse, plan_charge, quota_room
from bgr_core.pricing import PLANS, TIERS, batch_price, break_even_images, discount_percentage


@pytest.mark.parametrize(
    ("count", "tier", "final"),
    [
        (50, "standard", 380),
        (100, "standard", 720),
        (200, "professional", 2550),
        (500, "standard", 3200),
        (20, "professional", 285),
    ],
)
def test_spec_volume_discount_examples(count, tier, final):
    assert batch_price(tier, count).final == final


@pytest.mark.parametrize(
    ("count", "pct"),
    [(1, 0), (19, 0), (20, 5), (50, 5), (51, 10), (100, 10), (101, 15), (200, 15), (201, 20), (500, 20)],
)
def test_discount_brackets_edges(count, pct):
    assert discount_percentage(count) == pct


@pytest.mark.parametrize("count", [0, 501, -1])
def test_batch_size_outside_1_to_500_is_refused(count):
    with pytest.raises(ValueError):
        discount_percentage(count)


def test_discount_is_floored():
    # 21 basic: base 63, 5% = 3.15 -> 3
    price = batch_price("basic", 21)
    assert (price.base, price.discount, price.final) == (63, 3, 60)


def test_tier_table_and_margins():
    assert {t: (x.credits, x.price_rp) for t, x in TIERS.items()} == {
        "basic": (3, 300),
        "standard": (8, 800),
        "professional": (15, 1500),
        "industry": (25, 2500),
    }
    assert [float(t.margin_pct) for t in TIERS.values()] == [94.17, 93.53, 94.25, 94.48]


def test_plans_and_break_even():
    assert PLANS["starter"].daily_quota == 50 and PLANS["pro"].professional_daily_quota == 50
    assert "industry" not in PLANS["pro"].allowed_tiers
    assert break_even_images("starter", "standard") == 124


def test_quote_30_standard_for_pro_subscriber_with_10_left():
    room = quota_room(QuotaUse.of_plan("pro", used_total=190), "standard")
    plan = plan_charge("standard", 30, room)
    assert room == 10 and plan.covered == 10
    assert plan.list_price.base == 240 and plan.list_price.discount_percentage == 5
    assert plan.list_price.final == 228
    # 20 paid images at the 30-image batch's 5%: 160 - floor(8) = 152
    assert plan.credits == 152
    assert sum(plan.shares()) == 152 and plan.shares()[:10] == [0] * 10


def test_quota_room_rules():
    assert quota_room(None, "basic") == 0
    assert quota_room(QuotaUse.of_plan("starter"), "professional") == 0
    assert quota_room(QuotaUse.of_plan("starter"), "industry") == 0
    assert quota_room(QuotaUse.of_plan("pro", used_total=10, used_professional=48), "professional") == 2
    assert quota_room(QuotaUse.of_plan("pro", used_total=199, used_professional=0), "professional") == 1
    assert quota_room(QuotaUse.of_plan("starter", used_total=60), "basic") == 0


@pytest.mark.parametrize("count", [1, 7, 20, 33, 101, 499, 500])
@pytest.mark.parametrize("room", [0, 3, 50])
def test_shares_add_up_exactly(count, room):
    plan = plan_charge("professional", count, room)
    shares = plan.shares()
    assert len(shares) == count and sum(shares) == plan.credits
    paid = shares[plan.covered :]
    assert not paid or max(paid) - min(paid) <= 1


def test_single_image_is_full_price_or_free():
    assert plan_charge("industry", 1).credits == 25
    assert plan_charge("basic", 1, room=1).credits == 0
