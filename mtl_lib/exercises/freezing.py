"""Chapter 06: freeze a trained model's shared parts, so that only the task heads learn."""

from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import nn

from mtl_lib.exercises.feedback import Feedback, answered_by, attempt


def freeze_all_but_heads(model: nn.Module) -> None:
    """The reference: every parameter stops learning except those of the heads."""
    for name, parameter in model.named_parameters():
        parameter.requires_grad = name.startswith("heads.")


class _SmallClassifier(nn.Module):
    """An embedding, an encoder and one head per task, like the course's models but tiny."""

    def __init__(self):
        super().__init__()
        self.embedding = nn.Embedding(20, 4)
        self.encoder = nn.Sequential(nn.Linear(4, 4), nn.Tanh())  # tanh: no gradient is exactly 0
        self.heads = nn.ModuleDict({"Reuters": nn.Linear(4, 3), "BBC": nn.Linear(4, 5)})

    def forward(self, tokens: torch.Tensor, task: str) -> torch.Tensor:
        features = self.encoder(self.embedding(tokens).mean(dim=1))  # (batch, 4)
        return self.heads[task](features)  # (batch, labels)


def _changed_by_a_step(model: nn.Module) -> set[str]:
    """The names of the parameters that one optimiser step on both tasks' losses changes."""
    before = {name: parameter.detach().clone() for name, parameter in model.named_parameters()}
    optimizer = torch.optim.SGD(model.parameters(), lr=0.5)
    tokens = torch.tensor([[1, 2, 3], [4, 5, 6]])
    loss = (F.cross_entropy(model(tokens, "Reuters"), torch.tensor([0, 2]))
            + F.cross_entropy(model(tokens, "BBC"), torch.tensor([4, 1])))
    if loss.requires_grad:  # else every parameter is frozen
        loss.backward()
        optimizer.step()
    return {name for name, parameter in model.named_parameters() if not torch.equal(parameter, before[name])}


@answered_by(freeze_all_but_heads)
def check_freeze(function: Callable[[nn.Module], None]) -> Feedback:
    """Check `function(model)`: freeze every parameter whose name does not start with "heads.".

    It changes `model` in place (it need not return anything): after it, an optimiser step
    must change the parameters of `model.heads` only; the embedding and the encoder stay as
    they are. The model tried has an `embedding`, an `encoder` and `heads` (an nn.ModuleDict).
    """
    with torch.random.fork_rng(devices=[]):  # the learner's random numbers stay as they were
        torch.manual_seed(0)
        model = _SmallClassifier()
    heads = {name for name, _ in model.named_parameters() if name.startswith("heads.")}
    result = attempt(function, model)
    if isinstance(result, Feedback):
        return result
    learning = _changed_by_a_step(model)
    if learning == heads:
        return Feedback(True, "after your function an optimiser step changes the heads only: the embedding "
                              "and the encoder are frozen.")
    if not learning & heads:
        return Feedback(False, "no head learns any more: freeze only the parameters whose names do not start "
                               "with 'heads.', and leave requires_grad=True on the heads.")
    still_learning = sorted(learning - heads)
    if still_learning == sorted(name for name, _ in model.named_parameters() if name not in heads):
        mode = (" model.eval() only switches dropout off; it freezes nothing." if not model.training else "")
        return Feedback(False, f"an optimiser step still changes every parameter outside the heads "
                               f"({', '.join(still_learning)}): set requires_grad = False on each of them.{mode}")
    frozen_heads = sorted(heads - learning)
    return Feedback(False, f"after one optimiser step, these parameters changed: {', '.join(sorted(learning))}; "
                           f"only the heads' ({', '.join(sorted(heads))}) should. "
                           + (f"Frozen by mistake: {', '.join(frozen_heads)}. " if frozen_heads else "")
                           + "Freeze each parameter whose name (model.named_parameters()) does not start with "
                             "'heads.'.")
