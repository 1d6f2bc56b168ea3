"""The one module-level app: `gunicorn connector.wsgi:app`."""

from connector.app import create_app

app = create_app()
