"""``--size`` on every command that takes it: the scenario replayed decides what it accepts.

``vtrace diagram`` and ``vtrace diff`` serve several scenarios with one set of options; the
chosen scenario checks the values as it settles them, by its own parameters, so a TCP
superframe's size is taken where ``vtrace send`` and ``vtrace recv`` take it, and a size
the scenario refuses gets its one-line message and exit status 2.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from cli_run import run

from vtrace.cli import main
from vtrace.frames import MAX_FRAME
from vtrace.scenarios import Param, scenario


def size_param(name: str) -> Param:
    return next(param for param in scenario(name).params if param.name == "size")


def largest(name: str) -> int:
    high = size_param(name).high
    assert high is not None
    return int(high)


def one_error_line(command: str, err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith(f"vtrace {command}: error:"), err
    return lines[0]


@pytest.mark.parametrize("name", ["send", "recv"])
def test_the_scenarios_take_a_tcp_superframe_past_a_udp_frame(name: str) -> None:
    assert largest(name) > 65_000 > MAX_FRAME


@pytest.mark.parametrize(("name", "tcp_step"), [("send", "tcp_sendmsg"),
                                               ("recv", "tcp_recvmsg")])
def test_diagram_draws_a_tcp_superframe_the_scenario_accepts(name: str, tcp_step: str,
                                                            tmp_path: Path) -> None:
    out = tmp_path / "tcp.txt"
    code, _, err = run("diagram", "--scenario", name, "--proto", "tcp", "--size", "65000",
                       str(out))
    assert (code, err) == (0, "")
    assert tcp_step in out.read_text(encoding="utf-8")


@pytest.mark.parametrize("command", ["diagram", "diff"])
@pytest.mark.parametrize("name", ["send", "recv"])
def test_a_size_past_the_scenario_s_own_limit_is_one_line_and_exit_2(
        command: str, name: str, tmp_path: Path) -> None:
    past = largest(name) + 1
    args = ["--scenario", name, "--proto", "tcp", "--size", str(past)]
    code, out, err = run(command, *args, *([str(tmp_path / "x.txt")] if command == "diagram"
                                          else []))
    assert code == 2 and out == ""
    assert one_error_line(command, err).endswith(
        f"--size: {past} is not in the range 42 to {largest(name)}")
    assert not (tmp_path / "x.txt").exists()


@pytest.mark.parametrize("command", ["diagram", "diff"])
@pytest.mark.parametrize(("name", "verb"), [("send", "sends"), ("recv", "receives")])
def test_a_udp_frame_past_one_mtu_is_refused_in_the_scenario_s_words(
        command: str, name: str, verb: str, tmp_path: Path) -> None:
    code, out, err = run(command, "--scenario", name, "--size", "65000",
                         *([str(tmp_path / "x.txt")] if command == "diagram" else []))
    assert code == 2 and out == ""
    assert one_error_line(command, err).endswith(
        f"--size 65000: a UDP frame is at most {MAX_FRAME} bytes (one 1500-byte MTU); "
        f"--proto tcp {verb} superframes")


@pytest.mark.parametrize("name", ["send", "recv"])
@pytest.mark.parametrize(("proto", "size"), [
    ("udp", 41), ("udp", 42), ("udp", MAX_FRAME), ("udp", MAX_FRAME + 1),
    ("tcp", 65_000), ("tcp", 65_483), ("tcp", 65_484),
])
def test_every_command_with_size_accepts_what_the_scenario_accepts(
        name: str, proto: str, size: int, tmp_path: Path) -> None:
    """The scenario's own command, diagram and diff: the same verdict, the same reason (the
    scenario's parameter's range, or a UDP frame's one MTU)."""
    given = ["--proto", proto, "--size", str(size), "-n", "1"]
    code, _, own_err = run(name, *given, "--view", "quiet")
    reason = size_param(name).problem(size) or (
        f"a UDP frame is at most {MAX_FRAME} bytes" if proto == "udp" and size > MAX_FRAME
        else None)
    assert code == (0 if reason is None else 2), own_err
    for command, extra in (("diagram", [str(tmp_path / "out.txt")]), ("diff", [])):
        other, _, err = run(command, "--scenario", name, *given, *extra)
        assert other == code, (command, err)
        if reason is not None:
            assert reason in one_error_line(command, err)
            assert reason in one_error_line(name, own_err)


def test_diff_of_the_two_rings_measures_the_tcp_send_it_diffed(
        capsys: pytest.CaptureFixture[str]) -> None:
    """The costs table under ``diff --ring split --ring packed`` replays the same frames, so
    a TCP superframe is measured as TCP, not refused as an oversized UDP frame."""
    with pytest.raises(SystemExit) as done:
        main(["diff", "--ring", "split", "--ring", "packed", "--proto", "tcp",
              "--size", "65000"])
    out, err = capsys.readouterr()
    assert (done.value.code, err) == (0, "")
    assert "interrupts injected" in out


def test_the_shared_size_option_speaks_of_tcp_too() -> None:
    code, out, _ = run("diagram", "--help")
    assert code == 0
    assert "--proto tcp, the TCP payload" in " ".join(out.split())
