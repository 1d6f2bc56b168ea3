"""The hosted Backbone app: Flask, the database, the queues, OAuth, providers and the admin page.

`flask --app connector.app` finds `create_app`; nothing here runs at import.
"""
