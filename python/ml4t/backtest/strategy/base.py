"""Strategy: subclass it and override the hooks you need.

    class MyStrategy(Strategy):
        def on_market_data(self, event, context=None):
            if event.signals.get("ml_pred", 0.0) > 0.7:
                self.buy_percent(event.asset_id, 0.10, event.close)

Hooks (all optional): ``on_start()``, ``on_market_data(event, context=None)`` for every
event (one asset's bar), ``on_timestamp(cross_section)`` once per timestamp with numpy
arrays of the whole cross-section (fast vectorized strategies), ``on_fill(fill)`` and
``on_end()``. Orders placed in a hook fill on the next bar by default (no look-ahead).
Helpers: order, buy_percent, sell_percent, order_target_percent, order_target_quantity,
order_trailing_stop, close_position, cancel, cancel_all, position, position_info,
open_positions, open_orders, cash, equity, now, last_price; assets are symbols (str)
or integer asset ids.
"""

from __future__ import annotations

import functools
import inspect

from ml4t.backtest._ml4t import StrategyBase

__all__ = ["Strategy"]


def _takes_context(fn) -> bool:
    try:
        params = list(inspect.signature(fn).parameters.values())
    except (TypeError, ValueError):
        return True
    if any(p.kind == p.VAR_POSITIONAL for p in params):
        return True
    positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    return len(positional) >= 3  # self, event, context


def _ensure_native(self) -> None:
    """Construct the C++ base once per instance."""
    if not self.__dict__.get("_ml4t_native_ready", False):
        StrategyBase.__init__(self)
        self.__dict__["_ml4t_native_ready"] = True


class Strategy(StrategyBase):
    """Base class of Python strategies: subclass it and override the hooks you need.

    Hooks (all optional; one you do not define costs nothing):
        on_start(): once before the first bar.
        on_market_data(event, context=None): every event (one asset's bar); ``event``
            is a MarketEvent with ``signals``/``context`` read-only dict-likes, and
            ``context`` is ``event.context``. ``on_market_data(self, event)`` also works.
        on_timestamp(cross_section): once per timestamp after its events, with numpy
            arrays of every asset (CrossSection): the fast way to rank or vectorize.
        on_fill(fill): each fill of your orders, as a dict.
        on_end(): once after the last bar.

    Order helpers (assets as symbol or integer id; return the order id): order,
    buy_percent(asset, pct, price=None), sell_percent, order_target_percent,
    order_target_quantity, order_trailing_stop, close_position, cancel, cancel_all.
    Portfolio: position, position_info, open_positions, open_orders, cash(), equity(),
    now(), last_price. Orders fill on the next bar by default (no look-ahead).

    A subclass's ``__init__`` may call ``super().__init__()`` or not: the C++ base is
    set up before it runs either way.
    """

    #: Whether on_market_data is called with (event, context) or just (event).
    _ml4t_pass_context = True

    def __init__(self, *args, **kwargs) -> None:
        _ensure_native(self)

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        hook = cls.__dict__.get("on_market_data")
        if hook is not None:
            cls._ml4t_pass_context = _takes_context(hook)
        init = cls.__dict__.get("__init__")
        if init is not None and not getattr(init, "_ml4t_wrapped", False):
            # The reference's strategies often skip super().__init__(); set the C++ base
            # up first so they work, and make a later super().__init__() a no-op.
            @functools.wraps(init)
            def __init__(self, *args, **kwargs):
                _ensure_native(self)
                init(self, *args, **kwargs)

            __init__._ml4t_wrapped = True
            cls.__init__ = __init__

    def __repr__(self) -> str:
        return f"<{type(self).__name__} strategy>"
