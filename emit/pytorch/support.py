"""lstmc PyTorch support: one ``torch.nn.Module`` per lstmc layer, computing what the TF.js layer computes.

Every class mirrors the TF.js (tfjs-layers 4.22, Keras 2 semantics) layer of the same class name:
channels-last tensors with the batch first, the same weights under the same names, shapes and order
(``tfjs_weights`` / ``load_tfjs_weights``), the same defaults when a config key is absent, and the
same initializers (so a model trained from scratch starts like one built by TF.js).

The contract every layer class implements (the generated model modules rely on it):

* ``__init__(self, input_shape=None, **config)``: ``config`` holds the TF.js layer config keys in
  their TF.js (camelCase) spelling, e.g. ``units``, ``returnSequences``, ``kernelSize``; unknown keys
  are an error. ``input_shape`` is the input shape without the batch dimension (a list, ``None`` for
  unknown dims; a list of shapes for merges), so weights are created eagerly. Wrappers also take
  ``layer=<inner module>``. ``name`` names the layer (wrappers use it in weight names).
* ``forward(self, x, initial_state=None)``: ``x`` is a tensor or, for merges, a list of tensors;
  returns a tensor, or a list ``[output, *states]`` when the layer has ``returnState``. Recurrent
  layers and Bidirectional also take ``mask=`` (a ``[batch, time]`` boolean tensor, see
  ``compute_mask``), as TF.js passes an Embedding's ``maskZero`` mask downstream.
* ``tfjs_weights(self)``: ``[(name, numpy float32 array)]`` in TF.js order (trainable weights, then
  non-trainable), with TF.js shapes and names relative to the layer (``kernel``,
  ``recurrent_kernel``, ``bias``, ``gamma``, ``beta``, ``moving_mean``, ``moving_variance``,
  ``embeddings``; Bidirectional: ``forward_<inner name>/kernel`` ... then ``backward_<inner name>/...``;
  TimeDistributed: the inner layer's names, as TF.js names them).
* ``load_tfjs_weights(self, arrays)``: the reverse, from arrays in that order.
* ``compute_mask(self, inputs, mask=None)``: the mask TF.js passes to the next layer.

Training-time randomness (Dropout, recurrent dropout, GaussianNoise) follows TF.js in distribution,
not bit for bit; inference (``module.eval()``) is deterministic and equal to TF.js.

Only torch and numpy are used.
"""

from __future__ import annotations

import math
import re
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple, Union

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

Tensor = torch.Tensor
Shape = Sequence[Optional[int]]

__all__ = [
    "ACTIVATIONS",
    "LAYER_CLASSES",
    "TfjsLayer",
    "activation",
    "build_layer",
    "initialize",
    "LSTM",
    "GRU",
    "SimpleRNN",
    "Bidirectional",
    "TimeDistributed",
    "Dense",
    "Dropout",
    "Masking",
    "GaussianNoise",
    "Flatten",
    "Reshape",
    "RepeatVector",
    "Permute",
    "Activation",
    "Embedding",
    "Conv1D",
    "Conv2D",
    "MaxPooling1D",
    "MaxPooling2D",
    "AveragePooling1D",
    "AveragePooling2D",
    "GlobalMaxPooling1D",
    "GlobalAveragePooling1D",
    "GlobalMaxPooling2D",
    "GlobalAveragePooling2D",
    "BatchNormalization",
    "LayerNormalization",
    "Concatenate",
    "Add",
    "Multiply",
    "Average",
]

# ---------------------------------------------------------------------------------------------
# Activations (tfjs-layers activations.ts)
# ---------------------------------------------------------------------------------------------


def _hard_sigmoid(x: Tensor) -> Tensor:
    # K.hardSigmoid: clip(0.2 x + 0.5, 0, 1)
    return torch.clamp(x * 0.2 + 0.5, 0.0, 1.0)


def _softsign(x: Tensor) -> Tensor:
    return x / (1.0 + torch.abs(x))


def _gelu(x: Tensor) -> Tensor:
    return x * (0.5 * (1.0 + torch.erf(x / math.sqrt(2.0))))


def _gelu_new(x: Tensor) -> Tensor:
    return 0.5 * (x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * torch.pow(x, 3)))))


def _linear(x: Tensor) -> Tensor:
    return x


def _relu6(x: Tensor) -> Tensor:
    return torch.clamp(x, 0.0, 6.0)


def _softmax(x: Tensor) -> Tensor:
    return torch.softmax(x, dim=-1)


def _log_softmax(x: Tensor) -> Tensor:
    return torch.log_softmax(x, dim=-1)


def _swish(x: Tensor) -> Tensor:
    return torch.sigmoid(x) * x


def _mish(x: Tensor) -> Tensor:
    return x * torch.tanh(F.softplus(x))


# Plain functions (no lambdas), so modules holding them pickle (torch.save(model), spawned workers).
ACTIVATIONS: Dict[str, Callable[[Tensor], Tensor]] = {
    "linear": _linear,
    "relu": torch.relu,
    "relu6": _relu6,
    "elu": F.elu,
    "selu": F.selu,
    "sigmoid": torch.sigmoid,
    "hardSigmoid": _hard_sigmoid,
    "tanh": torch.tanh,
    "softmax": _softmax,
    "logSoftmax": _log_softmax,
    "softplus": F.softplus,
    "softsign": _softsign,
    "swish": _swish,
    "mish": _mish,
    "gelu": _gelu,
    "gelu_new": _gelu_new,
}


def activation(identifier: Optional[str]) -> Callable[[Tensor], Tensor]:
    """The TF.js activation called `identifier` (None is linear, as in TF.js)."""
    if identifier is None:
        return ACTIVATIONS["linear"]
    if identifier not in ACTIVATIONS:
        raise ValueError(f"Unknown activation {identifier!r}; known: {', '.join(sorted(ACTIVATIONS))}")
    return ACTIVATIONS[identifier]


# ---------------------------------------------------------------------------------------------
# Initializers (tfjs-layers initializers.ts: same distributions and fans)
# ---------------------------------------------------------------------------------------------


def _prod(xs: Sequence[int]) -> int:
    p = 1
    for v in xs:
        p *= int(v)
    return p


def _fans(shape: Sequence[int]) -> Tuple[float, float]:
    """tfjs computeFans, channels-last."""
    if len(shape) == 2:
        return float(shape[0]), float(shape[1])
    if len(shape) in (3, 4, 5):
        receptive = _prod(shape[:-2])
        return float(shape[-2] * receptive), float(shape[-1] * receptive)
    p = math.sqrt(_prod(shape))
    return p, p


def _truncated_normal(shape: Sequence[int], mean: float, stddev: float) -> Tensor:
    # tf.truncatedNormal: values more than two standard deviations from the mean are redrawn.
    t = torch.empty(list(shape), dtype=torch.float32)
    if t.numel() == 0:
        return t
    return nn.init.trunc_normal_(t, mean=mean, std=stddev, a=mean - 2 * stddev, b=mean + 2 * stddev)


def _variance_scaling(shape: Sequence[int], scale: float, mode: str, distribution: str) -> Tensor:
    fan_in, fan_out = _fans(shape)
    if mode == "fanIn":
        scale /= max(1.0, fan_in)
    elif mode == "fanOut":
        scale /= max(1.0, fan_out)
    else:
        scale /= max(1.0, (fan_in + fan_out) / 2)
    if distribution == "normal":
        # TF.js draws a truncated normal with stddev sqrt(scale) (no 0.8796 correction).
        return _truncated_normal(shape, 0.0, math.sqrt(scale))
    limit = math.sqrt(3.0 * scale)
    return torch.empty(list(shape), dtype=torch.float32).uniform_(-limit, limit)


def _orthogonal(shape: Sequence[int], gain: float = 1.0) -> Tensor:
    # tfjs Orthogonal: flatten to [prod(shape[:-1]), shape[-1]], QR of a normal matrix, sign fix.
    if len(shape) < 2:
        raise ValueError("The orthogonal initializer needs a shape of rank 2 or more.")
    rows = _prod(shape[:-1])
    cols = int(shape[-1])
    a = torch.randn(max(rows, cols), min(rows, cols), dtype=torch.float64)
    q, r = torch.linalg.qr(a)
    d = torch.sign(torch.diagonal(r))
    d[d == 0] = 1.0
    q = q * d
    if rows < cols:
        q = q.t()
    return (gain * q).reshape(list(shape)).to(torch.float32).contiguous()


_VS = {
    "glorotUniform": (1.0, "fanAvg", "uniform"),
    "glorotNormal": (1.0, "fanAvg", "normal"),
    "heUniform": (2.0, "fanIn", "uniform"),
    "heNormal": (2.0, "fanIn", "normal"),
    "leCunUniform": (1.0, "fanIn", "uniform"),
    "leCunNormal": (1.0, "fanIn", "normal"),
}

_INITIALIZER_ALIASES = {
    "GlorotUniform": "glorotUniform",
    "GlorotNormal": "glorotNormal",
    "HeUniform": "heUniform",
    "HeNormal": "heNormal",
    "LeCunUniform": "leCunUniform",
    "LeCunNormal": "leCunNormal",
    "Orthogonal": "orthogonal",
    "Zeros": "zeros",
    "Ones": "ones",
    "RandomUniform": "randomUniform",
    "RandomNormal": "randomNormal",
    "TruncatedNormal": "truncatedNormal",
    "VarianceScaling": "varianceScaling",
    "Constant": "constant",
}


def initialize(identifier: Any, shape: Sequence[int]) -> Tensor:
    """A float32 tensor of `shape` drawn as the TF.js initializer `identifier` would draw it.

    `identifier` is a TF.js initializer name ('glorotUniform', 'orthogonal', 'zeros', ...) or a
    serialized initializer {'className': 'VarianceScaling', 'config': {...}}.
    """
    shape = [int(d) for d in shape]
    args: Dict[str, Any] = {}
    name = identifier
    if isinstance(identifier, dict):
        name = identifier.get("className")
        args = dict(identifier.get("config") or {})
    name = _INITIALIZER_ALIASES.get(name, name)
    with torch.no_grad():
        if name == "zeros":
            return torch.zeros(shape, dtype=torch.float32)
        if name == "ones":
            return torch.ones(shape, dtype=torch.float32)
        if name == "constant":
            return torch.full(shape, float(args.get("value", 0.0)), dtype=torch.float32)
        if name in _VS:
            return _variance_scaling(shape, *_VS[name])
        if name == "varianceScaling":
            return _variance_scaling(
                shape,
                float(args.get("scale", 1.0)),
                args.get("mode", "fanIn"),
                args.get("distribution", "normal"),
            )
        if name == "orthogonal":
            return _orthogonal(shape, float(args.get("gain", 1.0)))
        if name == "randomUniform":
            lo = float(args.get("minval") or -0.05)
            hi = float(args.get("maxval") or 0.05)
            return torch.empty(shape, dtype=torch.float32).uniform_(lo, hi)
        if name == "randomNormal":
            mean = float(args.get("mean") or 0.0)
            std = float(args.get("stddev") or 0.05)
            return torch.empty(shape, dtype=torch.float32).normal_(mean, std)
        if name == "truncatedNormal":
            return _truncated_normal(shape, float(args.get("mean") or 0.0), float(args.get("stddev") or 0.05))
    raise ValueError(f"Unknown initializer {identifier!r}")


# ---------------------------------------------------------------------------------------------
# Base class
# ---------------------------------------------------------------------------------------------

# Keys a TF.js layer config may carry that do not change what the layer computes.
_GENERIC_KEYS = frozenset({"name", "inputShape", "batchInputShape", "batchSize", "trainable", "dtype", "inputDType"})


def _snake(class_name: str) -> str:
    """tfjs toSnakeCase: 'SimpleRNN' -> 'simple_rnn', 'GlobalAveragePooling1D' -> 'global_average_pooling1d'."""
    s = re.sub(r"(.)([A-Z][a-z0-9]+)", r"\1_\2", class_name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", s).lower()


def _int_list(v: Any, n: int, what: str) -> List[int]:
    if isinstance(v, bool):
        raise TypeError(f"{what} must be an int or a list of {n} ints, got {v!r}")
    if isinstance(v, (int, float)):
        return [int(v)] * n
    if isinstance(v, (list, tuple)):
        if len(v) == 1 and n > 1:
            return [int(v[0])] * n
        if len(v) != n:
            raise ValueError(f"{what} must have {n} entries, got {list(v)!r}")
        return [int(x) for x in v]
    raise TypeError(f"{what} must be an int or a list of {n} ints, got {v!r}")


class TfjsLayer(nn.Module):
    """Common base: config bookkeeping and the TF.js weight contract."""

    #: The TF.js class name this module mirrors.
    tfjs_class_name = ""
    #: Config keys this class understands (besides the generic ones).
    config_keys: frozenset = frozenset()
    #: TF.js `supportsMasking`: the input mask passes through unchanged.
    supports_masking = False

    def __init__(self, config: Dict[str, Any], input_shape: Any = None):
        super().__init__()
        unknown = set(config) - set(self.config_keys) - _GENERIC_KEYS
        if unknown:
            raise TypeError(f"{type(self).__name__}: unknown config key(s) {sorted(unknown)}")
        self.config: Dict[str, Any] = dict(config)
        if input_shape is None and config.get("inputShape") is not None:
            input_shape = config["inputShape"]
        self.input_shape = None if input_shape is None else _copy_shape(input_shape)
        self.name: str = config.get("name") or _snake(self.tfjs_class_name)
        # (TF.js name relative to the layer, attribute name) in TF.js order.
        self._tfjs_slots: List[Tuple[str, str]] = []

    def _get(self, key: str, default: Any) -> Any:
        v = self.config.get(key)
        return default if v is None else v

    # -- weights -------------------------------------------------------------------------------

    def _add_weight(self, tfjs_name: str, value: Tensor, trainable: bool = True) -> None:
        attr = tfjs_name
        if trainable:
            self.register_parameter(attr, nn.Parameter(value.to(torch.float32)))
        else:
            self.register_buffer(attr, value.to(torch.float32))
        self._tfjs_slots.append((tfjs_name, attr))

    def _weight_tensors(self) -> List[Tuple[str, Tensor]]:
        """(TF.js relative name, tensor), trainable weights first as TF.js orders `layer.weights`."""
        trainable = [(n, getattr(self, a)) for n, a in self._tfjs_slots if isinstance(getattr(self, a), nn.Parameter)]
        fixed = [(n, getattr(self, a)) for n, a in self._tfjs_slots if not isinstance(getattr(self, a), nn.Parameter)]
        return trainable + fixed

    def tfjs_weights(self) -> List[Tuple[str, np.ndarray]]:
        return [(n, t.detach().cpu().numpy().astype(np.float32, copy=True)) for n, t in self._weight_tensors()]

    def load_tfjs_weights(self, arrays: Sequence[Any]) -> None:
        slots = self._weight_tensors()
        arrays = list(arrays)
        if len(arrays) != len(slots):
            raise ValueError(
                f"{type(self).__name__} {self.name!r} has {len(slots)} weights "
                f"({', '.join(n for n, _ in slots)}), got {len(arrays)} arrays"
            )
        with torch.no_grad():
            for (n, t), a in zip(slots, arrays):
                # reshape: ascontiguousarray makes a scalar (shape []) 1-D
                arr = np.ascontiguousarray(np.asarray(a, dtype=np.float32)).reshape(np.shape(a))
                src = a if isinstance(a, Tensor) else torch.from_numpy(arr)
                if tuple(src.shape) != tuple(t.shape):
                    raise ValueError(
                        f"{type(self).__name__} {self.name!r}: weight {n} has shape {list(t.shape)}, got {list(src.shape)}"
                    )
                t.copy_(src.to(dtype=t.dtype, device=t.device))

    # -- masks ---------------------------------------------------------------------------------

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        """The output mask, as TF.js `computeMask`: passed through when the layer supports masking."""
        if self.supports_masking:
            return mask
        # TF.js's executor (predict, fit) drops the mask at a layer that does not support masks (lstmc warns:
        # LSTM3020); only its nested-model path would throw.
        return None

    def extra_repr(self) -> str:
        keys = ", ".join(f"{k}={v!r}" for k, v in self.config.items() if k not in _GENERIC_KEYS)
        return f"name={self.name!r}" + (f", {keys}" if keys else "")


def _copy_shape(s: Any) -> Any:
    if isinstance(s, (list, tuple)):
        return [_copy_shape(d) for d in s]
    return s


def _single(x: Any, who: str) -> Tensor:
    if isinstance(x, (list, tuple)):
        if len(x) != 1:
            raise ValueError(f"{who} expects one input tensor, got {len(x)}")
        return x[0]
    return x


def _known_last(input_shape: Any, who: str) -> int:
    if input_shape is None or len(input_shape) == 0 or input_shape[-1] is None:
        raise ValueError(f"{who} needs input_shape with a known last dimension, got {input_shape!r}")
    return int(input_shape[-1])


# ---------------------------------------------------------------------------------------------
# Recurrent layers
# ---------------------------------------------------------------------------------------------

_RECURRENT_KEYS = frozenset(
    {
        "units",
        "activation",
        "recurrentActivation",
        "useBias",
        "kernelInitializer",
        "recurrentInitializer",
        "biasInitializer",
        "unitForgetBias",
        "dropout",
        "recurrentDropout",
        "returnSequences",
        "returnState",
        "goBackwards",
        "stateful",
        "unroll",
        "implementation",
    }
)


class _Recurrent(TfjsLayer):
    """The TF.js RNN layer with one cell (tfjs `rnn()` loop semantics, goBackwards, masks)."""

    gates = 1
    n_states = 1
    supports_masking = True
    config_keys = _RECURRENT_KEYS

    def __init__(self, input_shape: Any = None, **config: Any):
        super().__init__(config, input_shape)
        if self._get("stateful", False):
            raise ValueError(f"{type(self).__name__}: stateful RNNs are not supported")
        self.units = int(config["units"])
        self.activation_name = self._get("activation", "tanh")
        self.recurrent_activation_name = self._get("recurrentActivation", "hardSigmoid")
        self.act = activation(self.activation_name)
        self.rec_act = activation(self.recurrent_activation_name)
        self.use_bias = bool(self._get("useBias", True))
        self.dropout = min(1.0, max(0.0, float(self._get("dropout", 0.0))))
        self.recurrent_dropout = min(1.0, max(0.0, float(self._get("recurrentDropout", 0.0))))
        self.return_sequences = bool(self._get("returnSequences", False))
        self.return_state = bool(self._get("returnState", False))
        self.go_backwards = bool(self._get("goBackwards", False))
        features = _known_last(self.input_shape, type(self).__name__)
        gu = self.gates * self.units
        # TF.js cell defaults when the config leaves them out: glorotNormal / orthogonal / zeros.
        self._add_weight("kernel", initialize(self._get("kernelInitializer", "glorotNormal"), [features, gu]))
        self._add_weight(
            "recurrent_kernel", initialize(self._get("recurrentInitializer", "orthogonal"), [self.units, gu])
        )
        if self.use_bias:
            self._add_weight("bias", self._initial_bias())

    def _initial_bias(self) -> Tensor:
        return initialize(self._get("biasInitializer", "zeros"), [self.gates * self.units])

    # Subclasses: one step. x_proj is x_t·kernel (+ bias where the cell adds it to the input part).
    def _step(self, x_proj: Tensor, states: List[Tensor], rec_mask: Optional[Tensor]) -> Tuple[Tensor, List[Tensor]]:
        raise NotImplementedError

    def _project_inputs(self, x: Tensor) -> Tensor:
        raise NotImplementedError

    def _fast(self, x: Tensor, states: List[Tensor]) -> Optional[Tuple[Tensor, List[Tensor]]]:
        """A fused torch kernel computing the same thing, when one exists; None otherwise."""
        return None

    def _dropout_mask(self, like: Tensor, rate: float) -> Optional[Tensor]:
        if not self.training or not (0.0 < rate < 1.0):
            return None
        # One mask per call, the same at every time step (tfjs generateDropoutMask).
        return F.dropout(torch.ones_like(like), rate, True)

    def forward(self, x: Any, initial_state: Optional[Sequence[Tensor]] = None, mask: Optional[Tensor] = None) -> Any:
        if isinstance(x, (list, tuple)):
            if len(x) > 1 and initial_state is None:
                initial_state = list(x[1:])
            x = x[0]
        if x.dim() != 3:
            raise ValueError(f"{type(self).__name__} expects a 3-D input [batch, time, features], got {list(x.shape)}")
        batch = x.shape[0]
        if initial_state is None:
            states = [x.new_zeros(batch, self.units) for _ in range(self.n_states)]
        else:
            states = list(initial_state)
            if len(states) != self.n_states:
                raise ValueError(f"{type(self).__name__} has {self.n_states} state(s) but was passed {len(states)}")
        in_mask = self._dropout_mask(x[:, 0, :], self.dropout)
        rec_mask = self._dropout_mask(states[0], self.recurrent_dropout)
        if in_mask is not None:
            x = x * in_mask.unsqueeze(1)
        if mask is not None:
            mask = mask.to(x.dtype)
            if mask.dim() == 3:
                mask = mask[..., 0]
        if self.go_backwards:
            x = torch.flip(x, [1])
            if mask is not None:
                mask = torch.flip(mask, [1])
        fast = None
        if mask is None and rec_mask is None:
            fast = self._fast(x, states)
        if fast is not None:
            seq, states = fast
            last = seq[:, -1] if seq.shape[1] > 0 else states[0]
        else:
            # unbind, not proj[:, t]: the gradient of T slices would cost T full-size tensors
            proj = self._project_inputs(x).unbind(1)
            steps_mask = mask.unsqueeze(2).unbind(1) if mask is not None else None
            outputs: List[Tensor] = []
            last = states[0]
            for t in range(x.shape[1]):
                out, new_states = self._step(proj[t], states, rec_mask)
                if steps_mask is not None:
                    m = steps_mask[t]
                    out = out * m + states[0] * (1.0 - m)
                    new_states = [n * m + s * (1.0 - m) for n, s in zip(new_states, states)]
                states = new_states
                last = out
                if self.return_sequences:
                    outputs.append(out)
            seq = torch.stack(outputs, 1) if self.return_sequences else None
        output = seq if self.return_sequences else last
        if self.return_state:
            return [output] + list(states)
        return output

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        if isinstance(mask, (list, tuple)):
            mask = mask[0]
        out = mask if self.return_sequences else None
        if self.return_state:
            return [out] + [None] * self.n_states
        return out


class LSTM(_Recurrent):
    """tf.layers.lstm: gates i, f, c, o; kernel [features, 4u], recurrent_kernel [u, 4u], bias [4u]."""

    tfjs_class_name = "LSTM"
    gates = 4
    n_states = 2

    def _initial_bias(self) -> Tensor:
        u = self.units
        init = self._get("biasInitializer", "zeros")
        if self._get("unitForgetBias", False):
            # tfjs CustomInit: [init(u), ones(u), init(2u)]
            return torch.cat([initialize(init, [u]), torch.ones(u), initialize(init, [2 * u])])
        return initialize(init, [4 * u])

    def _project_inputs(self, x: Tensor) -> Tensor:
        return torch.matmul(x, self.kernel)

    def _step(self, x_proj: Tensor, states: List[Tensor], rec_mask: Optional[Tensor]) -> Tuple[Tensor, List[Tensor]]:
        h, c = states
        h_in = h * rec_mask if rec_mask is not None else h
        z = x_proj + torch.matmul(h_in, self.recurrent_kernel)
        if self.use_bias:
            z = z + self.bias
        z0, z1, z2, z3 = torch.chunk(z, 4, dim=-1)
        i = self.rec_act(z0)
        f = self.rec_act(z1)
        c = f * c + i * self.act(z2)
        o = self.rec_act(z3)
        h = o * self.act(c)
        return h, [h, c]

    def _fast(self, x: Tensor, states: List[Tensor]) -> Optional[Tuple[Tensor, List[Tensor]]]:
        if self.activation_name != "tanh" or self.recurrent_activation_name != "sigmoid" or x.shape[1] == 0:
            return None
        # torch's LSTM has the same gate order (i, f, g, o) and equations; W_ih = kernelᵀ, W_hh = recurrent_kernelᵀ.
        params = [self.kernel.t(), self.recurrent_kernel.t()]
        if self.use_bias:
            params += [self.bias, torch.zeros_like(self.bias)]
        h0, c0 = states
        seq, hn, cn = torch.lstm(
            x, (h0.unsqueeze(0), c0.unsqueeze(0)), params, self.use_bias, 1, 0.0, self.training, False, True
        )
        return seq, [hn[0], cn[0]]


class GRU(_Recurrent):
    """A Keras 2 GRU; gates z, r, h; kernel [features, 3u], recurrent_kernel [u, 3u].

    resetAfter true (the Keras 2 default; lstmc's TF.js class GRUResetAfter): the reset gate multiplies the
    recurrent product, bias [2, 3u] (input row, recurrent row). This is torch's GRU (torch.gru, gate order r, z, n)
    when the activations are tanh and sigmoid. resetAfter false: tf.layers.gru as the TF.js cell computes it (the
    reset gate applied to h before the recurrent matmul), bias [3u]."""

    tfjs_class_name = "GRU"
    gates = 3
    n_states = 1
    config_keys = _RECURRENT_KEYS | {"resetAfter"}

    def __init__(self, input_shape: Any = None, **config: Any):
        # The config says resetAfter explicitly (lstmc lowers it); a TF.js GRU config without it is false.
        self.reset_after = bool(config.get("resetAfter", False))
        super().__init__(input_shape, **config)

    def _initial_bias(self) -> Tensor:
        if self.reset_after:
            return initialize(self._get("biasInitializer", "zeros"), [2, 3 * self.units])
        return super()._initial_bias()

    def _project_inputs(self, x: Tensor) -> Tensor:
        p = torch.matmul(x, self.kernel)
        if not self.use_bias:
            return p
        return p + (self.bias[0] if self.reset_after else self.bias)

    def _step(self, x_proj: Tensor, states: List[Tensor], rec_mask: Optional[Tensor]) -> Tuple[Tensor, List[Tensor]]:
        (h,) = states
        if rec_mask is not None:
            h = h * rec_mask  # tfjs and Keras mask h itself (also in the update below)
        u = self.units
        rk = self.recurrent_kernel
        x_z, x_r, x_h = torch.chunk(x_proj, 3, dim=-1)
        if self.reset_after:
            inner = torch.matmul(h, rk)
            if self.use_bias:
                inner = inner + self.bias[1]
            r_z, r_r, r_h = torch.chunk(inner, 3, dim=-1)
            z = self.rec_act(x_z + r_z)
            r = self.rec_act(x_r + r_r)
            hh = self.act(x_h + r * r_h)
        else:
            inner = torch.matmul(h, rk[:, : 2 * u])
            r_z, r_r = torch.chunk(inner, 2, dim=-1)
            z = self.rec_act(x_z + r_z)
            r = self.rec_act(x_r + r_r)
            hh = self.act(x_h + torch.matmul(r * h, rk[:, 2 * u :]))
        h = z * h + (1.0 - z) * hh
        return h, [h]

    @staticmethod
    def _torch_order(w: Tensor) -> Tensor:
        """Keras gate blocks z, r, h along the last axis -> torch's r, z, n."""
        z, r, h = torch.chunk(w, 3, dim=-1)
        return torch.cat([r, z, h], dim=-1)

    def _fast(self, x: Tensor, states: List[Tensor]) -> Optional[Tuple[Tensor, List[Tensor]]]:
        if not self.reset_after or x.shape[1] == 0:
            return None
        if self.activation_name != "tanh" or self.recurrent_activation_name != "sigmoid":
            return None
        # torch.gru is the reset-after GRU: W_ih = kernelᵀ and W_hh = recurrent_kernelᵀ in torch's gate order.
        params = [self._torch_order(self.kernel).t(), self._torch_order(self.recurrent_kernel).t()]
        if self.use_bias:
            params += [self._torch_order(self.bias[0]), self._torch_order(self.bias[1])]
        seq, hn = torch.gru(x, states[0].unsqueeze(0), params, self.use_bias, 1, 0.0, self.training, False, True)
        return seq, [hn[0]]


class SimpleRNN(_Recurrent):
    """tf.layers.simpleRNN: h = activation(x·kernel + bias + h·recurrent_kernel)."""

    tfjs_class_name = "SimpleRNN"
    gates = 1
    n_states = 1
    config_keys = _RECURRENT_KEYS - {"recurrentActivation", "unitForgetBias"}

    def _project_inputs(self, x: Tensor) -> Tensor:
        p = torch.matmul(x, self.kernel)
        return p + self.bias if self.use_bias else p

    def _step(self, x_proj: Tensor, states: List[Tensor], rec_mask: Optional[Tensor]) -> Tuple[Tensor, List[Tensor]]:
        (h,) = states
        if rec_mask is not None:
            h = h * rec_mask
        out = self.act(x_proj + torch.matmul(h, self.recurrent_kernel))
        return out, [out]

    def _fast(self, x: Tensor, states: List[Tensor]) -> Optional[Tuple[Tensor, List[Tensor]]]:
        if self.activation_name not in ("tanh", "relu") or x.shape[1] == 0:
            return None
        fn = torch.rnn_tanh if self.activation_name == "tanh" else torch.rnn_relu
        params = [self.kernel.t(), self.recurrent_kernel.t()]
        if self.use_bias:
            params += [self.bias, torch.zeros_like(self.bias)]
        seq, hn = fn(x, states[0].unsqueeze(0), params, self.use_bias, 1, 0.0, self.training, False, True)
        return seq, [hn[0]]


# ---------------------------------------------------------------------------------------------
# Wrappers
# ---------------------------------------------------------------------------------------------


class Bidirectional(TfjsLayer):
    """tf.layers.bidirectional: the inner layer forwards, a copy with goBackwards flipped backwards;
    the backward sequence is reversed back before merging; states are forward ones then backward ones."""

    tfjs_class_name = "Bidirectional"
    config_keys = frozenset({"mergeMode"})
    supports_masking = True

    def __init__(self, layer: _Recurrent, input_shape: Any = None, **config: Any):
        super().__init__(config, input_shape)
        if not isinstance(layer, _Recurrent):
            raise TypeError(f"Bidirectional wraps a recurrent layer (LSTM, GRU, SimpleRNN), got {type(layer).__name__}")
        merge = config.get("mergeMode", "concat")
        if merge not in ("concat", "sum", "mul", "ave", None):
            raise ValueError(f"Bidirectional: unknown mergeMode {merge!r}")
        self.merge_mode = merge
        inner_name = layer.name
        back_config = dict(layer.config)
        back_config["goBackwards"] = not bool(layer.config.get("goBackwards", False))
        back_config["name"] = "backward_" + inner_name
        shape = layer.input_shape if layer.input_shape is not None else self.input_shape
        self.forward_layer = layer
        self.forward_layer.name = "forward_" + inner_name
        self.backward_layer = type(layer)(input_shape=shape, **back_config)
        self.return_sequences = layer.return_sequences
        self.return_state = layer.return_state

    def forward(self, x: Any, initial_state: Optional[Sequence[Tensor]] = None, mask: Optional[Tensor] = None) -> Any:
        if isinstance(x, (list, tuple)):
            if len(x) > 1 and initial_state is None:
                initial_state = list(x[1:])
            x = x[0]
        if initial_state is not None and len(initial_state) > 0:
            if len(initial_state) % 2:
                raise ValueError("Bidirectional: initial_state needs the forward states then the backward ones")
            half = len(initial_state) // 2
            y = self.forward_layer(x, list(initial_state[:half]), mask=mask)
            y_rev = self.backward_layer(x, list(initial_state[half:]), mask=mask)
        else:
            y = self.forward_layer(x, mask=mask)
            y_rev = self.backward_layer(x, mask=mask)
        states: List[Tensor] = []
        if self.return_state:
            states = list(y[1:]) + list(y_rev[1:])
            y, y_rev = y[0], y_rev[0]
        if self.return_sequences:
            y_rev = torch.flip(y_rev, [1])
        if self.merge_mode == "concat":
            out: Any = torch.cat([y, y_rev], dim=-1)
        elif self.merge_mode == "sum":
            out = y + y_rev
        elif self.merge_mode == "ave":
            out = 0.5 * (y + y_rev)
        elif self.merge_mode == "mul":
            out = y * y_rev
        else:
            out = [y, y_rev]
        if self.return_state:
            return (out if isinstance(out, list) else [out]) + states
        return out

    def _weight_tensors(self) -> List[Tuple[str, Tensor]]:
        fw = [(f"{self.forward_layer.name}/{n}", t) for n, t in self.forward_layer._weight_tensors()]
        bw = [(f"{self.backward_layer.name}/{n}", t) for n, t in self.backward_layer._weight_tensors()]
        return fw + bw

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        if isinstance(mask, (list, tuple)):
            mask = mask[0]
        out: Any = (mask if self.merge_mode is not None else [mask, mask]) if self.return_sequences else None
        if self.return_state:
            n = 2 * self.forward_layer.n_states
            return (out if isinstance(out, list) else [out]) + [None] * n
        return out


class TimeDistributed(TfjsLayer):
    """tf.layers.timeDistributed: the inner layer applied to every time step with the same weights."""

    tfjs_class_name = "TimeDistributed"
    config_keys = frozenset()
    supports_masking = True

    def __init__(self, layer: TfjsLayer, input_shape: Any = None, **config: Any):
        super().__init__(config, input_shape)
        self.layer = layer

    def forward(self, x: Any, initial_state: Any = None) -> Tensor:
        x = _single(x, "TimeDistributed")
        b, t = x.shape[0], x.shape[1]
        if self.training and isinstance(self.layer, BatchNormalization):
            # TF.js calls the inner layer once per step: per-step batch statistics and moving-average updates.
            return torch.stack([self.layer(step) for step in x.unbind(1)], 1)
        y = self.layer(x.reshape((b * t,) + tuple(x.shape[2:])))
        if isinstance(y, (list, tuple)):
            raise ValueError("TimeDistributed: the inner layer must return one tensor (returnState: false)")
        return y.reshape((b, t) + tuple(y.shape[1:]))

    def _weight_tensors(self) -> List[Tuple[str, Tensor]]:
        # TF.js builds the inner layer in the wrapper's name scope: names are the inner layer's own.
        return self.layer._weight_tensors()


# ---------------------------------------------------------------------------------------------
# Core layers
# ---------------------------------------------------------------------------------------------


class Dense(TfjsLayer):
    """tf.layers.dense: activation(x·kernel + bias) on the last axis; kernel [features, units]."""

    tfjs_class_name = "Dense"
    config_keys = frozenset({"units", "activation", "useBias", "kernelInitializer", "biasInitializer"})
    supports_masking = True

    def __init__(self, input_shape: Any = None, **config: Any):
        super().__init__(config, input_shape)
        self.units = int(config["units"])
        self.act = activation(config.get("activation"))
        self.use_bias = bool(self._get("useBias", True))
        features = _known_last(self.input_shape, "Dense")
        self._add_weight("kernel", initialize(self._get("kernelInitializer", "glorotNormal"), [features, self.units]))
        if self.use_bias:
            self._add_weight("bias", initialize(self._get("biasInitializer", "zeros"), [self.units]))

    def forward(self, x: Any, initial_state: Any = None) -> Tensor:
        x = _single(x, "Dense")
        y = torch.matmul(x, self.kernel)
        if self.use_bias:
            y = y + self.bias
        return self.act(y)


class Dropout(TfjsLayer):
    """tf.layers.dropout: drops a fraction `rate` and scales by 1/(1-rate) while training; identity otherwise."""

    tfjs_class_name = "Dropout"
    config_keys = frozenset({"rate", "seed", "noiseShape"})
    supports_masking = True

    def __init__(self, input_shape: Any = None, **config: Any):
        super().__init__(config, input_shape)
        self.rate = min(1.0, max(0.0, float(config["rate"])))
        self.noise_shape = config.get("noiseShape")

    def forward(self, x: Any, initial_state: Any = None) -> Tensor:
        x = _single(x, "Dropout")
        if not self.training or not (0.0 < self.rate < 1.0):
            return x
        if self.noise_shape is None:
            return F.dropout(x, self.rate, True)
        shape = [x.shape[i] if d is None else int(d) for i, d in enumerate(self.noise_shape)]
        return x * F.dropout(x.new_ones(shape), self.rate, True)


class Masking(TfjsLayer):
    """tf.layers.masking: a step whose features all equal `maskValue` is masked (zeroed, and its mask is False)."""

    tfjs_class_name = "Masking"
    config_keys = frozenset({"maskValue"})
    supports_masking = True

    def __init__(self, input_shape: Any = None, **config: Any):
        super().__init__(config, input_shape)
        self.mask_value = float(self._get("maskValue", 0.0))

    def forward(self, x: Any, initial_state: Any = None) -> Tensor:
        x = _single(x, "Masking")
        keep = torch.any(x != self.mask_value, dim=-1, keepdim=True)
        return x * keep.to(x.dtype)

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        return torch.any(_single(inputs, "Masking") != self.mask_value, dim=-1)


class GaussianNoise(TfjsLayer):
    """tf.layers.gaussianNoise: adds N(0, stddev²) noise while training; identity otherwise."""

    tfjs_class_name = "GaussianNoise"
    config_keys = frozenset({"stddev", "seed"})
    supports_masking = True

    def __init__(self, input_shape: Any = None, **config: Any):
        super().__init__(config, input_shape)
        self.stddev = float(config["stddev"])

    def forward(self, x: Any, initial_state: Any = None) -> Tensor:
        x = _single(x, "GaussianNoise")
        if not self.training:
            return x
        return x + torch.randn_like(x) * self.stddev


class Activation(TfjsLayer):
    tfjs_class_name = "Activation"
    config_keys = frozenset({"activation"})
    supports_masking = True

    def __init__(self, input_shape: Any = None, **config: Any):
        super().__init__(config, input_shape)
        self.act = activation(config["activation"])

    def forward(self, x: Any, initial_state: Any = None) -> Tensor:
        return self.act(_single(x, "Activation"))


class Flatten(TfjsLayer):
    tfjs_class_name = "Flatten"
    config_keys = frozenset({"dataFormat"})

    def __init__(self, input_shape: Any = None, **config: Any):
        super().__init__(config, input_shape)
        if self._get("dataFormat", "channelsLast") != "channelsLast":
            raise ValueError("Flatten: only channelsLast is supported")

    def forward(self, x: Any, initial_state: Any = None) -> Tensor:
        x = _single(x, "Flatten")
        return x.reshape(x.shape[0], -1)


class Reshape(TfjsLayer):
    tfjs_class_name = "Reshape"
    config_keys = frozenset({"targetShape"})

    def __init__(self, input_shape: Any = None, **config: Any):
        super().__init__(config, input_shape)
        self.target_shape = [int(d) for d in config["targetShape"]]

    def forward(self, x: Any, initial_state: Any = None) -> Tensor:
        x = _single(x, "Reshape")
        return x.reshape([x.shape[0]] + self.target_shape)


class RepeatVector(TfjsLayer):
    tfjs_class_name = "RepeatVector"
    config_keys = frozenset({"n"})

    def __init__(self, input_shape: Any = None, **config: Any):
        super().__init__(config, input_shape)
        self.n = int(config["n"])

    def forward(self, x: Any, initial_state: Any = None) -> Tensor:
        x = _single(x, "RepeatVector")
        return x.unsqueeze(1).repeat(1, self.n, 1)


class Permute(TfjsLayer):
    tfjs_class_name = "Permute"
    config_keys = frozenset({"dims"})

    def __init__(self, input_shape: Any = None, **config: Any):
        super().__init__(config, input_shape)
        self.dims = [int(d) for d in config["dims"]]
        if sorted(self.dims) != list(range(1, len(self.dims) + 1)):
            raise ValueError(f"Permute: dims must be a permutation of 1..{len(self.dims)}, got {self.dims}")

    def forward(self, x: Any, initial_state: Any = None) -> Tensor:
        return _single(x, "Permute").permute([0] + self.dims)


class Embedding(TfjsLayer):
    """tf.layers.embedding: integer indices (cast as TF.js casts them, truncating) to rows of `embeddings`."""

    tfjs_class_name = "Embedding"
    config_keys = frozenset({"inputDim", "outputDim", "embeddingsInitializer", "maskZero", "inputLength"})

    def __init__(self, input_shape: Any = None, **config: Any):
        super().__init__(config, input_shape)
        self.input_dim = int(config["inputDim"])
        self.output_dim = int(config["outputDim"])
        self.mask_zero = bool(self._get("maskZero", False))
        self._add_weight(
            "embeddings",
            initialize(self._get("embeddingsInitializer", "randomUniform"), [self.input_dim, self.output_dim]),
        )

    def forward(self, x: Any, initial_state: Any = None) -> Tensor:
        x = _single(x, "Embedding")
        idx = x if not torch.is_floating_point(x) else x.to(torch.int64)
        return F.embedding(idx.to(torch.int64), self.embeddings)

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        if not self.mask_zero:
            return None
        return _single(inputs, "Embedding") != 0


# ---------------------------------------------------------------------------------------------
# Convolution and pooling (channels-last; TF `same` padding puts the odd pixel at the end)
# ---------------------------------------------------------------------------------------------


def _same_pads(length: int, size: int, stride: int, dilation: int) -> Tuple[int, int]:
    effective = (size - 1) * dilation + 1
    out = -(-length // stride)
    total = max((out - 1) * stride + effective - length, 0)
    return total // 2, total - total // 2


def _pad_spatial(x: Tensor, pads: List[Tuple[int, int]], value: float) -> Tensor:
    """x is channels-first [B, C, *spatial]; pads per spatial axis (before, after)."""
    if all(p == (0, 0) for p in pads):
        return x
    flat: List[int] = []
    for before, after in reversed(pads):
        flat += [before, after]
    return F.pad(x, flat, mode="constant", value=value)


class _Conv(TfjsLayer):
    rank = 1
    config_keys = frozenset(
        {
            "filters",
            "kernelSize",
            "strides",
            "padding",
            "dilationRate",
            "activation",
            "useBias",
            "kernelInitializer",
            "biasInitializer",
            "dataFormat",
        }
    )

    def __init__(self, input_shape: Any = None, **config: Any):
        super().__init__(config, input_shape)
        r = self.rank
        if self._get("dataFormat", "channelsLast") != "channelsLast":
            raise ValueError(f"{type(self).__name__}: only channelsLast is supported")
        self.filters = int(config["filters"])
        self.kernel_size = _int_list(config["kernelSize"], r, "kernelSize")
        self.strides = _int_list(self._get("strides", 1), r, "strides")
        self.dilation = _int_list(self._get("dilationRate", 1), r, "dilationRate")
        self.padding = self._get("padding", "valid")
        if self.padding not in ("valid", "same") and not (self.padding == "causal" and r == 1):
            raise ValueError(f"{type(self).__name__}: padding {self.padding!r} is not supported by TF.js")
        self.act = activation(config.get("activation"))
        self.use_bias = bool(self._get("useBias", True))
        channels = _known_last(self.input_shape, type(self).__name__)
        self._add_weight(
            "kernel",
            initialize(self._get("kernelInitializer", "glorotNormal"), self.kernel_size + [channels, self.filters]),
        )
        if self.use_bias:
            self._add_weight("bias", initialize(self._get("biasInitializer", "zeros"), [self.filters]))

    def forward(self, x: Any, initial_state: Any = None) -> Tensor:
        x = _single(x, type(self).__name__)
        r = self.rank
        xc = x.movedim(-1, 1)  # [B, C, *spatial]
        if self.padding == "same":
            pads = [
                _same_pads(xc.shape[2 + i], self.kernel_size[i], self.strides[i], self.dilation[i]) for i in range(r)
            ]
            xc = _pad_spatial(xc, pads, 0.0)
        elif self.padding == "causal":
            # Keras causal (lstmc's CausalConv1D): (kernelSize - 1)·dilation zeros before the first step only
            xc = _pad_spatial(xc, [((self.kernel_size[0] - 1) * self.dilation[0], 0)], 0.0)
        # TF.js kernel [*k, in, out] -> torch weight [out, in, *k]
        weight = self.kernel.permute([r + 1, r] + list(range(r)))
        conv = (F.conv1d, F.conv2d, F.conv3d)[r - 1]
        y = conv(xc, weight, None, self.strides, 0, self.dilation)
        y = y.movedim(1, -1)
        if self.use_bias:
            y = y + self.bias
        return self.act(y)


class Conv1D(_Conv):
    """tf.layers.conv1d: kernel [kernelSize, channels, filters]."""

    tfjs_class_name = "Conv1D"
    rank = 1


class Conv2D(_Conv):
    """tf.layers.conv2d: kernel [rows, cols, channels, filters]."""

    tfjs_class_name = "Conv2D"
    rank = 2


class _Pool(TfjsLayer):
    rank = 1
    kind = "max"
    config_keys = frozenset({"poolSize", "strides", "padding", "dataFormat"})

    def __init__(self, input_shape: Any = None, **config: Any):
        super().__init__(config, input_shape)
        r = self.rank
        if self._get("dataFormat", "channelsLast") != "channelsLast":
            raise ValueError(f"{type(self).__name__}: only channelsLast is supported")
        self.pool_size = _int_list(self._get("poolSize", 2), r, "poolSize")
        strides = config.get("strides")
        self.strides = list(self.pool_size) if strides is None else _int_list(strides, r, "strides")
        self.padding = self._get("padding", "valid")
        if self.padding not in ("valid", "same"):
            raise ValueError(f"{type(self).__name__}: padding {self.padding!r} is not supported")

    def forward(self, x: Any, initial_state: Any = None) -> Tensor:
        x = _single(x, type(self).__name__)
        r = self.rank
        xc = x.movedim(-1, 1)
        pads = [(0, 0)] * r
        if self.padding == "same":
            pads = [_same_pads(xc.shape[2 + i], self.pool_size[i], self.strides[i], 1) for i in range(r)]
        if self.kind == "max":
            pool = (F.max_pool1d, F.max_pool2d, F.max_pool3d)[r - 1]
            y = pool(_pad_spatial(xc, pads, -math.inf), self.pool_size, self.strides)
        else:
            pool = (F.avg_pool1d, F.avg_pool2d, F.avg_pool3d)[r - 1]
            if all(p == (0, 0) for p in pads):
                y = pool(xc, self.pool_size, self.strides)
            else:
                # TF averages over the window's elements inside the input only.
                total = pool(_pad_spatial(xc, pads, 0.0), self.pool_size, self.strides)
                ones = xc.new_ones((1, 1) + tuple(xc.shape[2:]))
                count = pool(_pad_spatial(ones, pads, 0.0), self.pool_size, self.strides)
                y = total / count
        return y.movedim(1, -1)


class MaxPooling1D(_Pool):
    tfjs_class_name = "MaxPooling1D"
    rank = 1
    kind = "max"


class MaxPooling2D(_Pool):
    tfjs_class_name = "MaxPooling2D"
    rank = 2
    kind = "max"


class AveragePooling1D(_Pool):
    tfjs_class_name = "AveragePooling1D"
    rank = 1
    kind = "avg"


class AveragePooling2D(_Pool):
    tfjs_class_name = "AveragePooling2D"
    rank = 2
    kind = "avg"


class _GlobalPool(TfjsLayer):
    rank = 1
    kind = "max"
    config_keys = frozenset({"dataFormat"})

    def __init__(self, input_shape: Any = None, **config: Any):
        super().__init__(config, input_shape)
        if self._get("dataFormat", "channelsLast") != "channelsLast":
            raise ValueError(f"{type(self).__name__}: only channelsLast is supported")

    def forward(self, x: Any, initial_state: Any = None) -> Tensor:
        x = _single(x, type(self).__name__)
        dims = list(range(1, 1 + self.rank))
        if self.kind == "max":
            return torch.amax(x, dim=dims)
        return torch.mean(x, dim=dims)


class GlobalMaxPooling1D(_GlobalPool):
    tfjs_class_name = "GlobalMaxPooling1D"
    rank = 1
    kind = "max"


class GlobalAveragePooling1D(_GlobalPool):
    tfjs_class_name = "GlobalAveragePooling1D"
    rank = 1
    kind = "avg"


class GlobalMaxPooling2D(_GlobalPool):
    tfjs_class_name = "GlobalMaxPooling2D"
    rank = 2
    kind = "max"


class GlobalAveragePooling2D(_GlobalPool):
    tfjs_class_name = "GlobalAveragePooling2D"
    rank = 2
    kind = "avg"


# ---------------------------------------------------------------------------------------------
# Normalization
# ---------------------------------------------------------------------------------------------


def _normalize(x: Tensor, mean: Tensor, var: Tensor, beta: Optional[Tensor], gamma: Optional[Tensor], eps: float) -> Tensor:
    # tf.batchNorm: offset + (x - mean) * scale / sqrt(variance + epsilon)
    y = (x - mean) * torch.rsqrt(var + eps)
    if gamma is not None:
        y = y * gamma
    if beta is not None:
        y = y + beta
    return y


class BatchNormalization(TfjsLayer):
    """tf.layers.batchNormalization: batch statistics (biased variance) while training, with the Keras
    moving average moving = moving·momentum + batch·(1 − momentum); moving statistics at inference.
    Weights: gamma, beta (trainable), moving_mean, moving_variance (non-trainable).

    TF.js quirk, mirrored: when `axis` is not the last axis, TF.js's batchNorm kernels (cpu and wasm)
    apply the per-feature statistics and gamma/beta cyclically over the flattened input, i.e. as if the
    features were on the last axis of x reshaped to [-1, features], instead of along `axis`. The
    statistics themselves (and the moving averages) are computed along `axis`. This class computes
    the same numbers, so weights move between the engines with identical predictions.
    """

    tfjs_class_name = "BatchNormalization"
    config_keys = frozenset(
        {
            "axis",
            "momentum",
            "epsilon",
            "center",
            "scale",
            "betaInitializer",
            "gammaInitializer",
            "movingMeanInitializer",
            "movingVarianceInitializer",
        }
    )
    supports_masking = True

    def __init__(self, input_shape: Any = None, **config: Any):
        super().__init__(config, input_shape)
        self.axis = int(self._get("axis", -1))
        self.momentum = float(self._get("momentum", 0.99))
        self.epsilon = float(self._get("epsilon", 1e-3))
        self.center = bool(self._get("center", True))
        self.scale = bool(self._get("scale", True))
        if self.input_shape is None:
            raise ValueError("BatchNormalization needs input_shape")
        ndim = len(self.input_shape) + 1
        axis = self.axis if self.axis >= 0 else self.axis + ndim
        if not (1 <= axis < ndim) or self.input_shape[axis - 1] is None:
            raise ValueError(f"BatchNormalization: axis {self.axis} is not a known dimension of {self.input_shape}")
        dim = int(self.input_shape[axis - 1])
        if self.scale:
            self._add_weight("gamma", initialize(self._get("gammaInitializer", "ones"), [dim]))
        if self.center:
            self._add_weight("beta", initialize(self._get("betaInitializer", "zeros"), [dim]))
        self._add_weight("moving_mean", initialize(self._get("movingMeanInitializer", "zeros"), [dim]), trainable=False)
        self._add_weight(
            "moving_variance", initialize(self._get("movingVarianceInitializer", "ones"), [dim]), trainable=False
        )

    def forward(self, x: Any, initial_state: Any = None) -> Tensor:
        x = _single(x, "BatchNormalization")
        ndim = x.dim()
        axis = self.axis if self.axis >= 0 else self.axis + ndim
        features = x.shape[axis]
        gamma = self.gamma if self.scale else None
        beta = self.beta if self.center else None
        if self.training:
            reduce = [d for d in range(ndim) if d != axis]
            shape = [1] * ndim
            shape[axis] = features
            mean = torch.mean(x, dim=reduce)
            var = torch.mean(torch.square(x - mean.reshape(shape)), dim=reduce)
            with torch.no_grad():
                decay = 1.0 - self.momentum
                self.moving_mean.sub_((self.moving_mean - mean.detach()) * decay)
                self.moving_variance.sub_((self.moving_variance - var.detach()) * decay)
        else:
            mean, var = self.moving_mean, self.moving_variance
        # Along the last axis this is ordinary broadcasting; along another axis it is TF.js's cyclic
        # application over the flattened input (see the class docstring).
        flat = x.reshape(-1, features)
        return _normalize(flat, mean, var, beta, gamma, self.epsilon).reshape(x.shape)


class LayerNormalization(TfjsLayer):
    """tf.layers.layerNormalization: per example, over `axis` (biased variance); weights gamma, beta."""

    tfjs_class_name = "LayerNormalization"
    config_keys = frozenset({"axis", "epsilon", "center", "scale", "betaInitializer", "gammaInitializer"})
    supports_masking = True

    def __init__(self, input_shape: Any = None, **config: Any):
        super().__init__(config, input_shape)
        axis = self._get("axis", -1)
        self.axes_config = list(axis) if isinstance(axis, (list, tuple)) else [int(axis)]
        self.epsilon = float(self._get("epsilon", 1e-3))
        self.center = bool(self._get("center", True))
        self.scale = bool(self._get("scale", True))
        if self.input_shape is None:
            raise ValueError("LayerNormalization needs input_shape")
        ndim = len(self.input_shape) + 1
        self.axes = sorted({a if a >= 0 else a + ndim for a in self.axes_config})
        if any(not (1 <= a < ndim) or self.input_shape[a - 1] is None for a in self.axes):
            raise ValueError(f"LayerNormalization: axis {axis} is not a known dimension of {self.input_shape}")
        param_shape = [int(self.input_shape[a - 1]) for a in self.axes]
        if self.scale:
            self._add_weight("gamma", initialize(self._get("gammaInitializer", "ones"), param_shape))
        if self.center:
            self._add_weight("beta", initialize(self._get("betaInitializer", "zeros"), param_shape))

    def forward(self, x: Any, initial_state: Any = None) -> Tensor:
        x = _single(x, "LayerNormalization")
        ndim = x.dim()
        shape = [1] * ndim
        for a in self.axes:
            shape[a] = x.shape[a]
        mean = torch.mean(x, dim=self.axes, keepdim=True)
        var = torch.mean(torch.square(x - mean), dim=self.axes, keepdim=True)
        gamma = self.gamma.reshape(shape) if self.scale else None
        beta = self.beta.reshape(shape) if self.center else None
        return _normalize(x, mean, var, beta, gamma, self.epsilon)


# ---------------------------------------------------------------------------------------------
# Merges
# ---------------------------------------------------------------------------------------------


class _Merge(TfjsLayer):
    config_keys = frozenset()
    supports_masking = True

    def __init__(self, input_shape: Any = None, **config: Any):
        super().__init__(config, input_shape)

    def _inputs(self, x: Any) -> List[Tensor]:
        if not isinstance(x, (list, tuple)) or len(x) < 2:
            raise ValueError(f"{type(self).__name__} expects a list of at least 2 tensors")
        return list(x)

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        # Keras semantics (an element is kept when every input keeps it).
        if mask is None or all(m is None for m in mask):
            return None
        out = None
        for m in mask:
            if m is not None:
                out = m if out is None else torch.logical_and(out, m)
        return out


class Add(_Merge):
    tfjs_class_name = "Add"

    def forward(self, x: Any, initial_state: Any = None) -> Tensor:
        xs = self._inputs(x)
        out = xs[0]
        for t in xs[1:]:
            out = out + t
        return out


class Multiply(_Merge):
    tfjs_class_name = "Multiply"

    def forward(self, x: Any, initial_state: Any = None) -> Tensor:
        xs = self._inputs(x)
        out = xs[0]
        for t in xs[1:]:
            out = out * t
        return out


class Average(_Merge):
    tfjs_class_name = "Average"

    def forward(self, x: Any, initial_state: Any = None) -> Tensor:
        xs = self._inputs(x)
        out = xs[0]
        for t in xs[1:]:
            out = out + t
        return out * (1.0 / len(xs))


class Concatenate(_Merge):
    """tf.layers.concatenate along `axis` (Keras axes: the batch is 0, -1 is the last)."""

    tfjs_class_name = "Concatenate"
    config_keys = frozenset({"axis"})

    def __init__(self, input_shape: Any = None, **config: Any):
        super().__init__(input_shape, **config)
        self.axis = int(self._get("axis", -1))

    def forward(self, x: Any, initial_state: Any = None) -> Tensor:
        return torch.cat(self._inputs(x), dim=self.axis)

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        if mask is None or all(m is None for m in mask):
            return None
        xs = self._inputs(inputs)
        full = []
        for t, m in zip(xs, mask):
            if m is None:
                m = torch.ones(t.shape, dtype=torch.bool, device=t.device)
            elif m.dim() < t.dim():
                m = m.unsqueeze(-1).expand(t.shape)
            full.append(m)
        return torch.all(torch.cat(full, dim=self.axis), dim=-1)


# ---------------------------------------------------------------------------------------------
# Registry
# ---------------------------------------------------------------------------------------------

LAYER_CLASSES: Dict[str, type] = {
    cls.tfjs_class_name: cls
    for cls in [
        LSTM,
        GRU,
        SimpleRNN,
        Bidirectional,
        TimeDistributed,
        Dense,
        Dropout,
        Masking,
        GaussianNoise,
        Flatten,
        Reshape,
        RepeatVector,
        Permute,
        Activation,
        Embedding,
        Conv1D,
        Conv2D,
        MaxPooling1D,
        MaxPooling2D,
        AveragePooling1D,
        AveragePooling2D,
        GlobalMaxPooling1D,
        GlobalAveragePooling1D,
        GlobalMaxPooling2D,
        GlobalAveragePooling2D,
        BatchNormalization,
        LayerNormalization,
        Concatenate,
        Add,
        Multiply,
        Average,
    ]
}


def build_layer(class_name: str, config: Dict[str, Any], input_shape: Any = None, layer: Optional[TfjsLayer] = None) -> TfjsLayer:
    """The support class `class_name` built with a TF.js config (and the wrapped layer, for wrappers)."""
    if class_name not in LAYER_CLASSES:
        raise ValueError(f"Unknown layer class {class_name!r}")
    cls = LAYER_CLASSES[class_name]
    if layer is not None:
        return cls(layer=layer, input_shape=input_shape, **config)
    return cls(input_shape=input_shape, **config)


# ---------------------------------------------------------------------------------------------
# 3-D convolution and pooling, convolutional LSTM (issue 11)
# ---------------------------------------------------------------------------------------------


class Conv3D(_Conv):
    """tf.layers.conv3d: kernel [depth, rows, cols, channels, filters]; TF `same` padding per axis."""

    tfjs_class_name = "Conv3D"
    rank = 3


class MaxPooling3D(_Pool):
    """tf.layers.maxPooling3d: the maximum over [poolSize] windows; `same` pads with -inf (as TF)."""

    tfjs_class_name = "MaxPooling3D"
    rank = 3
    kind = "max"


class ConvLSTM2D(_Recurrent):
    """tf.layers.convLstm2d: an LSTM over frames [batch, time, rows, cols, channels] whose input and
    recurrent transformations are 2-D convolutions. Gates i, f, c, o (Keras order) are blocks of
    `filters` output channels; kernel [kh, kw, channels, 4f], recurrent_kernel [kh, kw, f, 4f] (stride 1,
    `same` padding), bias [4f]. States h and c are [batch, rows', cols', filters]. Channels-last only."""

    tfjs_class_name = "ConvLSTM2D"
    gates = 4
    n_states = 2
    config_keys = (_RECURRENT_KEYS - {"units"}) | {
        "filters",
        "kernelSize",
        "strides",
        "padding",
        "dilationRate",
        "dataFormat",
    }

    def __init__(self, input_shape: Any = None, **config: Any):
        # Not _Recurrent.__init__: the weights are convolution kernels, not [features, 4u] matrices.
        TfjsLayer.__init__(self, config, input_shape)
        if self._get("stateful", False):
            raise ValueError("ConvLSTM2D: stateful RNNs are not supported")
        if self._get("dataFormat", "channelsLast") != "channelsLast":
            raise ValueError("ConvLSTM2D: only channelsLast is supported")
        self.filters = int(config["filters"])
        self.units = self.filters
        self.kernel_size = _int_list(config["kernelSize"], 2, "kernelSize")
        self.strides = _int_list(self._get("strides", 1), 2, "strides")
        self.dilation = _int_list(self._get("dilationRate", 1), 2, "dilationRate")
        self.padding = self._get("padding", "valid")
        if self.padding not in ("valid", "same"):
            raise ValueError(f"ConvLSTM2D: padding {self.padding!r} is not supported by TF.js")
        self.activation_name = self._get("activation", "tanh")
        self.recurrent_activation_name = self._get("recurrentActivation", "hardSigmoid")
        self.act = activation(self.activation_name)
        self.rec_act = activation(self.recurrent_activation_name)
        self.use_bias = bool(self._get("useBias", True))
        self.dropout = min(1.0, max(0.0, float(self._get("dropout", 0.0))))
        self.recurrent_dropout = min(1.0, max(0.0, float(self._get("recurrentDropout", 0.0))))
        self.return_sequences = bool(self._get("returnSequences", False))
        self.return_state = bool(self._get("returnState", False))
        self.go_backwards = bool(self._get("goBackwards", False))
        channels = _known_last(self.input_shape, "ConvLSTM2D")
        f4 = 4 * self.filters
        self._add_weight(
            "kernel", initialize(self._get("kernelInitializer", "glorotUniform"), self.kernel_size + [channels, f4])
        )
        self._add_weight(
            "recurrent_kernel",
            initialize(self._get("recurrentInitializer", "orthogonal"), self.kernel_size + [self.filters, f4]),
        )
        if self.use_bias:
            self._add_weight("bias", self._initial_bias())

    def _initial_bias(self) -> Tensor:
        f = self.filters
        init = self._get("biasInitializer", "zeros")
        if self._get("unitForgetBias", False):
            return torch.cat([initialize(init, [f]), torch.ones(f), initialize(init, [2 * f])])
        return initialize(init, [4 * f])

    def _gate_masks(self, like: Tensor, rate: float) -> Optional[List[Tensor]]:
        """TF.js makes one dropout mask per gate (count 4), the same at every step."""
        if not self.training or not (0.0 < rate < 1.0):
            return None
        return [F.dropout(torch.ones_like(like), rate, True) for _ in range(4)]

    def forward(self, x: Any, initial_state: Optional[Sequence[Tensor]] = None, mask: Optional[Tensor] = None) -> Any:
        if isinstance(x, (list, tuple)):
            if len(x) > 1 and initial_state is None:
                initial_state = list(x[1:])
            x = x[0]
        if x.dim() != 5:
            raise ValueError(f"ConvLSTM2D expects a 5-D input [batch, time, rows, cols, channels], got {list(x.shape)}")
        b, t = x.shape[0], x.shape[1]
        f = self.filters
        frames = x.movedim(-1, 2)  # [B, T, C, H, W]
        if self.go_backwards:
            frames = torch.flip(frames, [1])
            if mask is not None:
                mask = torch.flip(mask, [1])
        if self.padding == "same":
            pads = [
                _same_pads(frames.shape[3 + i], self.kernel_size[i], self.strides[i], self.dilation[i]) for i in range(2)
            ]
        else:
            pads = [(0, 0), (0, 0)]
        k = self.kernel.permute(3, 2, 0, 1)  # [4f, C, kh, kw]
        rk = self.recurrent_kernel.permute(3, 2, 0, 1)  # [4f, f, kh, kw]
        bias = self.bias.view(1, 4 * f, 1, 1) if self.use_bias else None
        in_masks = self._gate_masks(frames[:, 0], self.dropout)
        if in_masks is None:
            flat = _pad_spatial(frames.reshape((b * t,) + tuple(frames.shape[2:])), pads, 0.0)
            z = F.conv2d(flat, k, None, self.strides, 0, self.dilation)
            zx = z.reshape((b, t) + tuple(z.shape[1:])).unbind(1)
        else:
            # one convolution per gate, each on its own dropped-out copy of the frame
            per_gate = []
            for g in range(4):
                dropped = frames * in_masks[g].unsqueeze(1)
                flat = _pad_spatial(dropped.reshape((b * t,) + tuple(frames.shape[2:])), pads, 0.0)
                z = F.conv2d(flat, k[g * f : (g + 1) * f], None, self.strides, 0, self.dilation)
                per_gate.append(z.reshape((b, t) + tuple(z.shape[1:])))
            zx = torch.cat(per_gate, 2).unbind(1)
        if initial_state is None:
            if t == 0:
                raise ValueError("ConvLSTM2D needs at least one time step")
            shape = (b, f) + tuple(zx[0].shape[2:])
            h, c = x.new_zeros(shape), x.new_zeros(shape)
        else:
            states = list(initial_state)
            if len(states) != 2:
                raise ValueError(f"ConvLSTM2D has 2 states (h, c) but was passed {len(states)}")
            h, c = states[0].movedim(-1, 1), states[1].movedim(-1, 1)
        rec_masks = self._gate_masks(h, self.recurrent_dropout)
        rpads = [_same_pads(h.shape[2 + i], self.kernel_size[i], 1, 1) for i in range(2)]
        steps_mask = mask.to(x.dtype).view(b, t, 1, 1, 1).unbind(1) if mask is not None else None
        outputs: List[Tensor] = []
        for step in range(t):
            if rec_masks is None:
                zh = F.conv2d(_pad_spatial(h, rpads, 0.0), rk)
            else:
                zh = torch.cat(
                    [F.conv2d(_pad_spatial(h * rec_masks[g], rpads, 0.0), rk[g * f : (g + 1) * f]) for g in range(4)],
                    1,
                )
            zz = zx[step] + zh
            if bias is not None:
                zz = zz + bias
            zi, zf, zc, zo = torch.chunk(zz, 4, dim=1)
            i = self.rec_act(zi)
            fg = self.rec_act(zf)
            c_new = fg * c + i * self.act(zc)
            h_new = self.rec_act(zo) * self.act(c_new)
            if steps_mask is not None:
                m = steps_mask[step]
                h_new = h_new * m + h * (1.0 - m)
                c_new = c_new * m + c * (1.0 - m)
            h, c = h_new, c_new
            if self.return_sequences:
                outputs.append(h)
        last = h.movedim(1, -1)
        output = torch.stack(outputs, 1).movedim(2, -1) if self.return_sequences else last
        if self.return_state:
            return [output, last, c.movedim(1, -1)]
        return output


LAYER_CLASSES.update({cls.tfjs_class_name: cls for cls in [Conv3D, MaxPooling3D, ConvLSTM2D]})
__all__ += ["Conv3D", "MaxPooling3D", "ConvLSTM2D"]


# ---------------------------------------------------------------------------------------------
# Attention (lstmc's own TF.js classes, runtime/layers/attention.ts and multihead-attention.ts)


def _attention_inputs(x: Any, who: str) -> Tuple[Tensor, Tensor, Tensor]:
    if not isinstance(x, (list, tuple)) or len(x) not in (2, 3):
        raise ValueError(f"{who} expects [query, value] or [query, value, key]")
    q, v = x[0], x[1]
    return q, v, (x[2] if len(x) == 3 else v)


def _query_mask(mask: Any) -> Optional[Tensor]:
    """The query's mask: TF.js 4.22's model executor hands a layer with several inputs its first input's mask only."""
    if isinstance(mask, (list, tuple)):
        return mask[0] if mask else None
    return mask


def _attention_masks(x: Any, mask: Any) -> Tuple[Optional[Tensor], Optional[Tensor], Optional[Tensor]]:
    """(query, value, key) masks as the TF.js classes see them: the query's mask, and the same mask for a value or
    key that is the query tensor itself (self-attention); TF.js 4.22's executor hands them no other mask."""
    q = _query_mask(mask)
    xs = list(x) if isinstance(x, (list, tuple)) else []
    same = lambda i: q if len(xs) > i and xs[i] is xs[0] else None  # noqa: E731
    return q, same(1), same(2)


def _masked_softmax(scores: Tensor, allowed: Optional[Tensor]) -> Tensor:
    """softmax over the last axis after scores -= 1e9 where `allowed` is false (Keras)."""
    if allowed is not None:
        scores = scores - (1.0 - allowed.to(scores.dtype)) * 1e9
    return torch.softmax(scores, dim=-1)


def _causal(tq: int, tv: int, device: Any) -> Tensor:
    """[Tq, Tv]: value step j <= query step i."""
    return torch.tril(torch.ones(tq, tv, dtype=torch.bool, device=device))


class _DenseAttention(TfjsLayer):
    """Keras Attention / AdditiveAttention: masked softmax of the scores over the value steps, times the value."""

    supports_masking = True

    def __init__(self, input_shape: Any = None, **config: Any):
        super().__init__(config, input_shape)
        self.dropout = float(self._get("dropout", 0.0))
        self.use_causal_mask = bool(self._get("useCausalMask", False))
        self.return_attention_scores = bool(self._get("returnAttentionScores", False))

    def _scores(self, q: Tensor, k: Tensor) -> Tensor:
        raise NotImplementedError

    def forward(self, x: Any, initial_state: Any = None, mask: Any = None) -> Any:
        q, v, k = _attention_inputs(x, type(self).__name__)
        q_mask, v_mask, _ = _attention_masks(x, mask)  # Keras's Attention reads no key mask
        scores = self._scores(q, k)
        allowed = _causal(q.shape[1], v.shape[1], q.device)[None] if self.use_causal_mask else None
        if v_mask is not None:
            vm = v_mask.to(torch.bool)[:, None, :]
            allowed = vm if allowed is None else torch.logical_and(allowed, vm)
        weights = _masked_softmax(scores, allowed)
        if self.training and self.dropout > 0:
            weights = F.dropout(weights, self.dropout)
        out = torch.matmul(weights, v)
        if q_mask is not None:
            out = out * q_mask.to(out.dtype).unsqueeze(-1)
        return [out, weights] if self.return_attention_scores else out

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        q_mask = _query_mask(mask)
        return [q_mask, None] if self.return_attention_scores else q_mask


class Attention(_DenseAttention):
    """Keras Attention (Luong): scores q·kᵀ (× scale), or w · Σ tanh(scale · (q + k)) with scoreMode concat."""

    tfjs_class_name = "Attention"
    config_keys = frozenset({"useScale", "scoreMode", "dropout", "useCausalMask", "returnAttentionScores"})

    def __init__(self, input_shape: Any = None, **config: Any):
        super().__init__(input_shape, **config)
        self.use_scale = bool(self._get("useScale", False))
        self.score_mode = str(self._get("scoreMode", "dot"))
        if self.score_mode not in ("dot", "concat"):
            raise ValueError(f"Attention: scoreMode must be 'dot' or 'concat', got {self.score_mode!r}")
        if self.use_scale:
            self._add_weight("scale", torch.ones(()))
        if self.score_mode == "concat":
            self._add_weight("concat_score_weight", torch.ones(()))

    def _scores(self, q: Tensor, k: Tensor) -> Tensor:
        if self.score_mode == "dot":
            s = torch.matmul(q, k.transpose(1, 2))
            return s * self.scale if self.use_scale else s
        t = q.unsqueeze(2) + k.unsqueeze(1)
        if self.use_scale:
            t = t * self.scale
        return self.concat_score_weight * torch.tanh(t).sum(-1)


class AdditiveAttention(_DenseAttention):
    """Keras AdditiveAttention (Bahdanau): scores Σ scale · tanh(q + k), `scale` one weight per value feature."""

    tfjs_class_name = "AdditiveAttention"
    config_keys = frozenset({"useScale", "dropout", "useCausalMask", "returnAttentionScores"})

    def __init__(self, input_shape: Any = None, **config: Any):
        super().__init__(input_shape, **config)
        self.use_scale = bool(self._get("useScale", True))
        if self.use_scale:
            if not input_shape or len(input_shape) < 2:
                raise ValueError("AdditiveAttention needs input_shape [query, value(, key)]")
            dim = _known_last(input_shape[1], "AdditiveAttention")
            self._add_weight("scale", initialize("glorotUniform", [dim]))

    def _scores(self, q: Tensor, k: Tensor) -> Tensor:
        t = torch.tanh(q.unsqueeze(2) + k.unsqueeze(1))
        return (t * self.scale if self.use_scale else t).sum(-1)


class MultiHeadAttention(TfjsLayer):
    """Keras MultiHeadAttention over the time axis: EinsumDense projections (kernels [features, heads, size]),
    (q / sqrt(keyDim)) · kᵀ per head, masked softmax, weights · v, output EinsumDense [heads, valueDim, out]."""

    tfjs_class_name = "MultiHeadAttention"
    config_keys = frozenset(
        {
            "numHeads",
            "keyDim",
            "valueDim",
            "dropout",
            "useBias",
            "outputShape",
            "kernelInitializer",
            "biasInitializer",
            "useCausalMask",
            "returnAttentionScores",
        }
    )
    supports_masking = True

    def __init__(self, input_shape: Any = None, **config: Any):
        super().__init__(config, input_shape)
        self.num_heads = int(self._get("numHeads", 1))
        self.key_dim = int(self._get("keyDim", 1))
        self.value_dim = int(self._get("valueDim", self.key_dim))
        self.dropout = float(self._get("dropout", 0.0))
        self.use_bias = bool(self._get("useBias", True))
        self.use_causal_mask = bool(self._get("useCausalMask", False))
        self.return_attention_scores = bool(self._get("returnAttentionScores", False))
        if not input_shape or len(input_shape) < 2:
            raise ValueError("MultiHeadAttention needs input_shape [query, value(, key)]")
        dq = _known_last(input_shape[0], "MultiHeadAttention")
        dv = _known_last(input_shape[1], "MultiHeadAttention")
        dk = _known_last(input_shape[2], "MultiHeadAttention") if len(input_shape) > 2 else dv
        self.out_dim = int(self._get("outputShape", dq))
        h = self.num_heads
        kinit = self._get("kernelInitializer", "glorotUniform")
        binit = self._get("biasInitializer", "zeros")
        for name, d, per in (("query", dq, self.key_dim), ("key", dk, self.key_dim), ("value", dv, self.value_dim)):
            self._add_weight(f"{name}/kernel", initialize(kinit, [d, h, per]))
            if self.use_bias:
                self._add_weight(f"{name}/bias", initialize(binit, [h, per]))
        self._add_weight("attention_output/kernel", initialize(kinit, [h, self.value_dim, self.out_dim]))
        if self.use_bias:
            self._add_weight("attention_output/bias", initialize(binit, [self.out_dim]))

    def _add_weight(self, tfjs_name: str, value: Tensor, trainable: bool = True) -> None:
        # attribute names cannot hold "/"
        attr = tfjs_name.replace("/", "_")
        self.register_parameter(attr, nn.Parameter(value.to(torch.float32)))
        self._tfjs_slots.append((tfjs_name, attr))

    def _w(self, name: str) -> Tensor:
        return getattr(self, name.replace("/", "_"))

    def _project(self, x: Tensor, name: str) -> Tensor:
        y = torch.einsum("btd,dhe->bthe", x, self._w(f"{name}/kernel"))
        if self.use_bias:
            y = y + self._w(f"{name}/bias")
        return y.transpose(1, 2)  # [B, H, T, e]

    def forward(self, x: Any, initial_state: Any = None, mask: Any = None) -> Any:
        query, value, key = _attention_inputs(x, "MultiHeadAttention")
        q = self._project(query, "query")
        k = self._project(key, "key")
        v = self._project(value, "value")
        scores = torch.matmul(q * (1.0 / math.sqrt(self.key_dim)), k.transpose(2, 3))  # [B, H, Tq, Tv]
        allowed: Optional[Tensor] = None
        q_mask, v_mask, k_mask = _attention_masks(x, mask)
        if q_mask is not None:
            allowed = q_mask.to(torch.bool)[:, :, None]
        for m in (v_mask, k_mask):
            if m is not None:
                mm = m.to(torch.bool)[:, None, :]
                allowed = mm if allowed is None else torch.logical_and(allowed, mm)
        if self.use_causal_mask:
            c = _causal(query.shape[1], value.shape[1], query.device)[None]
            allowed = c if allowed is None else torch.logical_and(allowed, c)
        weights = _masked_softmax(scores, None if allowed is None else allowed[:, None])
        dropped = F.dropout(weights, self.dropout) if self.training and self.dropout > 0 else weights
        ctx = torch.matmul(dropped, v).transpose(1, 2)  # [B, Tq, H, valueDim]
        out = torch.einsum("bthe,heo->bto", ctx, self._w("attention_output/kernel"))
        if self.use_bias:
            out = out + self._w("attention_output/bias")
        return [out, weights] if self.return_attention_scores else out

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        q_mask = _query_mask(mask)
        return [q_mask, None] if self.return_attention_scores else q_mask


LAYER_CLASSES.update({cls.tfjs_class_name: cls for cls in [Attention, AdditiveAttention, MultiHeadAttention]})
__all__ += ["Attention", "AdditiveAttention", "MultiHeadAttention"]
