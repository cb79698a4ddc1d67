"""Create the PostgreSQL database DATABASE_URL names, if it does not exist yet (`make up` runs it first).

A fresh machine has the server running but not our database; SQLite URLs need nothing.
"""

from __future__ import annotations

import os
import sys
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg import sql


def main() -> None:
    url = os.environ.get("DATABASE_URL", "")
    parts = urlsplit(url)
    if not parts.scheme.startswith("postgres"):
        return
    name = parts.path.lstrip("/")
    server = urlunsplit((parts.scheme, parts.netloc, "/postgres", parts.query, ""))
    try:
        with psycopg.connect(server, autocommit=True) as connection:
            if not connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
                connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
                print(f"created the database {name}")
    except psycopg.OperationalError as error:
        sys.exit(f"PostgreSQL at {parts.hostname}:{parts.port or 5432} is not reachable: {error}")


if __name__ == "__main__":
    main()
