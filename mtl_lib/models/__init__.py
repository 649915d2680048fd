"""Models: encoders, the gradient reversal layer and discriminator, and every architecture."""

from mtl_lib.models.encoders import EncoderConfig, build_encoder
from mtl_lib.models.layers import TaskDiscriminator, ganin_lambda, grad_reverse
from mtl_lib.models.modes import evaluating
from mtl_lib.models.multitask import MODELS, ModelOutput, MultiTaskModel, build_model

__all__ = ["MODELS", "EncoderConfig", "ModelOutput", "MultiTaskModel", "TaskDiscriminator", "build_encoder",
           "build_model", "evaluating", "ganin_lambda", "grad_reverse"]
