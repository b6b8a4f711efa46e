"""Bridges to other frameworks; each needs its optional extra (``pip install 'gcl[recbole]'``)."""
