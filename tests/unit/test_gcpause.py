"""The collector skips what existed before a batch only while batches run, and never undoes a
freeze the process made itself."""

from __future__ import annotations

import gc

import pytest

from flexvmss._gcpause import older_objects_frozen


@pytest.fixture(autouse=True)
def _unfrozen():
    gc.unfreeze()
    yield
    gc.unfreeze()


def test_objects_are_frozen_from_the_first_batch_to_the_end_of_the_last():
    with older_objects_frozen():
        frozen = gc.get_freeze_count()
        assert frozen > 0
        with older_objects_frozen():  # a second batch at once (a fleet): nothing more to do
            assert gc.get_freeze_count() == frozen
        assert gc.get_freeze_count() == frozen  # the first batch still runs
    assert gc.get_freeze_count() == 0


def test_a_cycle_that_died_during_a_batch_is_collected_after_it():
    class Node:
        pass

    a, b = Node(), Node()
    a.other, b.other = b, a
    with older_objects_frozen():
        del a, b  # garbage now, but frozen: a collection during the batch skips it
        assert not any(isinstance(o, Node) for o in gc.garbage)
    gc.collect()
    assert not any(type(o).__name__ == "Node" for o in gc.get_objects())


def test_a_freeze_the_process_made_itself_is_left_alone():
    gc.freeze()
    before = gc.get_freeze_count()
    with older_objects_frozen():
        pass
    assert gc.get_freeze_count() == before


def test_switched_off_nothing_is_frozen():
    with older_objects_frozen(False):
        assert gc.get_freeze_count() == 0


def test_a_batch_that_raises_still_unfreezes():
    with pytest.raises(RuntimeError), older_objects_frozen():
        raise RuntimeError("boom")
    assert gc.get_freeze_count() == 0


def test_the_young_threshold_is_raised_for_the_batches_and_given_back():
    from flexvmss._gcpause import YOUNG_THRESHOLD

    before = gc.get_threshold()
    with older_objects_frozen():
        assert gc.get_threshold() == (YOUNG_THRESHOLD, before[1], before[2])
        with older_objects_frozen():
            assert gc.get_threshold()[0] == YOUNG_THRESHOLD
        assert gc.get_threshold()[0] == YOUNG_THRESHOLD  # the first batch still runs
    assert gc.get_threshold() == before


def test_a_threshold_changed_during_the_batches_is_kept():
    before = gc.get_threshold()
    try:
        with older_objects_frozen():
            gc.set_threshold(5_000, before[1], before[2])  # the process's own choice, meanwhile
        assert gc.get_threshold() == (5_000, before[1], before[2])
    finally:
        gc.set_threshold(*before)
