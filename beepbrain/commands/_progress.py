"""A rich progress display for ingest: bytes downloaded, records read, records parsed."""

from __future__ import annotations


class IngestProgress:
    """Callable as ``progress(stage, done, total)``; a no-op when disabled or not on a terminal."""

    def __init__(self, enabled: bool = True) -> None:
        self.enabled = enabled
        self._progress = None
        self._tasks: dict[str, int] = {}

    def __enter__(self) -> IngestProgress:
        if self.enabled:
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                Progress,
                SpinnerColumn,
                TextColumn,
                TimeElapsedColumn,
            )

            console = Console(stderr=True)
            self._progress = Progress(
                SpinnerColumn(),
                TextColumn("{task.description}"),
                BarColumn(),
                TextColumn("{task.fields[shown]}"),
                TimeElapsedColumn(),
                console=console,
                transient=False,
                disable=not console.is_terminal,
            )
            self._progress.start()
        return self

    def __exit__(self, *exc) -> None:
        if self._progress is not None:
            self._progress.stop()

    def __call__(self, stage: str, done: int, total: int | None) -> None:
        if self._progress is None:
            return
        labels = {
            "download": "downloading",
            "read": "records read",
            "parse": "records parsed",
            "embed": "songs embedded",
        }
        if stage == "download":
            shown = f"{done / 1e6:,.1f}" + (f" / {total / 1e6:,.1f} MB" if total else " MB")
        else:
            shown = f"{done:,} " + ("songs" if stage == "embed" else "records")
        task = self._tasks.get(stage)
        if task is None:
            task = self._tasks[stage] = self._progress.add_task(
                labels.get(stage, stage), total=total, shown=shown
            )
        self._progress.update(task, completed=done, total=total, shown=shown)
