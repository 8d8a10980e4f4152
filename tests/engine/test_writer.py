"""The one fenced writer: a lost lease sends nothing, and "already done" answers are
confirmed by a re-read (404 on delete; 409 on start/stop; a locked pod's 409 is not)."""

from __future__ import annotations

import pytest

from gitops_runner.engine.fence import Fence, LeaseLostError
from gitops_runner.engine.writer import PodLockedError, Writer
from gitops_runner.runpod.client import RunPodClient
from gitops_runner.runpod.errors import InvalidTransitionError
from gitops_runner.runpod.simulator.model import Fault
from gitops_runner.runpod.simulator.server import Simulator
from gitops_runner.runpod.simulator.world import World
from gitops_runner.state.base import LockInfo, RunIdentity
from tests.engine.recording import RecordingSession
from tests.fakes.clock import ScaledClock

BODY = {"name": "demo-prod-api", "image": "img:1", "cloud": "SECURE",
        "gpu": {"id": "NVIDIA GeForce RTX 4090", "count": 1}}


def _writer(sim: Simulator, clock: ScaledClock) -> tuple[Writer, RecordingSession]:
    recorder = RecordingSession(clock.time)
    client = RunPodClient(sim.url, "k", session=recorder, max_retry_seconds=5,
                          backoff_base=0.01)
    return Writer(client, Fence(clock)), recorder


def _running(world: World, writer: Writer, clock: ScaledClock) -> str:
    pod_id = str(writer.create(dict(BODY))["id"])
    while world.status(world.pods[pod_id]) != "RUNNING":
        clock.sleep(0.5)
    return pod_id


def test_writer_lost_lease_sends_nothing(fast_sim: Simulator, vclock: ScaledClock) -> None:
    writer, recorder = _writer(fast_sim, vclock)
    writer.fence.lose("the lock was taken over")
    with pytest.raises(LeaseLostError, match="taken over"):
        writer.create(dict(BODY))
    assert recorder.calls == []


def test_writer_rereads_the_lock_holder_before_each_write(fast_sim: Simulator,
                                                          vclock: ScaledClock) -> None:
    writer, recorder = _writer(fast_sim, vclock)
    mine = LockInfo.new("apply", "demo/prod", RunIdentity("a"))
    holder = [mine]
    writer.fence.watch(lambda: holder[0], mine.id)
    writer.create(dict(BODY))
    holder[0] = LockInfo.new("apply", "demo/prod", RunIdentity("b"))  # force-unlock + lock
    with pytest.raises(LeaseLostError, match="taken over by b"):
        writer.create(dict(BODY))
    assert len(recorder.writes()) == 1


def test_writer_delete_of_a_gone_pod_is_done(fast_sim: Simulator, vclock: ScaledClock) -> None:
    writer, _ = _writer(fast_sim, vclock)
    assert writer.delete("no-such-pod") is False


def test_writer_409_on_stop_is_done_only_when_a_reread_shows_it_stopped(
        fast_sim: Simulator, fast_world: World, vclock: ScaledClock) -> None:
    writer, _ = _writer(fast_sim, vclock)
    pod_id = _running(fast_world, writer, vclock)
    fast_world.faults.append(Fault("POST /v2/pods/*", "5xx", status=409))
    with pytest.raises(InvalidTransitionError):  # still RUNNING: not "already stopped"
        writer.stop(pod_id)
    writer.stop(pod_id)
    fast_world.faults.append(Fault("POST /v2/pods/*", "5xx", status=409))
    writer.stop(pod_id)  # a 409 for a pod that is stopped: the goal is met
    fast_world.faults.append(Fault("POST /v2/pods/*", "5xx", status=409))
    with pytest.raises(InvalidTransitionError):  # stopped: not "already started"
        writer.start(pod_id)
    writer.start(pod_id)
    fast_world.faults.append(Fault("POST /v2/pods/*", "5xx", status=409))
    pod = writer.start(pod_id)  # starting or up: the goal is met
    assert pod is not None and pod["status"] in ("STARTING", "RUNNING", "PROVISIONING")


def test_writer_409_on_stop_of_a_locked_pod_says_it_keeps_billing(
        fast_sim: Simulator, fast_world: World, vclock: ScaledClock) -> None:
    writer, _ = _writer(fast_sim, vclock)
    pod_id = _running(fast_world, writer, vclock)
    fast_world.pods[pod_id].locked = True
    fast_world.faults.append(Fault("POST /v2/pods/*", "5xx", status=409))
    with pytest.raises(PodLockedError, match="keeps running and billing"):
        writer.stop(pod_id)


TEMPLATE = {"name": "demo-prod-chat", "image": "img:1", "serverless": True}


def test_writer_serverless_writes_stop_on_a_lost_lease_and_late_answers_are_reported(
        fast_sim: Simulator, vclock: ScaledClock, monkeypatch: pytest.MonkeyPatch) -> None:
    """Templates and endpoints go through the Writer like pods (CONTRACT §7): nothing is
    sent once the lease is lost, and an answer that came after it is said."""
    from gitops_runner.runpod.serverless import ServerlessApi

    writer, recorder = _writer(fast_sim, vclock)
    made = ServerlessApi.create_template

    def lost_while_in_flight(self: ServerlessApi, body: dict) -> dict:  # type: ignore[type-arg]
        answer = made(self, body)
        writer.fence.lose("the lock was taken over")
        return answer

    monkeypatch.setattr(ServerlessApi, "create_template", lost_while_in_flight)
    writer.create_template(dict(TEMPLATE))
    assert writer.fence.late_writes == ["a create of template demo-prod-chat"]
    sent = len(recorder.writes())
    for write in (lambda: writer.create_endpoint({"name": "x", "templateId": "t"}),
                  lambda: writer.update_template("t", {"image": "img:2"}),
                  lambda: writer.delete_endpoint("e"), lambda: writer.delete_template("t")):
        with pytest.raises(LeaseLostError):
            write()
    assert len(recorder.writes()) == sent
