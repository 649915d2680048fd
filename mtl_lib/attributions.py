"""Word attributions: how much each word moved one prediction, through the shared and the private channel.

Integrated gradients (Sundararajan, Taly & Yan 2017) explain an output f(x) by walking
from a baseline x' (here: every word's embedding replaced by zeros, the padding vector)
to the input x, and adding up the gradient along the way:

    attribution_i = (x_i - x'_i) * integral from 0 to 1 of df/dx_i (x' + a (x - x')) da

Its promise, *completeness*: the attributions add up to f(x) - f(x').

Two channels. An SP or ASP model embeds a text once, E (seq, emb), and hands the same E
to two encoders: the shared one and the task's private one (`SharedPrivate.forward`).
To split a prediction between them, write the logit of the explained class as a
function of two inputs, f(S, P): S the embeddings the shared encoder reads, P those
the private encoder reads. The model's output is f(E, E). We integrate along the
straight path from (0, 0) to (E, E), so both channels see a*E at every point a:

    shared_i  = E_i . integral df/dS_i (aE, aE) da      (summed over the embedding dimensions)
    private_i = E_i . integral df/dP_i (aE, aE) da

The path is one straight line in the joint input (S, P), so completeness holds for the
pair: the shared and private attributions of all words together add up to
f(E, E) - f(0, 0), the logit of the input minus the logit of the all-padding text. The
integral is a midpoint Riemann sum over `steps` points; its error shrinks as the steps
grow (for a bag-of-embeddings model with a linear head f is linear in (S, P), and the
sum is exact at any number of steps).

A hard-sharing model has one channel, the shared one: its private attributions are zero.
"""

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch
from torch import Tensor

from mtl_lib.checkpoints import Run
from mtl_lib.data import Vocab, tokenize
from mtl_lib.data.batching import TextDataset, pad_collate
from mtl_lib.errors import ConfigError, DataError, UnknownLabelError
from mtl_lib.models.encoders import real_token_mask
from mtl_lib.models.modes import evaluating
from mtl_lib.models.multitask import HardSharing, MultiTaskModel, SharedPrivate

# f(shared_embedded, private_embedded, lengths) -> logits, both embedded (batch, seq, emb)
ChannelLogits = Callable[[Tensor, Tensor, Tensor], Tensor]


def channel_logits(model: MultiTaskModel, task: str) -> ChannelLogits:
    """The logits of `task` as a function of what each channel reads: f(S, P, lengths).

    `channel_logits(model, task)(E, E, lengths)` equals `model(tokens, lengths, task).logits`
    when E is the embedded `tokens`. Only models with a shared encoder have channels:
    SP and ASP (shared and private) and hard sharing (shared only, P is ignored).
    """
    model.task_index(task)  # an unknown task fails here, naming the known ones
    head = model.heads[task]
    if isinstance(model, SharedPrivate):
        private_encoder = model.private_encoders[task]

        def shared_private(shared_in: Tensor, private_in: Tensor, lengths: Tensor) -> Tensor:
            shared = model.shared_encoder(shared_in, lengths)  # (batch, shared_dim)
            private = private_encoder(private_in, lengths)  # (batch, private_dim)
            return head(torch.cat([shared, private], dim=1))  # (batch, num_labels)

        return shared_private
    if isinstance(model, HardSharing):
        return lambda shared_in, private_in, lengths: head(model.encoder(shared_in, lengths))
    raise ConfigError(f"word attributions per channel need a model with a shared encoder (sp, asp or hard); "
                      f"this one is a {type(model).__name__}. Train it with --model sp or --model asp")


REGRESSION_LABEL = "a higher value"  # what a regression head's attributions push towards

PATH_ROWS = 1024  # texts x points of the path sent through the model at once: bounds the memory


def integrated_gradients(model: MultiTaskModel, task: str, tokens: Tensor, lengths: Tensor,
                         targets: Tensor | None = None, steps: int = 32) -> dict[str, Tensor]:
    """Shared and private attributions of every token of a batch, towards one class per text.

    `tokens` (batch, seq) padded token ids, `lengths` (batch,); `targets` (batch,) the class
    to explain per text, by default the predicted one. Returns tensors on the model's device:
    `shared` and `private` (batch, seq), zero at padding; `logits` (batch, labels) at the
    input; `targets` (batch,); `target_logit` and `baseline_logit` (batch,), f(E, E) and f(0, 0).
    The points of the path go through the model in chunks of about `PATH_ROWS` texts, so
    many steps cost time, not memory.

    >>> result = integrated_gradients(model, "Reuters", batch.tokens, batch.lengths)
    >>> result["shared"].sum(1) + result["private"].sum(1)   # ≈ target_logit - baseline_logit
    """
    if not isinstance(steps, int) or isinstance(steps, bool) or steps < 1:
        raise ConfigError(f"steps must be a positive integer (32 is plenty for most texts); got {steps!r}")
    f = channel_logits(model, task)  # refuses models without a shared encoder
    with evaluating(model):  # no dropout: the same input always gives the same logit
        with torch.no_grad():
            embedded = model.embedding(tokens)  # (batch, seq, emb): the one table both channels read
            logits = f(embedded, embedded, lengths)  # (batch, labels)
            baseline_logits = f(torch.zeros_like(embedded), torch.zeros_like(embedded), lengths)  # (batch, labels)
        targets = logits.argmax(dim=1) if targets is None else targets.to(logits.device)
        alphas = (torch.arange(steps, device=embedded.device, dtype=embedded.dtype) + 0.5) / steps  # midpoints

        # cuDNN computes an RNN's backward pass in training mode only, and the model is in eval mode
        # (no dropout): on CUDA, the path's gradients are taken with cuDNN off, by PyTorch's own kernels.
        with torch.backends.cudnn.flags(enabled=False):
            shared_sum, private_sum = _path_gradients(f, embedded, lengths, targets, alphas)

    def attribute(gradient_sum: Tensor) -> Tensor:
        return (embedded * gradient_sum / steps).sum(dim=-1)  # (batch, seq): E . mean gradient

    return {
        "shared": attribute(shared_sum),
        "private": attribute(private_sum),
        "logits": logits,
        "targets": targets,
        "target_logit": logits.gather(1, targets.unsqueeze(1)).squeeze(1),
        "baseline_logit": baseline_logits.gather(1, targets.unsqueeze(1)).squeeze(1),
    }


def _path_gradients(f: Callable[[Tensor, Tensor, Tensor], Tensor], embedded: Tensor, lengths: Tensor,
                    targets: Tensor, alphas: Tensor) -> tuple[Tensor, Tensor]:
    """The target logit's gradients with respect to each channel's input, added up over the path's points.

    Several points of the path go through the model as one batch: (points * batch, seq, emb), point-major.
    """
    batch, seq, _ = embedded.shape
    shared_sum, private_sum = torch.zeros_like(embedded), torch.zeros_like(embedded)
    for chunk in alphas.split(max(1, PATH_ROWS // batch)):
        points = len(chunk)
        path = (chunk.view(points, 1, 1, 1) * embedded.unsqueeze(0)).reshape(points * batch, seq, -1)
        shared_in = path.clone().requires_grad_(True)
        private_in = path.clone().requires_grad_(True)
        path_logits = f(shared_in, private_in, lengths.repeat(points))  # (points * batch, labels)
        chosen = path_logits.gather(1, targets.repeat(points).unsqueeze(1))  # (points * batch, 1)
        shared_grad, private_grad = torch.autograd.grad(chosen.sum(), [shared_in, private_in], allow_unused=True)
        shared_sum += shared_grad.view(points, batch, seq, -1).sum(dim=0)
        if private_grad is not None:  # None for hard sharing: the private input is never read
            private_sum += private_grad.view(points, batch, seq, -1).sum(dim=0)
    return shared_sum, private_sum


@dataclass
class Attribution:
    """One text's prediction, explained word by word through the shared and the private channel.

    `shared[i] + private[i]` is word i's whole contribution to the logit of `label`; over all
    words they add up to `logit_difference` (up to `completeness_error`, the Riemann-sum error).
    """

    text: str
    task: str  # whose head made the prediction
    tokens: list[str]  # the words the model read, as `tokenize` splits them (cut to max_length)
    known: np.ndarray  # (tokens,) bool: False where the word is outside the vocabulary (read as <unk>)
    shared: np.ndarray  # (tokens,) attribution through the shared encoder
    private: np.ndarray  # (tokens,) attribution through the task's private encoder
    label: str  # the explained class: the predicted one unless asked otherwise (regression: REGRESSION_LABEL)
    predicted: str  # the model's predicted class (regression: the predicted number)
    probabilities: dict[str, float]  # every class of the task; empty for a regression task
    logit: float  # f(E, E) for `label`
    baseline_logit: float  # f(0, 0) for `label`: the all-padding text
    steps: int
    words_in_text: int  # all words of the text, including those past max_length

    @property
    def logit_difference(self) -> float:
        """What the attributions must add up to: logit(input) - logit(baseline)."""
        return self.logit - self.baseline_logit

    @property
    def completeness_error(self) -> float:
        """|sum of all attributions - logit_difference|: the Riemann-sum error of the integral."""
        return abs(float(self.shared.sum() + self.private.sum()) - self.logit_difference)

    def frame(self) -> pd.DataFrame:
        """One row per word: token, shared, private, total (= shared + private), known."""
        return pd.DataFrame({"token": self.tokens, "shared": self.shared, "private": self.private,
                             "total": self.shared + self.private, "known": self.known})


def explain(trained: Run, task: str, text: str, label: str | None = None,
            steps: int = 32, max_length: int | None = None) -> Attribution:
    """Explain the prediction of `task`'s head for `text`: integrated gradients per channel.

    `trained` is what `run_experiment` returns or `load_run` loads (model, vocabulary and
    label names). `label` picks the class to explain (default: the predicted one);
    `max_length` cuts the text as training did (None reads it all).

    >>> attribution = explain(result, "Reuters", "Fed raises rates again")
    >>> attribution.frame().sort_values("total")      # the words that pushed hardest
    """
    model, vocab = trained.model, trained.vocab
    model.task_index(task)  # an unknown task fails here, naming the known ones
    words = tokenize(text)
    if not words:
        raise DataError("the text has no words to attribute; give a headline or an article")
    ids = vocab.encode(text, max_length)  # (tokens,)
    label_names = list(trained.spec.label_names[task])
    if not label_names and label is not None:
        raise ConfigError(f"task {task!r} is a regression task: its head has one output and no label to choose; "
                          "leave label out")
    target = None if label is None else torch.tensor([_label_index(label_names, label, task)])
    device = next(model.parameters()).device
    batch = pad_collate([(ids, 0)]).to(device)
    result = integrated_gradients(model, task, batch.tokens, batch.lengths, target, steps)
    logits = result["logits"][0]
    if label_names:
        explained, predicted = label_names[int(result["targets"][0])], label_names[int(logits.argmax())]
        probabilities = dict(zip(label_names, logits.softmax(dim=0).tolist()))
    else:  # a regression head: its one output is the prediction, explained towards a higher value
        explained, predicted, probabilities = REGRESSION_LABEL, f"{float(logits[0]):.3f}", {}
    return Attribution(
        text=text, task=task, tokens=words[: len(ids)], known=np.array([word in vocab for word in words[: len(ids)]]),
        shared=result["shared"][0].cpu().numpy(), private=result["private"][0].cpu().numpy(),
        label=explained, predicted=predicted, probabilities=probabilities, logit=float(result["target_logit"][0]),
        baseline_logit=float(result["baseline_logit"][0]), steps=steps, words_in_text=len(words))


def attribute_texts(model: MultiTaskModel, vocab: Vocab, task: str, texts: list[str], steps: int = 16,
                    max_length: int | None = 64, batch_size: int = 64) -> pd.DataFrame:
    """Every word occurrence of `texts`, attributed towards each text's predicted class.

    Long rows: text (its position in `texts`), position, token (the vocabulary's token, so
    every unknown word is `<unk>`), shared, private. The material for corpus-level word lists.
    """
    if not texts:
        return pd.DataFrame(columns=["text", "position", "token", "shared", "private"])
    device = next(model.parameters()).device
    dataset = TextDataset([vocab.encode(text, max_length) for text in texts], [0] * len(texts))
    frames = []
    for start in range(0, len(dataset), batch_size):
        indices = range(start, min(start + batch_size, len(dataset)))
        batch = pad_collate([dataset[i] for i in indices]).to(device)
        result = integrated_gradients(model, task, batch.tokens, batch.lengths, steps=steps)
        real = real_token_mask(batch.lengths, batch.tokens.shape[1])  # (batch, seq)
        text_index, position = real.nonzero(as_tuple=True)
        frames.append(pd.DataFrame({
            "text": text_index.cpu().numpy() + start, "position": position.cpu().numpy(),
            "token": vocab.decode(batch.tokens[real].cpu()),
            "shared": result["shared"][real].cpu().numpy(), "private": result["private"][real].cpu().numpy()}))
    return pd.concat(frames, ignore_index=True)


def _label_index(label_names: list[str], label: str, task: str) -> int:
    if label not in label_names:
        raise UnknownLabelError(f"{label!r} is not a label of task {task!r}; its labels are: {', '.join(label_names)}")
    return label_names.index(label)
