"""The Jupyter server extension: the service inside Jupyter, over a REST API."""
