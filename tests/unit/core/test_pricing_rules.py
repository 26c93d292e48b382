import pytest

from bgr_core.money.charge_decision import QuotaUse, plan_charge, quota_room
from bgr_core.money.pricing import PLANS, TIERS, batch_price, break_even_images, discount_percentage


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


def _outcomes(tier: str, declared: int, arrived_ok: int, arrived_failed: int = 0, covered: int = 0):
    from bgr_core.money.charge_decision import ItemOutcome

    plan = plan_charge(tier, declared, room=covered)
    shares = plan.shares()
    outcomes = []
    for i, share in enumerate(shares):
        kind = plan.pricing_type(i)
        if i < arrived_ok:
            outcomes.append(ItemOutcome(kind, share, failed=False, arrived=True))
        elif i < arrived_ok + arrived_failed:
            outcomes.append(ItemOutcome(kind, share, failed=True, arrived=True))
        else:
            outcomes.append(ItemOutcome(kind, share, failed=True, arrived=False))
    return plan, outcomes


@pytest.mark.parametrize(
    ("tier", "declared", "ok", "failed", "refund", "final"),
    [
        ("industry", 201, 1, 0, 3995, 25),  # net -25
        ("standard", 60, 45, 0, 90, 342),  # 360 - 18
        ("basic", 25, 22, 3, 0, 72),  # the bracket holds; the 3 were refunded their own shares
        ("industry", 201, 200, 0, 0, 4250),  # 200 at 15 % lists higher: never more than the 4,020 paid
        ("standard", 10, 0, 0, 80, 0),  # nothing arrived: all back
    ],
)
def test_a_batch_settles_at_the_bracket_of_what_arrived(tier, declared, ok, failed, refund, final):
    from bgr_core.money.charge_decision import settle_batch

    plan, outcomes = _outcomes(tier, declared, ok, failed)
    settled = settle_batch(TIERS[tier].credits, outcomes)
    assert (settled.refund, settled.listed.final, settled.arrived) == (refund, final, ok + failed)
    refunded_on_failure = sum(o.share for o in outcomes if o.failed and o.arrived)
    assert 0 <= plan.credits - refunded_on_failure - settled.refund <= plan.credits


def test_quota_covered_images_that_arrived_count_for_the_bracket_and_pay_nothing():
    from bgr_core.money.charge_decision import settle_batch

    plan, outcomes = _outcomes("standard", 30, 25, covered=10)  # 10 by quota, 20 paid at 5 %
    assert plan.credits == 152
    settled = settle_batch(8, outcomes)  # 25 arrived (5 %): 15 paid ones owe 114
    assert (settled.arrived, settled.refund) == (25, 152 - 114)
