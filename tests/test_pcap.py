"""pcap files tshark reads without a warning: a replay's exact frames, a capture's bytes."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterable
from pathlib import Path

import pytest
from conftest import program
from outside_tools import require

from vtrace.frames import Endpoints, build_frame
from vtrace.model import Event, Header, Kind, Layer, Phase, Place, Source
from vtrace.pcap import read_packets
from vtrace.renderers.packets import write_packets
from vtrace.scenarios.recv.world import HOST_TO_GUEST
from vtrace.session import Session, replayed
from vtrace.sources.lab import load

TSHARK = shutil.which("tshark")
#: tshark's notice when it runs as root (as CI does); it says nothing of the file.
ROOT_NOTICE = 'Running as user "root" and group "root". This could be dangerous.'


def write_pcap(header: Header, events: Iterable[Event], path: str) -> int:
    with open(path, "wb") as out:
        return write_packets(Session(header, events), out, pcapng=path.endswith(".pcapng"))


def tshark(path: Path, *fields: str) -> list[list[str]]:
    require(None if TSHARK else "needs tshark (Debian: apt install tshark)")
    assert TSHARK is not None
    done = subprocess.run([TSHARK, "-r", str(path), "-T", "fields",
                           *[arg for field in fields for arg in ("-e", field)]],
                          capture_output=True, text=True, check=True)
    warnings = [line for line in done.stderr.splitlines() if line.strip() != ROOT_NOTICE]
    assert warnings == []
    return [line.split("\t") for line in done.stdout.splitlines()]


@program("tshark", "tshark")
def test_a_replay_writes_its_frames_byte_for_byte(tmp_path: Path) -> None:
    session = replayed("send", {"frames": 3, "size": 100}, "modern", 1)
    path = tmp_path / "send.pcap"
    assert write_pcap(session.header, session.events(), str(path)) == 3
    rows = tshark(path, "udp.dstport", "frame.len", "ip.id", "data.data")
    assert [row[:3] for row in rows] == [["9", "100", f"0x{index:04x}"] for index in range(3)]
    assert [bytes.fromhex(row[3]) for row in rows] == [
        build_frame(index, 100, Endpoints())[42:] for index in range(3)]


@program("tshark", "tshark")
def test_a_capture_writes_the_bytes_a_probe_saw(tmp_path: Path) -> None:
    place = Place("qemu_sendv_packet_async", "qemu_sendv_packet_async", None, None, "qemu",
                  "7.2", Phase.BACKEND, Layer.QEMU, "net-queue")
    frame = build_frame(1, 60, Endpoints(dst_port=41922))
    events = [Event(0, 1, place, Kind.CALL, "virtio-net", "net-queue", 1500, {
        "frame_hex": frame.hex()}, "qemu-main", Source.HOST_UPROBE),
        Event(1, 1, place, Kind.RETURN, "net-queue", "net-queue", 1600, {
            "frame_hex": frame.hex()}, "qemu-main", Source.HOST_UPROBE)]
    path = tmp_path / "cap.pcap"
    header = Header("0", "send", {}, 0, (), Source.TRACE)
    assert write_pcap(header, events, str(path)) == 1
    assert tshark(path, "udp.dstport", "frame.time_epoch") == [["41922", "0.000001000"]]


@program("tshark", "tshark")
def test_vtrace_diagram_writes_a_pcap_that_tshark_reads(tmp_path: Path) -> None:
    from vtrace.cli import main

    path = tmp_path / "send.pcap"
    with pytest.raises(SystemExit) as exited:
        main(["diagram", str(path), "-n", "4", "--size", "90"])
    assert exited.value.code == 0
    rows = tshark(path, "frame.len", "ip.id")
    assert rows == [["90", f"0x{index:04x}"] for index in range(4)]


@program("tshark", "tshark")
def test_send_and_play_write_the_frames_they_show(tmp_path: Path) -> None:
    import io

    from vtrace.cli import main
    from vtrace.cli.env import Environment

    recording, sent, played = tmp_path / "run.jsonl", tmp_path / "sent.pcap", tmp_path / "p.pcap"
    for args in (["send", "-n", "3", "--size", "100", "--view", "plain", "--pcap", str(sent),
                  "--events", str(recording)],
                 ["play", str(recording), "--view", "quiet", "--pcap", str(played)]):
        with pytest.raises(SystemExit) as exited:
            main(args, Environment(argv=tuple(args), stdout=io.StringIO()))
        assert exited.value.code == 0
    expected = [["100", f"0x{index:04x}"] for index in range(3)]
    assert tshark(sent, "frame.len", "ip.id") == expected == tshark(played, "frame.len", "ip.id")
    assert sent.read_bytes() == played.read_bytes()


@program("tshark", "tshark")
def test_a_recv_replay_writes_the_frames_the_host_sends_in(tmp_path: Path) -> None:
    session = replayed("recv", {"frames": 3, "size": 90}, "modern", 1)
    path = tmp_path / "recv.pcap"
    assert write_pcap(session.header, session.events(), str(path)) == 3
    rows = tshark(path, "ip.src", "ip.dst", "udp.dstport", "frame.len", "data.data")
    assert [row[:4] for row in rows] == [["10.0.2.2", "10.0.2.15", "9", "90"]] * 3
    assert [bytes.fromhex(row[4]) for row in rows] == [
        build_frame(index, 90, HOST_TO_GUEST)[42:] for index in range(3)]


@program("tshark", "tshark")
def test_a_lab_capture_writes_the_datagrams_its_tap_saw(tmp_path: Path) -> None:
    capture = Path(__file__).parent / "data" / "lab" / "recv-2"
    header, events = load(capture)
    path = tmp_path / "lab.pcap"
    assert write_pcap(header, events, str(path)) == 4
    seen = [frame for _, frame in read_packets(capture / "tap.pcap") if b"vtrace seq=" in frame]
    rows = tshark(path, "ip.src", "udp.dstport", "frame.len")
    assert [row[0] for row in rows] == ["192.168.77.2"] + ["192.168.77.1"] * 3
    assert {row[2] for row in rows} == {"54"}
    assert [frame for _, frame in read_packets(path)] == seen
