"""The opponent pool: earlier versions of the RL policy.

Why a pool (AlphaGo): a policy trained only against its current self
overfits to beating that one opponent and cycles; playing a randomly drawn
earlier version each minibatch keeps it strong against the whole history.
The supervised start is member 0 and is never dropped; a new member joins
every ``--pool-every`` iterations; when ``max_size`` is reached the oldest
member after the start leaves (its file is deleted), which bounds the disk
the pool takes.

The pool's state is the list of members (version, iteration, file name)
and is saved in the run's checkpoint with the iteration and the optimiser,
so a resumed run draws from exactly the same pool.
"""

import os
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from tengen.base.files import atomic_write_bytes


@dataclass(frozen=True)
class Member:
    version: int          # 0: the supervised start
    iteration: int        # the RL iteration it was taken at
    file: str             # policy file name inside the pool directory


class OpponentPool:
    """Members on disk in ``directory``; ``sample(rng)`` draws one uniformly."""

    def __init__(self, directory: str | os.PathLike, max_size: int = 0):
        self.directory = Path(directory)
        self.max_size = max_size
        self.members: list[Member] = []

    def __len__(self) -> int:
        return len(self.members)

    def path(self, member: Member) -> Path:
        return self.directory / member.file

    def add(self, policy_file: str | os.PathLike, version: int, iteration: int) -> Member:
        """Copy ``policy_file`` into the pool as ``version``; drop the
        oldest member after the start when the pool is full."""
        self.directory.mkdir(parents=True, exist_ok=True)
        member = Member(version, iteration, f"policy-v{version:05d}.safetensors")
        atomic_write_bytes(self.path(member), Path(policy_file).read_bytes())
        self.members.append(member)
        while self.max_size and len(self.members) > self.max_size:
            gone = self.members.pop(1)
            self.path(gone).unlink(missing_ok=True)
        return member

    def sample(self, rng: np.random.Generator) -> Member:
        """A member drawn uniformly (AlphaGo's opponent choice)."""
        if not self.members:
            raise ValueError("the opponent pool is empty")
        return self.members[int(rng.integers(len(self.members)))]

    def latest(self) -> Member:
        return self.members[-1]

    def state(self) -> dict:
        return {"max_size": self.max_size, "members": [asdict(m) for m in self.members]}

    def restore(self, state: dict) -> None:
        """Members from ``state``; every member's file must still exist."""
        self.max_size = state["max_size"]
        self.members = [Member(**m) for m in state["members"]]
        missing = [m.file for m in self.members if not self.path(m).exists()]
        if missing:
            raise FileNotFoundError(f"pool members missing from {self.directory}: {missing}")
        self.prune()

    def prune(self) -> None:
        """Delete pool files that are no member (left by a crash between
        adding a member and saving the checkpoint)."""
        keep = {m.file for m in self.members}
        for f in self.directory.glob("policy-v*.safetensors"):
            if f.name not in keep:
                f.unlink(missing_ok=True)
