"""execution.profile and execution.rules through Python (docs/execution.md, "Execution profiles")."""

from __future__ import annotations

import pytest

from ml4t.backtest.config import ExecutionConfig


def test_a_profile_presets_the_rules_and_each_rule_can_be_set_after_it():
    e = ExecutionConfig()
    assert e.profile == "default"
    assert (e.rules.order_sequence, e.rules.cash_check, e.rules.target_rounding) == ("exits_first", "reject", "target")
    e.profile = "backtrader"
    r = e.rules
    assert (r.order_sequence, r.cash_check, r.target_rounding, r.target_nets_open_orders) == (
        "submission", "reject", "difference", False)
    assert (r.trail_reference, r.commission_minimum, r.market_fill_price, r.trigger_price) == (
        "close", "per_fill", "open", "ohlc")
    assert e.backtrader_checksubmit is True  # BackBroker's default
    rules = e.rules
    rules.order_sequence = "exits_first"
    e.rules = rules
    assert e.rules.order_sequence == "exits_first"
    assert e.profile == "backtrader"


def test_vectorbt_fills_at_the_signal_bar_close():
    e = ExecutionConfig()
    e.profile = "vectorbt"
    assert e.fill_timing == "same_bar_close"
    assert e.rules.cash_check == "resize"


def test_unknown_names_are_errors_that_list_the_choices():
    e = ExecutionConfig()
    with pytest.raises(Exception, match="execution.profile 'backtrade' is not one of 'default', 'backtrader'"):
        e.profile = "backtrade"
    with pytest.raises(Exception, match="execution.rules.cash_check 'maybe' is not one of 'reject', 'resize', 'none'"):
        e.rules.cash_check = "maybe"
