"""`gradcli audit`: grade a learner's own micrograd-style class against gradcli's engine."""

from __future__ import annotations

import math

import click

from . import _toolkit as kit


def _seconds(ctx, param, value: float) -> float:
    if not (math.isfinite(value) and 0 < value <= 3600):
        raise click.BadParameter(f"{value} is not a number of seconds between 0 and 3600")
    return value


@click.command("audit", context_settings=kit.SETTINGS)
@click.argument("path", metavar="PATH")
@click.option("--class", "class_name", metavar="NAME", help="The class [default: the one with data, grad, backward()].")
@click.option("--nn", metavar="MODULE_OR_PATH", help="Also check this module's MLP against gradcli.nn's.")
@kit.format_option("table", "json")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the random programs and MLP weights.")
@click.option(
    "--examples", type=click.IntRange(0, 100_000), default=100, show_default=True,
    help="How many random programs to try (0: none).",
)  # fmt: skip
@click.option(
    "--timeout", type=float, default=2.0, show_default=True, callback=_seconds,
    help="Time limit per case, in seconds.",
)  # fmt: skip
def command(path, class_name, nn, fmt, seed, examples, timeout):
    """Grade your own micrograd: check a Value class op by op against gradcli's engine.

    PATH is a Python file (or - for standard input) or a module name (micrograd.engine). Its class
    with data, grad and backward() (or --class NAME) is run on every operator and method it has, at
    several points and on both sides, on fan-out and diamonds, 1,000- and 10,000-step chains,
    backward() twice, zero_grad() and random programs; each result is compared with gradcli's
    (values and every leaf's grad, relative tolerance 1e-9). A failure shows the smallest program
    that disagrees and, for the bugs learners often make, what is wrong. Exits 1 when any check
    fails, 2 when the file cannot be imported.

    This command runs PATH's code, as `python PATH` would, in a child process with limits on
    time (per case), memory and CPU; nothing else in gradcli runs code that is not its own.

    \b
    Examples:
      gradcli audit my_micrograd.py
      gradcli audit micrograd.engine --nn micrograd.nn
      gradcli audit engine.py --class Value --format json
      gradcli audit engine.py --seed 7 --examples 1000
    """
    from ..audit import audit

    report = audit(path, class_name, nn, seed, examples, timeout)
    if fmt == "json":
        from ..views.records import audit_record

        kit.echo_json(audit_record(report))
    else:
        from ..views.audit import audit_view

        console = kit.stdout_console()
        console.print(audit_view(report), soft_wrap=not console.is_terminal)
    if not report.ok:
        raise SystemExit(1)
