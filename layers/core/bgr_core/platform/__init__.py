"""What every function stands on: AWS clients, DynamoDB models and transactions, the bucket's
layout, configuration and feature flags, observability, domain errors and the wire contract."""
