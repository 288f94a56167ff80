"""百业千店: the support-the-military merchant discount network.

The app factory is baiye.factory.create_app (wsgi.py). This package imports nothing, so importing any module
of the project (baiye.*, shops.*, verification.*, ...) does not first build the whole app through it.
"""
