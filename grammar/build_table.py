"""Build gradcli.lark.json, the parse table that gradcli ships beside its grammar.

Run it after changing gradcli.lark or upgrading Lark: `python grammar/build_table.py`. The table
is JSON (Lark's own serial form of its LALR table), so loading it runs no code; gradcli uses it
only when its key matches the grammar and the installed Lark, and otherwise builds the table.
"""

from pathlib import Path

from gradcli.parser import TABLE, fresh_table

if __name__ == "__main__":
    path = Path(__file__).with_name(TABLE)
    path.write_text(fresh_table() + "\n", encoding="utf-8")
    print(f"wrote {path}")
