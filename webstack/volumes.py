"""The database volumes against what this stack's last update recorded: they grow, never shrink.

The API server refuses a PersistentVolumeClaim update whose storage request is below the previous
request, unless it stays above ``status.capacity``: RecoverVolumeExpansionFailure (beta and on by
default in Kubernetes 1.32, GA in 1.34) lets a failed expansion be walked back
(``ValidatePersistentVolumeClaimUpdate``). Left to the API server, that refusal comes in the middle
of a preview, while the program is still registering, and the engine's shutdown surfaces as an SDK
traceback. Checked here, against the claims in the stack's last checkpoint, it is one message
naming the key, before any resource.

The checkpoint holds a claim as the provider last returned it. Claims are not awaited, so that is
often as created, before the volume was bound: with no capacity recorded, the request is the floor
(the API server compares with the capacity the volume has by now, which is at least the request
once bound). A recorded capacity is as of the last ``up`` or ``pulumi refresh``.

``recorded_claims`` and ``shrink_problems`` are pure; ``read_recorded_resources`` is the edge that
asks the engine for the checkpoint.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pulumi

from components.validation import parse_quantity, shown
from webstack.config.spec import ConfigError

CLAIM_TYPE = "kubernetes:core/v1:PersistentVolumeClaim"
# The engine's built-in provider: every resource's outputs in a stack's last checkpoint.
READ_RESOURCE_OUTPUTS = "pulumi:pulumi:readStackResourceOutputs"


@dataclass(frozen=True)
class RecordedClaim:
    """A PersistentVolumeClaim as the last update left it in the checkpoint."""

    namespace: str
    name: str
    request: str | None
    """``spec.resources.requests.storage``."""
    capacity: str | None
    """``status.capacity.storage``: absent until the claim is bound, and as of the last read."""


@dataclass(frozen=True)
class WantedClaim:
    """A claim this program is about to register, and the config key that sizes it."""

    name: str
    key: str
    size: str


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _at(value: Any, *path: str) -> Any:
    for part in path:
        if not isinstance(value, Mapping):
            return None
        value = value.get(part)
    return value


def recorded_claims(answer: Mapping[str, Any]) -> list[RecordedClaim]:
    """The claims in a ``readStackResourceOutputs`` answer (``outputs``: URN -> {type, outputs}).

    An empty answer (a new stack, or the unit tests' mocks) has none.
    """
    resources = answer.get("outputs")
    if not isinstance(resources, Mapping):
        return []
    claims = []
    for entry in resources.values():
        if _at(entry, "type") != CLAIM_TYPE:
            continue
        outputs = _at(entry, "outputs")
        namespace, name = _text(_at(outputs, "metadata", "namespace")), _text(_at(outputs, "metadata", "name"))
        if namespace is None or name is None:
            continue
        claims.append(
            RecordedClaim(
                namespace=namespace,
                name=name,
                request=_text(_at(outputs, "spec", "resources", "requests", "storage")),
                capacity=_text(_at(outputs, "status", "capacity", "storage")),
            )
        )
    return claims


def _quantity(value: str | None) -> Decimal | None:
    if value is None:
        return None
    try:
        return parse_quantity(value, "recorded claim")
    except ValueError:  # not ours to judge: the API server wrote it
        return None


def shrink_problems(namespace: str, wanted: Iterable[WantedClaim], recorded: Iterable[RecordedClaim]) -> list[str]:
    """One problem per wanted claim whose size the API server would refuse against the record."""
    by_name = {c.name: c for c in recorded if c.namespace == namespace}
    problems = []
    for claim in wanted:
        before = by_name.get(claim.name)
        old = _quantity(before.request) if before else None
        new = _quantity(claim.size)
        if before is None or old is None or new is None or new >= old:
            continue
        capacity = _quantity(before.capacity)
        if capacity is not None and new > capacity:
            continue  # walks back an expansion the volume never got: the API server allows it
        floor = (
            f"more than {before.capacity} (the size the volume has)"
            if capacity is not None and capacity < old
            else f"{before.request} or more"
        )
        problems.append(
            f"webstack:{claim.key}: {shown(claim.size)} is smaller than the {before.request} the volume "
            f"{namespace}/{claim.name} was last given; a PersistentVolumeClaim grows but never shrinks: set it "
            f"to {floor}, or move the data to a smaller volume with a backup and a restore "
            '(README "Backups and restore")'
        )
    return problems


def check_volume_sizes(namespace: str, wanted: Iterable[WantedClaim], recorded: Iterable[RecordedClaim]) -> None:
    """Raise one ConfigError for every claim the API server would refuse to resize."""
    problems = shrink_problems(namespace, wanted, recorded)
    if problems:
        raise ConfigError(problems)


# The file backend writes a checkpoint's metadata file in place, so a read that meets the engine's own
# write fails (``failed to load checkpoint: EOF``; seen on a new stack's first ``up``): a short retry.
READ_ATTEMPTS = 5
READ_PAUSE_SECONDS = 0.1


def read_recorded_resources(
    invoke: Callable[[str, Mapping[str, Any]], Any] | None = None,
    pause: Callable[[float], None] = time.sleep,
) -> Mapping[str, Any]:
    """This stack's last checkpoint, as the engine's built-in provider reads it.

    When every attempt fails, a warning says so and the answer is empty: the sizes are then left to
    the API server, which refuses a smaller claim itself (later, and less clearly).
    """
    call = invoke or pulumi.runtime.invoke
    # The full name: a bare one would be looked up in the caller's default organization.
    stack = f"{pulumi.get_organization()}/{pulumi.get_project()}/{pulumi.get_stack()}"
    failure: Exception | None = None
    for attempt in range(1, READ_ATTEMPTS + 1):
        if failure is not None:
            pause(READ_PAUSE_SECONDS * (attempt - 1))
        try:
            answer = call(READ_RESOURCE_OUTPUTS, {"stackName": stack}).value
        except Exception as err:  # the SDK raises a bare Exception for a failed invoke
            failure = err
            continue
        return answer if isinstance(answer, Mapping) else {}
    pulumi.log.warn(
        f"the database volumes' sizes were not checked against the stack's last checkpoint "
        f"({READ_ATTEMPTS} reads failed, the last with: {failure}); the API server still refuses a "
        "smaller volume, during the preview's dry run"
    )
    return {}


__all__ = [
    "RecordedClaim",
    "WantedClaim",
    "check_volume_sizes",
    "read_recorded_resources",
    "recorded_claims",
    "shrink_problems",
]
