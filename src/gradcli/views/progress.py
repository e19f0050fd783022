"""The progress bars of the long commands, shown on a terminal while they run and gone when they end.

`descending ━━━━ 120/1000 L -0.5312 0:00:02`, `training ━━━━ 12/100 loss 0.4100  accuracy 88% 0:00:01`,
`evaluating ━━━━ 41% 420,000 rows  433,000 rows/s 0:00:03` (a share: a CSV file's rows are estimated).
The commands run them through `progress` in `commands/_toolkit.py`.
"""

from __future__ import annotations

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskProgressColumn, TextColumn, TimeRemainingColumn

#: Each bar: the word before it, whether it counts steps (N/M) or shows a share, and the task's fields after it.
BARS = {
    "descent": ("descending", True, "{label} {task.fields[value]}"),  # step --steps N: the output now
    "training": ("training", True, "loss {task.fields[loss]}  accuracy {task.fields[accuracy]}"),
    "rows": ("evaluating", False, "{task.fields[rows]} rows  {task.fields[rate]} rows/s"),  # eval --data
}


def progress_bar(kind: str, console, label: str = "") -> Progress:
    """The bar of `kind` on `console`; `label` names the output in a descent's."""
    verb, counted, fields = BARS[kind]
    return Progress(
        TextColumn(verb),
        BarColumn(),
        MofNCompleteColumn() if counted else TaskProgressColumn(),
        TextColumn(fields.replace("{label}", label)),
        TimeRemainingColumn(),
        console=console,
        transient=True,
    )
