"""Notebook widgets: the designer, the DAG view of a workflow or run, the run timeline
and the runs table. They read and act through a ``BatchSource`` (``source.py``), which
the notebook client provides; ``display_for`` picks the widget for an object."""

from .dag_view import DagView
from .designer import Designer
from .display import display_for
from .runs_table import RunsTable
from .source import BatchSource, LogPart
from .timeline import Timeline

__all__ = ["BatchSource", "DagView", "Designer", "LogPart", "RunsTable", "Timeline",
           "display_for"]
