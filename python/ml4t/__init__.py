"""ml4t: machine learning for trading. The backtesting engine lives in ml4t.backtest."""
