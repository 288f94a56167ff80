"""The two bare endpoints the performance budget is measured against (DESIGN.md, Performance).

`GET|POST /json` returns a small JSON object; `POST /insert` inserts and commits one row with the
sqlite3 module (WAL, synchronous=NORMAL). Served by gunicorn with the same settings as the app:
    gunicorn -c gunicorn.conf.py bench.ceiling:app
CEILING_DB names the SQLite file (default /tmp/ceiling.db).
"""
import os
import sqlite3
import threading
import time

from flask import Flask, jsonify, request

app = Flask(__name__)
DB_PATH = os.environ.get("CEILING_DB", "/tmp/ceiling.db")
_local = threading.local()


def connection():
    conn = getattr(_local, "conn", None)
    if conn is None:
        conn = _local.conn = sqlite3.connect(DB_PATH, timeout=10, isolation_level=None)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("PRAGMA busy_timeout=10000")
        conn.execute("CREATE TABLE IF NOT EXISTS hit (id INTEGER PRIMARY KEY, at REAL NOT NULL, body TEXT)")
    return conn


@app.route("/json", methods=["GET", "POST"])
def bare_json():
    return jsonify(valid=True, category="veteran", masked_name="张*明")


@app.post("/insert")
def bare_insert():
    conn = connection()
    conn.execute("BEGIN IMMEDIATE")
    cursor = conn.execute("INSERT INTO hit (at, body) VALUES (?, ?)", (time.time(), request.get_data(as_text=True)))
    conn.execute("COMMIT")
    return jsonify(id=cursor.lastrowid), 201
