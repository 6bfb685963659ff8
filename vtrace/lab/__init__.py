"""The real-trace lab: boot a Debian guest under QEMU on a tap and capture one run's datagrams
in the guest kernel (ftrace), in QEMU (its trace log) and on the host (a tracefs instance with
tracepoints and uprobes), saved raw in a directory (docs/lab.md, "The saved directory").

This layer does IO (processes, tracefs, the tap) but no presentation: it imports no rich or
click. ``capture`` is the entry point; turning the directory into events is
``vtrace.sources``' job.
"""

from vtrace.lab.capture import PHASES, PhaseReport, capture
from vtrace.lab.errors import LabError, PrerequisiteError
from vtrace.lab.params import Accel, Backend, LabParams, Ring, Scenario

__all__ = ["PHASES", "Accel", "Backend", "LabError", "LabParams", "PhaseReport",
           "PrerequisiteError", "Ring", "Scenario", "capture"]
