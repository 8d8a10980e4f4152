"""`state rm` and `state import` for network volumes (CONTRACT §14), under the lock.

Volumes carry no markers: state is their only tie to the stack. `rm` forgets a volume's
copies (RunPod keeps them, and the next plan sees a same-named volume as foreign);
`import` adopts an existing volume (a weights cache made by hand) as the copy of a
declared volume in its data center, under its own name (state, not the name, ties it to
the stack). With no markers to read, import trusts the user that no other stack records
it, as `terraform import` does.
"""

from __future__ import annotations

from gitops_runner.config.model import Stack
from gitops_runner.engine.clock import utc_text
from gitops_runner.engine.session import Session
from gitops_runner.engine.state_ops import locked_change
from gitops_runner.errors import UsageError
from gitops_runner.plan.network_volumes import desired_volumes, parse_volume
from gitops_runner.plan.statefile import StateDoc, VolumeRecord
from gitops_runner.runpod.client import RunPodClient
from gitops_runner.runpod.errors import NotFoundError

PREFIX = "volume."  # `state rm volume.hf-cache`: pods are named without dots


def volume_address(address: str) -> str | None:
    """The `volumes[].name` a `volume.NAME` address names; None for a pod's name."""
    return address[len(PREFIX):] if address.startswith(PREFIX) else None


def state_rm_volume(session: Session, stack: Stack, volume: str,
                    unlock_errors: list[str] | None = None) -> list[str]:
    """Forget every copy of `volume`; returns their RunPod names."""
    forgotten: list[str] = []

    def change(doc: StateDoc) -> StateDoc:
        names = sorted(k for k, r in doc.volumes.items() if r.volume == volume)
        names += sorted(k for k, i in doc.volume_intents.items()
                        if i.volume == volume and k not in names)
        if not names:
            recorded = sorted({r.volume for r in doc.volumes.values()})
            raise UsageError(f"volume {volume} is not in the state of {stack.name} (it has: "
                             f"{', '.join(recorded) or 'no volumes'})")
        forgotten[:] = names
        for name in names:
            doc = doc.with_volume(name, None)
        return doc

    locked_change(session, stack, "state rm", change, f"volume {volume} forgotten", unlock_errors)
    return forgotten


def state_import_volume(session: Session, stack: Stack, client: RunPodClient, volume: str,
                        volume_id: str, unlock_errors: list[str] | None = None) -> VolumeRecord:
    """Record RunPod network volume `volume_id` as `volume`'s copy in its data center."""
    copies = {w.data_center: w for w in desired_volumes(stack) if w.volume == volume}
    if not copies:
        declared = sorted({v.name for v in stack.volumes})
        raise UsageError(f"{volume} is not a volume of {stack.name}; volumes: "
                         f"{', '.join(declared) or 'none declared'}")
    try:
        seen = parse_volume(client.get_network_volume(volume_id))
    except NotFoundError:
        raise UsageError(f"RunPod has no network volume {volume_id}") from None
    want = copies.get(seen.data_center or "")
    if want is None:
        raise UsageError(f"network volume {volume_id} is in {seen.data_center}, but volume "
                         f"{volume} is declared in {', '.join(sorted(copies))}; add "
                         f"{seen.data_center} to its data_centers first")
    stamp = utc_text(session.clock)
    record = VolumeRecord(seen.id, volume, want.data_center, seen.size_gb or want.size_gb,
                          seen.type, stamp, stamp)

    def change(doc: StateDoc) -> StateDoc:
        held = doc.volumes.get(want.runpod_name)
        if held is not None and held.id != seen.id:
            raise UsageError(f"state already records {held.id} as volume {volume} in "
                             f"{want.data_center}; `state rm {PREFIX}{volume}` first")
        other = next((k for k, r in doc.volumes.items()
                      if r.id == seen.id and k != want.runpod_name), None)
        if other is not None:
            raise UsageError(f"network volume {volume_id} is already recorded as {other}")
        return doc.with_volume(want.runpod_name, record)

    locked_change(session, stack, "state import", change,
            f"network volume {seen.id} imported as {volume} in {want.data_center}",
            unlock_errors)
    return record
