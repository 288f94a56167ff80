"""The deployment's lists: industries, streets, beneficiary categories."""
from flask import current_app


def _pairs(name):
    return [(key, str(label)) for key, label in current_app.config[name]]


def industries():
    return _pairs("INDUSTRIES")


def streets():
    return _pairs("STREETS")


def categories():
    return _pairs("CATEGORIES")


def keys(name):
    return [key for key, _ in current_app.config[name]]


def label(name, key):
    for k, text in current_app.config[name]:
        if k == key:
            return str(text)
    return key


def industry_label(key):
    return label("INDUSTRIES", key)


def street_label(key):
    return label("STREETS", key)


def category_label(key):
    return label("CATEGORIES", key)
