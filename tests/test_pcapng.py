"""Per-hop pcapng read back by tshark: every hop of every frame, an interface per hop, a
comment per packet; ``--pcap -`` keeps standard output for the capture alone; an empty
capture says so."""

from __future__ import annotations

import io
import shutil
import subprocess
from pathlib import Path

import pytest
from outside_tools import require
from test_pcap import ROOT_NOTICE

from vtrace.cli import main
from vtrace.cli.env import Environment
from vtrace.frames import build_frame
from vtrace.renderers.packets import hop_packets, write_packets
from vtrace.scenarios import scenario
from vtrace.session import Session, replayed
from vtrace.sources.lab import load

LAB = Path(__file__).parent / "data" / "lab" / "recv-2"
SEND_HOPS = ["guest:udp_sendmsg", "guest:start_xmit", "qemu:virtqueue_pop",
             "qemu:tap_write_packet", "host:tun_get_user", "host:netif_receive_skb"]
RECV_HOPS = ["host:__sys_sendto", "host:tun_net_xmit", "host:tun_put_user",
             "qemu:virtqueue_pop", "guest:receive_buf", "guest:napi_gro_receive",
             "guest:udp_recvmsg"]
VHOST_SEND_HOPS = ["guest:udp_sendmsg", "guest:start_xmit", "host:vhost_get_vq_desc",
                   "host:tun_xdp_one", "host:netif_receive_skb"]
VHOST_RECV_HOPS = [hop for hop in RECV_HOPS if hop != "qemu:virtqueue_pop"]


def tshark_rows(path: Path, *fields: str) -> list[list[str]]:
    tshark = shutil.which("tshark")
    require(None if tshark else "needs tshark (Debian: apt install tshark)")
    assert tshark is not None
    done = subprocess.run([tshark, "-r", str(path), "-T", "fields",
                           *[arg for field in fields for arg in ("-e", field)]],
                          capture_output=True, text=True, check=True)
    assert [line for line in done.stderr.splitlines() if line.strip() != ROOT_NOTICE] == []
    return [line.split("\t") for line in done.stdout.splitlines()]


def hops_per_frame(path: Path) -> dict[str, list[str]]:
    """frame -> the interfaces its packets were written on, from each packet's comment."""
    found: dict[str, list[str]] = {}
    for name, comment in tshark_rows(path, "frame.interface_name", "frame.comment"):
        frame = next(part for part in comment.split("; ") if part.startswith("frame "))
        assert comment.startswith(f"hop {len(found.get(frame, [])) + 1} {name}; ")
        found.setdefault(frame, []).append(name)
    return found


@pytest.mark.parametrize(("name", "given", "hops"), [
    ("send", {}, SEND_HOPS), ("recv", {}, RECV_HOPS),
    ("send", {"backend": "vhost-net"}, VHOST_SEND_HOPS),
    ("recv", {"backend": "vhost-net"}, VHOST_RECV_HOPS)])
def test_every_frame_at_every_hop(tmp_path: Path, name: str, given: dict[str, str],
                                  hops: list[str]) -> None:
    session = replayed(name, {"frames": 3, "size": 90, **given}, "modern", 1)
    path = tmp_path / "run.pcapng"
    with path.open("wb") as out:
        assert write_packets(session, out, pcapng=True) == 3 * len(hops)
    assert hops_per_frame(path) == {f"frame {index}": hops for index in range(3)}
    tap = scenario(name).tap
    assert tap is not None
    rows = tshark_rows(path, "frame.interface_name", "frame.len", "frame.comment", "data.data")
    bare = {"guest:udp_sendmsg", "host:netif_receive_skb", "host:__sys_sendto",
            "host:tun_net_xmit", "guest:napi_gro_receive", "guest:udp_recvmsg"}
    for hop_name, length, comment, _ in rows:
        assert length == "90" and "modelled" in comment and ".c:" in comment
        assert ("virtio_net_hdr (12 bytes)" in comment) == (hop_name not in bare)
    assert [bytes.fromhex(row[3]) for row in rows] == [
        build_frame(index, 90, tap.endpoints)[42:] for index in range(3) for _ in hops]


def test_receive_shows_num_buffers_once_qemu_fills_it(tmp_path: Path) -> None:
    session = replayed("recv", {"frames": 1}, "modern", 1)
    path = tmp_path / "recv.pcapng"
    with path.open("wb") as out:
        write_packets(session, out, pcapng=True)
    headers = {name: comment.rsplit(" ", 1)[1] for name, comment in
               tshark_rows(path, "frame.interface_name", "frame.comment")
               if "virtio_net_hdr" in comment}
    assert headers == {"host:tun_put_user": "00" * 12, "qemu:virtqueue_pop": "00" * 12,
                       "guest:receive_buf": "00" * 10 + "0100"}


def test_a_lab_capture_shows_the_tap_bytes_at_each_hop_it_recorded(tmp_path: Path) -> None:
    header, events = load(LAB)
    path = tmp_path / "lab.pcapng"
    with path.open("wb") as out:
        write_packets(Session(header, events), out, pcapng=True)
    hops = hops_per_frame(path)
    for frame in ("frame 1", "frame 2"):
        assert hops[frame] == ["host:sys_sendto", "qemu:virtqueue_pop", "host:tap",
                               "guest:receive_buf", "guest:napi_gro_receive",
                               "guest:udp_recvmsg"]
    assert {"host:sys_sendto", "host:tap", "guest:receive_buf"} <= set(hops["frame 3"])
    rows = tshark_rows(path, "frame.interface_name", "ip.src", "frame.len", "frame.comment")
    assert {(row[1], row[2]) for row in rows if "; frame 0;" not in row[3]} == {
        ("192.168.77.1", "54")}
    assert all("captured" in row[3] and "modelled" not in row[3] for row in rows)
    assert all("its bytes not recorded" in row[3] for row in rows if "virtio_net_hdr" in row[3])


def test_vtrace_send_writes_pcapng_by_its_extension_and_diagram_too(tmp_path: Path) -> None:
    sent, drawn = tmp_path / "sent.pcapng", tmp_path / "drawn.pcapng"
    for args in (["send", "-n", "3", "--view", "quiet", "--pcap", str(sent)],
                 ["diagram", str(drawn), "-n", "3"]):
        with pytest.raises(SystemExit) as exited:
            main(args, Environment(argv=tuple(args), stdout=io.StringIO(),
                                   stderr=io.StringIO()))
        assert exited.value.code == 0
    assert sent.read_bytes() == drawn.read_bytes()
    assert hops_per_frame(sent) == {f"frame {index}": SEND_HOPS for index in range(3)}


def test_classic_pcap_to_stdout_is_the_capture_alone(tmp_path: Path) -> None:
    written, stderr = io.BytesIO(), io.StringIO()
    stdout = io.TextIOWrapper(written, encoding="utf-8")
    args = ["send", "-n", "2", "--pcap", "-"]
    with pytest.raises(SystemExit) as exited:
        main(args, Environment(argv=tuple(args), stdout=stdout, stderr=stderr))
    assert exited.value.code == 0
    stdout.flush()  # any text (a view, the summary) would land among the bytes
    assert "frames sent" in stderr.getvalue()
    path = tmp_path / "out.pcap"
    path.write_bytes(written.getvalue())
    assert [row[0] for row in tshark_rows(path, "ip.id")] == ["0x0000", "0x0001"]
    assert len(written.getvalue()) == 24 + 2 * (16 + 128)  # the file header, two packets


def test_a_view_on_stdout_beside_pcap_to_stdout_is_refused() -> None:
    args = ["send", "-n", "1", "--view", "plain", "--pcap", "-"]
    with pytest.raises(SystemExit) as exited:
        main(args, Environment(argv=tuple(args), stdout=io.StringIO(), stderr=io.StringIO()))
    assert exited.value.code == 2


def test_an_empty_capture_says_so_on_stderr(tmp_path: Path) -> None:
    path, stderr = tmp_path / "setup.pcap", io.StringIO()
    args = ["diagram", "--scenario", "setup", str(path)]
    with pytest.raises(SystemExit) as exited:
        main(args, Environment(argv=tuple(args), stdout=io.StringIO(), stderr=stderr))
    assert exited.value.code == 0
    assert stderr.getvalue() == (f"{path}: the stream carries no frame's bytes (no frames, or "
                                 "a capture without the tap's packets), so the file holds no "
                                 "packets\n")
    assert path.stat().st_size == 24  # the file header alone


def test_the_lab_refuses_pcap_to_stdout_beside_other_output() -> None:
    args = ["lab", "send", "--pcap", "-", "--compare"]
    stderr = io.StringIO()
    with pytest.raises(SystemExit) as exited:
        main(args, Environment(argv=tuple(args), stdout=io.StringIO(), stderr=stderr))
    assert exited.value.code == 2
    assert "--pcap - writes the capture to standard output" in stderr.getvalue()


def test_a_played_run_without_frames_says_its_capture_is_empty(tmp_path: Path) -> None:
    recording, capture = tmp_path / "setup.jsonl", tmp_path / "setup.pcapng"
    for args in (["setup", "--view", "quiet", "--events", str(recording)],
                 ["play", str(recording), "--view", "quiet", "--pcap", str(capture)]):
        stderr = io.StringIO()
        with pytest.raises(SystemExit) as exited:
            main(args, Environment(argv=tuple(args), stdout=io.StringIO(), stderr=stderr))
        assert exited.value.code == 0
    assert f"{capture}: the stream carries no frame's bytes" in stderr.getvalue()
    assert tshark_rows(capture, "frame.number") == []


@pytest.mark.parametrize(("name", "era", "length"), [
    ("send", "lesson", 12), ("send", "newest", 24), ("recv", "modern", 12),
    ("recv", "newest", 24)])
def test_a_hops_header_comment_has_the_eras_header_length(name: str, era: str,
                                                          length: int) -> None:
    # Linux 7.2 with QEMU 10.2 negotiates UDP tunnel GSO: vi->hdr_len is 24 bytes.
    session = replayed(name, {"frames": 1}, era, 1)
    comments = [packet.comment for packet in
                hop_packets(session.header, session.scenario, session.source)]
    headers = [comment for comment in comments if "virtio_net_hdr" in comment]
    assert headers and all(f"virtio_net_hdr ({length} bytes)" in comment
                           for comment in headers)
