"""A trunk keeps how many numbers it has, so that the pages need not count them."""

from __future__ import annotations

from trunks.models import NumberBlock
from trunks.services import count_numbers, save_number_block


def test_saving_and_removing_a_block_keeps_the_trunks_count_of_numbers(trunk):
    trunk.refresh_from_db()
    before = trunk.numbers_count
    assert before == trunk.numbers.count() > 0
    block = NumberBlock(trunk=trunk, base="+49228181299")
    assert save_number_block(block) == 1
    trunk.refresh_from_db()
    assert trunk.numbers_count == before + 1
    block.delete()
    count_numbers(trunk.pk)
    trunk.refresh_from_db()
    assert trunk.numbers_count == before
