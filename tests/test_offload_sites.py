"""The offload model's source sites: one row per function, every version an era uses."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

import vtrace
from vtrace.catalog.base import VERSIONS
from vtrace.offload_sites import SITES, site

MODULES = ["netfeatures", "offload", "txchain", "rxbuffers", "rxreceive", "rss", "tcpframes"]
# Words in double backticks that are fields, parameters or options, not functions.
NOT_FUNCTIONS = {
    "addr", "base", "can_push", "csum_start", "first", "flow", "frag", "frag_list", "frame_len",
    "free_head", "headlen", "host_features", "host_hdr_len", "length", "linux", "mss", "mtu",
    "next", "no_offload", "num_buffers", "partial", "payload", "qemu", "queue_size", "rq_size",
    "sender_cpu", "skb", "total", "types",
}


def test_each_function_has_one_row_with_lines_in_known_versions() -> None:
    names = [row.function for row in SITES]
    assert len(names) == len(set(names))
    for row in SITES:
        assert row.lines and set(row.lines) <= set(VERSIONS[row.project])
        assert all(line > 0 for line in row.lines.values())
        assert set(row.files) <= set(row.lines)


def test_what_an_era_lacks_has_no_line() -> None:
    assert "3.1" not in site("virtio_net_process_rss").lines
    assert "4.19" not in site("virtnet_init_default_rss").lines
    assert site("__skb_gso_segment").files == {"7.2": "net/core/gso.c"}
    with pytest.raises(KeyError):
        site("no_such_function")


@pytest.mark.parametrize("module", MODULES)
def test_every_function_a_module_names_has_its_row(module: str) -> None:
    text = (Path(vtrace.__file__).parent / f"{module}.py").read_text(encoding="utf-8")
    named = set(re.findall(r"``([A-Za-z_][A-Za-z0-9_]*)``", text)) - NOT_FUNCTIONS
    assert named <= {row.function for row in SITES}


def test_the_offload_modules_import_only_the_standard_library_and_the_model() -> None:
    modules = ", ".join(f"vtrace.{name}" for name in [*MODULES, "offload_sites"])
    code = (f"import sys, {modules}\n"
            "print(' '.join(sorted(m for m in sys.modules if m.startswith(('vtrace', 'rich', "
            "'click', 'graphviz')))))")
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True).stdout.split()
    allowed = {"vtrace", "vtrace.frames", *(f"vtrace.{name}" for name in MODULES),
               "vtrace.offload_sites"}
    assert set(loaded) <= allowed
