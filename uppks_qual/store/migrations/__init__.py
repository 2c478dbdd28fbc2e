"""Alembic's environment and revisions of the project schema (run by
:mod:`uppks_qual.store.migrate`, never by the ``alembic`` command line: no ``alembic.ini``)."""
