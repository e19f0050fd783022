"""`gradcli eval`: forward and backward pass, every node's value and gradient."""

from __future__ import annotations

import click

from ..errors import InputError
from . import _toolkit as kit


@kit.program_command("eval")
@kit.program_options
@kit.of_option()
@click.option("--all", "show_all", is_flag=True, help="Also list the unnamed intermediate nodes.")
@click.option(
    "--limit", type=click.IntRange(min=0), default=500, show_default=True,
    help="Show at most this many rows in the table, the first and the last (0: all).",
)  # fmt: skip
@click.option("--data", metavar="FILE", help="Evaluate every row of a CSV or Parquet file.")
@click.option("--out", metavar="FILE", help="With --data: write here (.csv .parquet .jsonl), not stdout.")
@click.option(
    "--engine", type=click.Choice(["local", "dask"]), default="local", show_default=True, help="Where --data runs."
)
@click.option("--scheduler", metavar="ADDRESS", help="With --engine dask: a dask.distributed scheduler's address.")
@kit.format_option("table", "json")
@kit.precision_option
@kit.strict_option
def command(args, file, sets, of, show_all, limit, data, out, engine, scheduler, fmt, precision, strict):
    """Evaluate a program and every node's gradient d(output)/d(node).

    A gradient that is infinite or undefined at the point (sqrt at 0) is shown as inf or
    undefined, with a note on stderr; the others are shown as usual (--strict: an error).

    \b
    Examples:
      gradcli eval "L=(a*b+c)*f" --a 2 --b -3 --c 10 --f -2
      gradcli eval "e=a*b; d=e+c; L=d*f" --a 2 --b -3 --c 10 --f -2 --format json
      gradcli eval "tanh(x1*w1 + x2*w2 + b)" --x1 2 --x2 0 --w1 -3 --w2 1 --b 6.8814 --all
      gradcli eval -f model.grad --set lr=0.1
      gradcli eval "o=tanh(x1*w1 + x2*w2 + b)" --data rows.csv --out grads.parquet
    """
    program = kit.program_input(args, sets, file, of)
    if data is not None:
        from ._batch import run as run_batch

        return run_batch(program, data, out, engine, scheduler, strict)
    for option, value in (("--out", out), ("--engine dask", engine == "dask" or None), ("--scheduler", scheduler)):
        if value is not None:
            raise InputError(f"{option} is for evaluating the rows of a file: give --data FILE")
    run = program.run(strict)
    if fmt == "json":
        from ..views.records import eval_json

        kit.echo_pieces(eval_json(run))
    else:
        from ..views.table import eval_table

        kit.stdout_console().print(eval_table(run, precision, show_all, limit))
    kit.echo_note(run.undefined_note())
