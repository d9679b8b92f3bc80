"""The deterministic sample-data generator (prices, signals, features, context)."""

from ml4t.backtest._ml4t import generate_sample_data

__all__ = ["generate_sample_data"]
