"""Built-in strategies, run entirely in C++ (no Python call per event).

``signal_threshold(signal="ml_pred", entry=0.6, exit=0.5, size_pct=0.1, ...)`` enters
an asset when its signal rises above ``entry`` and exits below ``exit``;
``top_k(signal="ml_pred", k=5, rebalance_every=1, side="long", ...)`` holds the k
best-ranked assets (and the k worst short with side='both'). Both accept
``min_confidence``, ``confidence_signal`` and ``context_filters=[("vix", "<", 20)]``.
Pass the result as ``strategy=`` to BacktestEngine.
"""

from __future__ import annotations

from typing import Any, Iterable

from ml4t.backtest._ml4t import ContextRule, StrategySpec

__all__ = ["StrategySpec", "signal_threshold", "top_k", "builtin"]


def builtin(type: str, context_filters: Iterable[Any] = (), **params: Any) -> StrategySpec:
    """A built-in strategy by name with its parameters (the config file's strategy block)."""
    spec = StrategySpec()
    spec.type = type
    for key, value in params.items():
        if not hasattr(spec, key):
            known = ", ".join(k for k in dir(spec) if not k.startswith("_"))
            raise TypeError(f"unknown parameter '{key}' for strategy '{type}'; known: {known}")
        setattr(spec, key, value)
    spec.context_filters = [r if isinstance(r, ContextRule) else ContextRule(*r) for r in context_filters]
    return spec


def signal_threshold(**params: Any) -> StrategySpec:
    """Enter when the signal crosses ``entry``, exit when it falls below ``exit``."""
    return builtin("signal_threshold", **params)


def top_k(**params: Any) -> StrategySpec:
    """Hold the ``k`` best-ranked assets, rebalanced every ``rebalance_every`` bars."""
    return builtin("top_k", **params)
