"""Views turn evaluated programs into renderables (Rich tables, strings, graphviz graphs, figures, dicts).

They never print; the commands do. Every JSON record is in `records.py`, which imports no Rich.
"""
