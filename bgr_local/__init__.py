"""The local runtime: template.yaml's resources on moto, with the real handlers behind them."""
