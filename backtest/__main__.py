"""``python -m backtest``."""

from backtest.cli import main

main()
