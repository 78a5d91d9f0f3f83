"""Groups of open invoices adding up to a payment."""

from app.services.matching.combinations import exact_groups


def test_groups_of_two_three_and_four_come_fewest_first_then_oldest():
    amounts = [(1, 100), (2, 200), (3, 50), (4, 150), (5, 25), (6, 75)]
    assert exact_groups(amounts, 300) == [(1, 2), (1, 3, 4), (2, 5, 6), (3, 4, 5, 6)]


def test_equal_amounts_give_one_group_of_the_oldest():
    amounts = [(1, 40), (2, 40), (3, 40), (4, 20), (5, 40)]
    assert exact_groups(amounts, 80) == [(1, 2)]
    assert exact_groups(amounts, 120) == [(1, 2, 3)]
    assert exact_groups(amounts, 60) == [(1, 4)]
