"""tsukuru: a self-hosted machine-learning platform that speaks the Amazon SageMaker API."""

__version__ = "0.1.0"
