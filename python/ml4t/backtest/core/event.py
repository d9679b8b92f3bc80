"""MarketEvent (one asset's bar with signals and context) and CrossSection."""

from ml4t.backtest._ml4t import CrossSection, FieldMap, MarketEvent

__all__ = ["CrossSection", "FieldMap", "MarketEvent"]
