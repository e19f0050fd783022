"""Views turn evaluated programs into renderables (Rich tables, strings, graphviz graphs, dicts).

They never print; the CLI does.
"""
