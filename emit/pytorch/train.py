# lstmc PyTorch runtime: the model-level part of every module `lstmc compile --target pytorch` writes.
#
# The emitter (emit/pytorch.ts) copies this file verbatim into each generated `<Model>.py`, after the
# layer classes (emit/pytorch/support.py) and before the model class, which subclasses `LstmcModel`.
# It holds what every model shares:
#   - weights in the TF.js layers format, both ways (model.json + raw little-endian float32 .bin files;
#     never pickle), matched to layers by the layer names of the weight manifest;
#   - atomic writes (a file: temp file + rename; a run directory: the temp-directory swap of lstmc's
#     runtime/io.ts `writeDirAtomic`, with the same `.tmp-` / `.old-` sibling names, so `lstmc` reads
#     a directory this code is writing, and either recovers an interrupted swap);
#   - training with TF.js / Keras semantics: the TF.js optimizers (update rules of tfjs-core, Keras 2
#     defaults such as epsilon 1e-7), losses and metrics of tfjs-layers, clipNorm per tensor then
#     clipValue, validationSplit (the last samples, as `fit` holds them out), early stopping as
#     `lstmc train` does it, a checkpoint every epoch, --resume, one JSON line per epoch;
#   - data parallelism: under `torchrun` / `python3 -m torch.distributed.run` (WORLD_SIZE > 1) the same
#     code uses DistributedSampler and DistributedDataParallel, `gloo` on CPU, `nccl` on CUDA; rank 0
#     saves and prints.
#
# Top-level names start with `lstmc_` / `Lstmc` (or `_lstmc_`) so they never meet the layer classes or
# the model class. Nothing from a spec is executed: names and strings arrive as string literals.
import argparse as _lstmc_argparse
import datetime as _lstmc_datetime
import json as _lstmc_json
import math as _lstmc_math
import os as _lstmc_os
import shutil as _lstmc_shutil
import sys as _lstmc_sys
import time as _lstmc_time

import numpy as _lstmc_np
import torch as _lstmc_torch

# tfjs-layers `epsilon()` and the float32 backend epsilon (tfjs-core `ENGINE.backend.epsilon()`).
LSTMC_EPSILON = 1e-7


class LstmcError(Exception):
    """A problem with the user's files or arguments: printed as one line, exit code 1 (or `code`)."""

    def __init__(self, message, code=1):
        super().__init__(message)
        self.code = code


# ---------------------------------------------------------------------------------------------
# Atomic writes


def _lstmc_write_synced(path, data):
    with open(path, 'xb') as f:
        f.write(data)
        f.flush()
        _lstmc_os.fsync(f.fileno())


def _lstmc_fsync_dir(path):
    try:
        fd = _lstmc_os.open(path, _lstmc_os.O_RDONLY)
    except OSError:
        return
    try:
        _lstmc_os.fsync(fd)
    except OSError:
        pass
    finally:
        _lstmc_os.close(fd)


_lstmc_tmp_counter = [0]


def _lstmc_tag():
    _lstmc_tmp_counter[0] += 1
    return '%d-%d-py%d' % (_lstmc_os.getpid(), int(_lstmc_time.time() * 1000), _lstmc_tmp_counter[0])


def lstmc_write_file_atomic(path, data):
    """Writes bytes to `path` through a temporary file in the same directory and a rename."""
    path = _lstmc_os.path.abspath(path)
    parent = _lstmc_os.path.dirname(path)
    tmp = _lstmc_os.path.join(parent, '.lstmc-tmp-%s-%s' % (_lstmc_tag(), _lstmc_os.path.basename(path)))
    try:
        _lstmc_write_synced(tmp, data)
        _lstmc_os.replace(tmp, path)
    except BaseException:
        try:
            _lstmc_os.unlink(tmp)
        except OSError:
            pass
        raise
    _lstmc_fsync_dir(parent)


def lstmc_recover_dir(path):
    """Puts back the last complete save of an interrupted directory swap; removes stale temporaries."""
    path = _lstmc_os.path.abspath(path)
    parent, base = _lstmc_os.path.split(path)
    if not _lstmc_os.path.isdir(parent):
        return
    siblings = sorted(_lstmc_os.listdir(parent))
    olds = [s for s in siblings if s.startswith(base + '.old-')]
    if not _lstmc_os.path.exists(path) and olds:
        _lstmc_os.rename(_lstmc_os.path.join(parent, olds[-1]), path)
    for s in siblings:
        if s.startswith(base + '.tmp-') or (s.startswith(base + '.old-') and _lstmc_os.path.exists(path)):
            _lstmc_shutil.rmtree(_lstmc_os.path.join(parent, s), ignore_errors=True)


def lstmc_readable_dir(path):
    """The directory holding the last complete save, without changing anything (a writer may be mid-swap)."""
    path = _lstmc_os.path.abspath(path)
    if _lstmc_os.path.exists(path):
        return path
    parent, base = _lstmc_os.path.split(path)
    if not _lstmc_os.path.isdir(parent):
        return path
    olds = sorted(s for s in _lstmc_os.listdir(parent) if s.startswith(base + '.old-'))
    return _lstmc_os.path.join(parent, olds[-1]) if olds else path


def lstmc_write_dir_atomic(path, files):
    """Writes `files` ({name: bytes}) as the complete new content of directory `path`, atomically."""
    path = _lstmc_os.path.abspath(path)
    parent, base = _lstmc_os.path.split(path)
    _lstmc_os.makedirs(parent, exist_ok=True)
    tag = _lstmc_tag()
    tmp = _lstmc_os.path.join(parent, '%s.tmp-%s' % (base, tag))
    _lstmc_os.mkdir(tmp)
    try:
        for name, data in files.items():
            _lstmc_write_synced(_lstmc_os.path.join(tmp, name), data)
        _lstmc_fsync_dir(tmp)
    except BaseException:
        _lstmc_shutil.rmtree(tmp, ignore_errors=True)
        raise
    old = None
    if _lstmc_os.path.exists(path):
        old = _lstmc_os.path.join(parent, '%s.old-%s' % (base, tag))
        _lstmc_os.rename(path, old)
    _lstmc_os.rename(tmp, path)
    _lstmc_fsync_dir(parent)
    if old is not None:
        _lstmc_shutil.rmtree(old, ignore_errors=True)


# ---------------------------------------------------------------------------------------------
# The TF.js layers format: model.json (topology + weights manifest) and raw weight files


# history.csv: the per-epoch record `lstmc train` writes too (runtime/history.ts, same columns): epoch
# (from 1), the losses and metrics (training, then val_), the epoch's wall time, the training time so
# far, training samples/s and the time the epoch ended. It is one of the files of every checkpoint swap.
_LSTMC_HISTORY_TIMING = ['seconds', 'elapsed_seconds', 'samples_per_sec', 'time']


def _lstmc_order_metrics(names):
    seen = []
    for n in names:
        if n not in seen:
            seen.append(n)
    train = [n for n in seen if not n.startswith('val_')]
    val = [n for n in seen if n.startswith('val_')]
    paired = ['val_' + n for n in train if 'val_' + n in val]
    return train + paired + [n for n in val if n not in paired]


def _lstmc_history_rows(out_dir, epoch, state_history):
    """The rows of a resumed run: its history.csv up to `epoch`, else rebuilt from lstmc.json's history."""
    rows = []
    p = _lstmc_os.path.join(lstmc_readable_dir(out_dir), 'history.csv')
    if _lstmc_os.path.exists(p):
        with open(p, 'r', encoding='utf-8') as f:
            lines = [line.strip() for line in f if line.strip()]
        header = lines[0].split(',') if lines else []
        if header[:1] == ['epoch']:
            for line in lines[1:]:
                cells = dict(zip(header, line.split(',')))
                try:
                    e = int(cells['epoch'])
                    values = {k: float(v) for k, v in cells.items() if k != 'epoch' and k not in _LSTMC_HISTORY_TIMING and v != ''}
                    timing = {k: cells.get(k, '') for k in _LSTMC_HISTORY_TIMING}
                except (KeyError, ValueError):
                    continue
                if 1 <= e <= epoch:
                    rows.append({'epoch': e, 'values': values, 'timing': timing})
    if len(rows) < epoch:
        n = max([len(v) for v in state_history.values()] or [0])
        rows = [
            {'epoch': i + 1, 'values': {k: v[i] for k, v in state_history.items() if i < len(v)}, 'timing': {}}
            for i in range(min(n, epoch))
        ]
    return rows


def _lstmc_history_csv(rows):
    metrics = _lstmc_order_metrics([k for r in rows for k in r['values']])
    out = [','.join(['epoch'] + metrics + _LSTMC_HISTORY_TIMING)]
    for r in rows:
        cells = [str(r['epoch'])] + [repr(float(r['values'][m])) if m in r['values'] else '' for m in metrics]
        out.append(','.join(cells + [str(r['timing'].get(k, '')) for k in _LSTMC_HISTORY_TIMING]))
    return ('\n'.join(out) + '\n').encode('utf-8')


def _lstmc_read_json(path, what):
    try:
        with open(path, 'rb') as f:
            return _lstmc_json.loads(f.read().decode('utf-8'))
    except FileNotFoundError:
        raise LstmcError('%s: no such file (%s)' % (path, what))
    except (OSError, ValueError) as e:
        raise LstmcError('cannot read %s: %s' % (path, e))


def _lstmc_shard_path(directory, name):
    """A weight file named by a manifest, which must be a plain file name inside `directory`."""
    if not isinstance(name, str) or name == '' or '/' in name or '\\' in name or name in ('.', '..') or '\x00' in name:
        raise LstmcError('model.json names the weight file %r; only plain file names beside model.json are read' % (name,))
    return _lstmc_os.path.join(directory, name)


def lstmc_read_tfjs_weights(directory):
    """The weights of a TF.js layers model directory as [(name, float32 array)], in manifest order.

    Reads model.json's `weightsManifest` and its weight files as raw little-endian float32 values
    (the only dtype TF.js layers models save); nothing is unpickled or executed.
    """
    directory = lstmc_readable_dir(directory)
    model_json = _lstmc_read_json(_lstmc_os.path.join(directory, 'model.json'), 'not a TF.js layers model directory')
    manifest = model_json.get('weightsManifest') if isinstance(model_json, dict) else None
    if not isinstance(manifest, list):
        raise LstmcError('%s has no weightsManifest' % _lstmc_os.path.join(directory, 'model.json'))
    out = []
    for group in manifest:
        blobs = []
        for p in group.get('paths', []):
            with open(_lstmc_shard_path(directory, p), 'rb') as f:
                blobs.append(f.read())
        data = b''.join(blobs)
        offset = 0
        for w in group.get('weights', []):
            name = w.get('name')
            shape = [int(d) for d in w.get('shape', [])]
            if w.get('dtype', 'float32') != 'float32' or 'quantization' in w:
                raise LstmcError('weight %r is %s%s; only float32 weights are supported' % (name, w.get('dtype'), ' (quantized)' if 'quantization' in w else ''))
            count = 1
            for d in shape:
                count *= d
            end = offset + 4 * count
            if end > len(data):
                raise LstmcError('the weight files of %s end before weight %r' % (directory, name))
            arr = _lstmc_np.frombuffer(data, dtype='<f4', count=count, offset=offset).astype(_lstmc_np.float32).reshape(shape)
            out.append((name, arr))
            offset = end
        if offset != len(data):
            raise LstmcError('the weight files of %s hold %d byte(s) more than the manifest describes' % (directory, len(data) - offset))
    return out


_lstmc_mask_takers = {}


def _lstmc_takes_mask(layer):
    """Whether a layer's forward takes a `mask` argument (recurrent layers, Bidirectional, ...)."""
    cls = type(layer)
    if cls not in _lstmc_mask_takers:
        import inspect

        try:
            _lstmc_mask_takers[cls] = 'mask' in inspect.signature(layer.forward).parameters
        except (TypeError, ValueError):
            _lstmc_mask_takers[cls] = False
    return _lstmc_mask_takers[cls]


def _lstmc_owner(weight_name, layer_names):
    """The index of the layer a manifest weight belongs to: the longest layer name that prefixes it."""
    best = None
    for i, layer in enumerate(layer_names):
        if weight_name.startswith(layer + '/') and (best is None or len(layer) > len(layer_names[best])):
            best = i
    return best


class LstmcModel(_lstmc_torch.nn.Module):
    """Base of generated models: TF.js weights in and out, training (see `lstmc_main`).

    A subclass sets MODEL_NAME, INPUTS, TRAIN, MODEL_JSON (the TF.js model.json of the model, weights
    manifest included, or None) and REACHES_OUTPUTS, and builds `self.layers_` (an nn.ModuleList)
    with `self.layer_names` (the TF.js layer names, in the same order).
    """

    MODEL_NAME = ''
    INPUTS = []
    OUTPUTS = []
    TRAIN = {}
    MODEL_JSON = None
    REACHES_OUTPUTS = True

    # ---- the graph ----

    def check_inputs(self, inputs):
        """forward's inputs as a tuple of tensors: model(x), model(x1, x2) or model([x1, x2])."""
        if len(inputs) == 1 and isinstance(inputs[0], (list, tuple)):
            inputs = tuple(inputs[0])
        if len(inputs) != len(self.INPUTS):
            raise TypeError('%s takes %d input(s) (%s), got %d' % (self.MODEL_NAME, len(self.INPUTS), ', '.join(repr(i['name']) for i in self.INPUTS), len(inputs)))
        return tuple(x if isinstance(x, _lstmc_torch.Tensor) else _lstmc_torch.as_tensor(_lstmc_np.asarray(x, dtype=_lstmc_np.float32)) for x in inputs)

    def apply_layer(self, i, x, mask=None, initial_state=None, n=1):
        """Calls layer i as TF.js `apply` does: (outputs, output masks); lists when it has n > 1 outputs.

        The input mask (from an Embedding with maskZero, say) goes to the layers whose forward takes one,
        and every layer computes the mask of its outputs (TF.js computeMask).
        """
        layer = self.layers_[i]
        kwargs = {}
        if initial_state is not None:
            kwargs['initial_state'] = initial_state
        if mask is not None and _lstmc_takes_mask(layer) and not (isinstance(mask, (list, tuple)) and all(m is None for m in mask)):
            kwargs['mask'] = mask
        y = layer(x, **kwargs)
        out_mask = layer.compute_mask(x, mask)
        if n > 1:
            y = list(y)
            out_mask = list(out_mask) if isinstance(out_mask, (list, tuple)) else [out_mask] + [None] * (n - 1)
        return y, out_mask

    # ---- weights ----

    def _named_layers(self):
        return list(zip(self.layer_names, self.layers_))

    def _model_json(self):
        """The TF.js model.json this model saves: the one it was loaded from, else the compiled one."""
        loaded = getattr(self, '_lstmc_model_json', None)
        if loaded is not None:
            return _lstmc_json.loads(_lstmc_json.dumps(loaded))
        return None if self.MODEL_JSON is None else _lstmc_json.loads(self.MODEL_JSON)

    def _manifest_entries(self):
        """[(layer index, name, shape)] in the order of this model's TF.js weights manifest."""
        entries = []
        model_json = self._model_json()
        if model_json is not None:
            for group in model_json['weightsManifest']:
                for w in group['weights']:
                    i = _lstmc_owner(w['name'], self.layer_names)
                    if i is None:
                        raise LstmcError('weight %r of the TF.js topology belongs to no layer of %s' % (w['name'], self.MODEL_NAME))
                    entries.append((i, w['name'], list(w['shape'])))
            return entries
        for i, (name, layer) in enumerate(self._named_layers()):
            for rel, arr in layer.tfjs_weights():
                entries.append((i, name + '/' + rel, list(_lstmc_np.shape(arr))))
        return entries

    def tfjs_weights(self):
        """This model's weights as [(TF.js name, float32 array)], in the order of the TF.js manifest."""
        per_layer = {}
        for i, (name, layer) in enumerate(self._named_layers()):
            # reshape: ascontiguousarray makes a scalar weight (Attention scale, shape []) 1-D
            per_layer[i] = [_lstmc_np.ascontiguousarray(_lstmc_np.asarray(a, dtype=_lstmc_np.float32)).reshape(_lstmc_np.shape(a)) for _, a in layer.tfjs_weights()]
        taken = {i: 0 for i in per_layer}
        out = []
        for i, name, shape in self._manifest_entries():
            arrays = per_layer[i]
            k = taken[i]
            if k >= len(arrays):
                raise LstmcError('layer %r has %d weight(s), but the TF.js manifest lists more' % (self.layer_names[i], len(arrays)))
            if list(arrays[k].shape) != shape:
                raise LstmcError('weight %r: the layer gives shape %s, the TF.js manifest says %s' % (name, list(arrays[k].shape), shape))
            out.append((name, arrays[k]))
            taken[i] = k + 1
        for i, n in taken.items():
            if n != len(per_layer[i]):
                raise LstmcError('layer %r has %d weight(s), but the TF.js manifest lists %d' % (self.layer_names[i], len(per_layer[i]), n))
        return out

    def load_tfjs_weights(self, named):
        """Loads [(TF.js name, array)] (manifest order), each layer's arrays through its load_tfjs_weights."""
        groups = {i: [] for i in range(len(self.layer_names))}
        for name, arr in named:
            i = _lstmc_owner(name, self.layer_names)
            if i is None:
                raise LstmcError('weight %r belongs to no layer of %s (layers: %s)' % (name, self.MODEL_NAME, ', '.join(repr(n) for n in self.layer_names)))
            groups[i].append((name, arr))
        for i, (lname, layer) in enumerate(self._named_layers()):
            expected = [_lstmc_np.shape(a) for _, a in layer.tfjs_weights()]
            got = groups[i]
            if len(got) != len(expected):
                raise LstmcError('layer %r takes %d weight(s), but %d were given (%s)' % (lname, len(expected), len(got), ', '.join(repr(n) for n, _ in got) or 'none'))
            for (name, arr), shape in zip(got, expected):
                if tuple(arr.shape) != tuple(shape):
                    raise LstmcError('weight %r has shape %s, but layer %r needs %s' % (name, list(arr.shape), lname, list(shape)))
            if got:
                layer.load_tfjs_weights([_lstmc_np.asarray(a, dtype=_lstmc_np.float32) for _, a in got])

    @classmethod
    def from_tfjs(cls, directory, **kwargs):
        """A model with the weights of the TF.js layers model saved in `directory` (model.json + .bin)."""
        model = cls(**kwargs)
        model.load_tfjs(directory)
        return model

    def load_tfjs(self, directory):
        """Loads the weights of the TF.js layers model saved in `directory` into this model.

        Its model.json is kept: `save_tfjs` writes that topology and those weight names back (TF.js
        names the inner layer of an unnamed wrapper by a per-process counter, so two builds of one
        spec can name its weights differently), so a round trip changes nothing but the values.
        """
        directory = lstmc_readable_dir(directory)
        self.load_tfjs_weights(lstmc_read_tfjs_weights(directory))
        self._lstmc_model_json = _lstmc_read_json(_lstmc_os.path.join(directory, 'model.json'), 'TF.js model')
        return self

    def tfjs_files(self):
        """{'model.json': bytes, 'weights.bin': bytes}: this model in the TF.js layers format."""
        model_json = self._model_json()
        if model_json is None:
            raise LstmcError('%s was compiled without its TF.js topology; compile it with `lstmc compile --target pytorch`' % self.MODEL_NAME)
        named = self.tfjs_weights()
        weights = []
        for name, arr in named:
            weights.append({'name': name, 'shape': list(arr.shape), 'dtype': 'float32'})
        model_json['weightsManifest'] = [{'paths': ['weights.bin'], 'weights': weights}]
        data = b''.join(arr.astype('<f4', copy=False).tobytes(order='C') for _, arr in named)
        text = _lstmc_json.dumps(model_json, ensure_ascii=True, separators=(',', ':'))
        return {'model.json': text.encode('ascii'), 'weights.bin': data}

    def save_tfjs(self, directory):
        """Saves this model as a TF.js layers model (model.json + weights.bin) into `directory`.

        Each file is written atomically (temp file + rename), weights.bin first: model.json is the same
        for every save of this model, so a reader sees either the old or the new weights. Other files
        in the directory (an lstmc.json) are kept. Loads with tf.loadLayersModel and `lstmc predict`.
        """
        files = self.tfjs_files()
        _lstmc_os.makedirs(directory, exist_ok=True)
        lstmc_write_file_atomic(_lstmc_os.path.join(directory, 'weights.bin'), files['weights.bin'])
        lstmc_write_file_atomic(_lstmc_os.path.join(directory, 'model.json'), files['model.json'])
        return directory


# ---------------------------------------------------------------------------------------------
# Losses and metrics (tfjs-layers losses.ts / metrics.ts). Each returns per-sample values reduced
# over the last axis; a batch's value is their mean, as `model.compile` + `fit` compute it.

_lstmc_F = _lstmc_torch.nn.functional


def _lstmc_clip(x, lo, hi):
    return _lstmc_torch.clamp(x, lo, hi)


def _lstmc_categorical_crossentropy(y, p):
    p = p / p.sum(dim=-1, keepdim=True)
    p = _lstmc_clip(p, LSTMC_EPSILON, 1 - LSTMC_EPSILON)
    return -(y * _lstmc_torch.log(p)).sum(dim=-1)


def _lstmc_sparse_categorical_crossentropy(y, p):
    idx = _lstmc_torch.floor(y.reshape(-1)).long()
    p = _lstmc_clip(p, LSTMC_EPSILON, 1 - LSTMC_EPSILON)
    one_hot = _lstmc_F.one_hot(idx, p.shape[-1]).to(p.dtype).reshape(p.shape)
    return _lstmc_categorical_crossentropy(one_hot, p)


def _lstmc_binary_crossentropy(y, p):
    p = _lstmc_clip(p, LSTMC_EPSILON, 1 - LSTMC_EPSILON)
    logits = _lstmc_torch.log(p / (1 - p))
    per = _lstmc_torch.relu(logits) - logits * y + _lstmc_torch.log1p(_lstmc_torch.exp(-_lstmc_torch.abs(logits)))
    return per.mean(dim=-1)


def _lstmc_l2_normalize(x):
    sq = (x * x).sum(dim=-1, keepdim=True)
    return x / _lstmc_torch.sqrt(_lstmc_torch.clamp(sq, min=LSTMC_EPSILON))


_LSTMC_FLOAT_MAX = 3.4028234663852886e38

LSTMC_LOSSES = {
    'meanSquaredError': lambda y, p: ((p - y) ** 2).mean(dim=-1),
    'meanAbsoluteError': lambda y, p: (p - y).abs().mean(dim=-1),
    'meanAbsolutePercentageError': lambda y, p: 100 * ((y - p) / _lstmc_clip(y.abs(), LSTMC_EPSILON, _LSTMC_FLOAT_MAX)).abs().mean(dim=-1),
    'meanSquaredLogarithmicError': lambda y, p: (
        (_lstmc_torch.log(1 + _lstmc_clip(p, LSTMC_EPSILON, _LSTMC_FLOAT_MAX)) - _lstmc_torch.log(1 + _lstmc_clip(y, LSTMC_EPSILON, _LSTMC_FLOAT_MAX))) ** 2
    ).mean(dim=-1),
    'squaredHinge': lambda y, p: (_lstmc_torch.clamp(1 - y * p, min=0) ** 2).mean(dim=-1),
    'hinge': lambda y, p: _lstmc_torch.clamp(1 - y * p, min=0).mean(dim=-1),
    'categoricalHinge': lambda y, p: _lstmc_torch.clamp(1 + ((1 - y) * p).amax(dim=-1) - (y * p).sum(dim=-1), min=0),
    'logcosh': lambda y, p: ((p - y) + _lstmc_F.softplus(-2 * (p - y)) - _lstmc_math.log(2)).mean(dim=-1),
    'categoricalCrossentropy': _lstmc_categorical_crossentropy,
    'sparseCategoricalCrossentropy': _lstmc_sparse_categorical_crossentropy,
    'binaryCrossentropy': _lstmc_binary_crossentropy,
    'kullbackLeiblerDivergence': lambda y, p: (y * _lstmc_torch.log(_lstmc_clip(y, LSTMC_EPSILON, 1) / _lstmc_clip(p, LSTMC_EPSILON, 1))).sum(dim=-1),
    'poisson': lambda y, p: (p - y * _lstmc_torch.log(LSTMC_EPSILON + p)).mean(dim=-1),
    'cosineProximity': lambda y, p: -(_lstmc_l2_normalize(y) * _lstmc_l2_normalize(p)).sum(dim=-1),
}


def _lstmc_binary_accuracy(y, p):
    return (y == (p > 0.5).to(y.dtype)).to(p.dtype).mean(dim=-1)


def _lstmc_categorical_accuracy(y, p):
    return (y.argmax(dim=-1) == p.argmax(dim=-1)).to(p.dtype)


def _lstmc_sparse_categorical_accuracy(y, p):
    if y.dim() == p.dim():
        y = y.squeeze(-1)
    return (y == p.argmax(dim=-1).to(y.dtype)).to(p.dtype)


def _lstmc_precision(y, p):
    tp = ((y == 1) & (p == 1)).sum().to(p.dtype)
    fp = ((y == 0) & (p == 1)).sum().to(p.dtype)
    denominator = tp + fp
    return _lstmc_torch.where(denominator > 0, tp / _lstmc_torch.clamp(denominator, min=1), _lstmc_torch.zeros_like(tp))


LSTMC_METRICS = {
    'binaryAccuracy': _lstmc_binary_accuracy,
    'categoricalAccuracy': _lstmc_categorical_accuracy,
    'precision': _lstmc_precision,
    'categoricalCrossentropy': _lstmc_categorical_crossentropy,
    'sparseCategoricalCrossentropy': _lstmc_sparse_categorical_crossentropy,
    'mse': LSTMC_LOSSES['meanSquaredError'],
    'mae': LSTMC_LOSSES['meanAbsoluteError'],
    'mape': LSTMC_LOSSES['meanAbsolutePercentageError'],
    'cosine': LSTMC_LOSSES['cosineProximity'],
}


def lstmc_metric(identifier, loss, output_width):
    """(log name, function) of a TF.js metric identifier, resolved as tfjs-layers `compile` does."""
    if identifier in ('accuracy', 'acc'):
        if output_width == 1 or loss == 'binaryCrossentropy':
            return 'acc', _lstmc_binary_accuracy
        if loss == 'sparseCategoricalCrossentropy':
            return 'acc', _lstmc_sparse_categorical_accuracy
        return 'acc', _lstmc_categorical_accuracy
    if identifier not in LSTMC_METRICS:
        raise LstmcError('unknown metric %r' % (identifier,))
    return identifier, LSTMC_METRICS[identifier]


# ---------------------------------------------------------------------------------------------
# Optimizers: the update rules of tfjs-core's optimizers (tf.train.*), the ones `lstmc train` uses.
# Arguments by the names of compiler/train.ts OPTIMIZER_TABLE, every Keras 2 default explicit.


class LstmcOptimizer:
    """A TF.js optimizer over torch parameters. State: per-parameter slots plus scalars (checkpointable)."""

    slot_names = ()

    def __init__(self, params, args):
        self.params = [p for p in params if p.requires_grad]
        self.args = dict(args)
        self.slots = [{} for _ in self.params]
        self.scalars = {'iterations': 0.0}
        self.init_scalars()

    def init_scalars(self):
        pass

    def slot(self, i, name, init=0.0):
        s = self.slots[i].get(name)
        if s is None:
            p = self.params[i]
            s = _lstmc_torch.full_like(p, init, memory_format=_lstmc_torch.contiguous_format)
            self.slots[i][name] = s
        return s

    def zero_grad(self):
        for p in self.params:
            p.grad = None

    @_lstmc_torch.no_grad()
    def step(self):
        self.before_step()
        for i, p in enumerate(self.params):
            if p.grad is not None:
                self.update(i, p, p.grad)
        self.after_step()
        self.scalars['iterations'] += 1

    def before_step(self):
        pass

    def after_step(self):
        pass

    def state_arrays(self):
        out = {}
        for k, v in self.scalars.items():
            out['scalar.' + k] = _lstmc_np.asarray(v, dtype=_lstmc_np.float64)
        for i, slots in enumerate(self.slots):
            for name, t in slots.items():
                out['slot.%d.%s' % (i, name)] = t.detach().cpu().numpy()
        return out

    def load_state_arrays(self, arrays):
        for key in arrays:
            if key.startswith('scalar.'):
                self.scalars[key[len('scalar.'):]] = float(arrays[key])
            elif key.startswith('slot.'):
                _, i, name = key.split('.', 2)
                i = int(i)
                if i >= len(self.params) or tuple(arrays[key].shape) != tuple(self.params[i].shape):
                    raise LstmcError('the optimizer state does not fit this model (slot %s)' % key)
                p = self.params[i]
                self.slots[i][name] = _lstmc_torch.as_tensor(arrays[key], dtype=p.dtype, device=p.device).clone()


class LstmcSgd(LstmcOptimizer):
    def update(self, i, p, g):
        p.add_(g, alpha=-self.args['learningRate'])


class LstmcMomentum(LstmcOptimizer):
    def update(self, i, p, g):
        m = self.args['momentum']
        acc = self.slot(i, 'momentum')
        acc.mul_(m).add_(g)
        if self.args.get('useNesterov', False):
            p.add_(g + acc * m, alpha=-self.args['learningRate'])
        else:
            p.add_(acc, alpha=-self.args['learningRate'])


class LstmcAdagrad(LstmcOptimizer):
    def update(self, i, p, g):
        acc = self.slot(i, 'accumulator', self.args['initialAccumulatorValue'])
        acc.add_(g * g)
        p.add_(g / _lstmc_torch.sqrt(acc + LSTMC_EPSILON), alpha=-self.args['learningRate'])


class LstmcAdadelta(LstmcOptimizer):
    def update(self, i, p, g):
        rho, eps = self.args['rho'], self.args['epsilon']
        acc_grad = self.slot(i, 'accum_grad')
        acc_update = self.slot(i, 'accum_var')
        new_acc_grad = acc_grad * rho + g * g * (1 - rho)
        # tfjs-core divides by the accumulated gradient from BEFORE this step.
        updates = _lstmc_torch.sqrt(acc_update + eps) / _lstmc_torch.sqrt(acc_grad + eps) * g
        acc_update.mul_(rho).add_(updates * updates * (1 - rho))
        acc_grad.copy_(new_acc_grad)
        p.add_(updates, alpha=-self.args['learningRate'])


class LstmcAdam(LstmcOptimizer):
    def init_scalars(self):
        self.scalars['accBeta1'] = self.args['beta1']
        self.scalars['accBeta2'] = self.args['beta2']

    def update(self, i, p, g):
        b1, b2 = self.args['beta1'], self.args['beta2']
        m = self.slot(i, 'm')
        v = self.slot(i, 'v')
        m.mul_(b1).add_(g, alpha=1 - b1)
        v.mul_(b2).addcmul_(g, g, value=1 - b2)
        m_hat = m / (1 - self.scalars['accBeta1'])
        v_hat = v / (1 - self.scalars['accBeta2'])
        p.add_(m_hat / (_lstmc_torch.sqrt(v_hat) + self.args['epsilon']), alpha=-self.args['learningRate'])

    def after_step(self):
        self.scalars['accBeta1'] *= self.args['beta1']
        self.scalars['accBeta2'] *= self.args['beta2']


class LstmcAdamax(LstmcOptimizer):
    def init_scalars(self):
        self.scalars['accBeta1'] = self.args['beta1']

    def before_step(self):
        self.lr_t = -self.args['learningRate'] / (self.scalars['iterations'] * self.args['decay'] + 1)

    def update(self, i, p, g):
        b1, b2 = self.args['beta1'], self.args['beta2']
        m = self.slot(i, 'm')
        u = self.slot(i, 'v')
        m.mul_(b1).add_(g, alpha=1 - b1)
        _lstmc_torch.maximum(u * b2, g.abs(), out=u)
        p.add_(m / (u + self.args['epsilon']), alpha=self.lr_t / (1 - self.scalars['accBeta1']))

    def after_step(self):
        self.scalars['accBeta1'] *= self.args['beta1']


class LstmcRmsprop(LstmcOptimizer):
    def update(self, i, p, g):
        rho, lr, eps, mom = self.args['decay'], self.args['learningRate'], self.args['epsilon'], self.args['momentum']
        ms = self.slot(i, 'rms')
        moments = self.slot(i, 'momentum')
        ms.mul_(rho).add_(g * g * (1 - rho))
        if self.args.get('centered', False):
            mg = self.slot(i, 'mg')
            mg.mul_(rho).add_(g, alpha=1 - rho)
            # As tfjs-core computes it: sqrt(ms - (mg^2 + epsilon)).
            moments.mul_(mom).add_(g * lr / _lstmc_torch.sqrt(ms - (mg * mg + eps)))
        else:
            moments.mul_(mom).add_(g * lr / _lstmc_torch.sqrt(ms + eps))
        p.sub_(moments)


LSTMC_OPTIMIZERS = {
    'sgd': LstmcSgd,
    'momentum': LstmcMomentum,
    'adagrad': LstmcAdagrad,
    'adadelta': LstmcAdadelta,
    'adam': LstmcAdam,
    'adamax': LstmcAdamax,
    'rmsprop': LstmcRmsprop,
}


def lstmc_make_optimizer(spec, params):
    """The optimizer of a train block's {'factory', 'args'} (args by name, every default explicit)."""
    cls = LSTMC_OPTIMIZERS.get(spec['factory'])
    if cls is None:
        raise LstmcError('unknown optimizer %r' % (spec['factory'],))
    return cls(params, spec['args'])


def lstmc_clip_gradients(params, clip_norm=None, clip_value=None):
    """Keras clipnorm (each gradient tensor scaled to at most clip_norm), then clipvalue, in place."""
    if clip_norm is None and clip_value is None:
        return
    with _lstmc_torch.no_grad():
        for p in params:
            g = p.grad
            if g is None:
                continue
            if clip_norm is not None:
                norm = _lstmc_torch.sqrt((g * g).sum())
                g.mul_(clip_norm / _lstmc_torch.clamp(norm, min=clip_norm))
            if clip_value is not None:
                g.clamp_(-clip_value, clip_value)


# ---------------------------------------------------------------------------------------------
# Data: the arrays `lstmc data SPEC --out DIR` writes (float32 .npy, read without pickle) + meta.json


def _lstmc_load_npy(path):
    try:
        arr = _lstmc_np.load(path, allow_pickle=False)
    except FileNotFoundError:
        raise LstmcError('%s: no such file (make the data directory with `lstmc data SPEC --out DIR`)' % path)
    except ValueError as e:
        raise LstmcError('%s: %s' % (path, e))
    return _lstmc_np.ascontiguousarray(arr, dtype=_lstmc_np.float32)


def lstmc_load_data(directory):
    meta = _lstmc_read_json(_lstmc_os.path.join(directory, 'meta.json'), 'make the data directory with `lstmc data SPEC --out DIR`')
    files = meta.get('files') or {}

    def path_of(role, default):
        name = (files.get(role) or {}).get('file', default)
        return _lstmc_shard_path(directory, name)

    arrays = {
        'train_x': _lstmc_load_npy(path_of('trainX', 'train_x.npy')),
        'train_y': _lstmc_load_npy(path_of('trainY', 'train_y.npy')),
        'test_x': _lstmc_load_npy(path_of('testX', 'test_x.npy')),
        'test_y': _lstmc_load_npy(path_of('testY', 'test_y.npy')),
    }
    return meta, arrays


def lstmc_data_info(meta):
    """The `data` entry of lstmc.json (runtime/data/types.ts DataInfo) from an `lstmc data` meta.json."""
    source = meta.get('source') or {}
    info = {
        'source': source.get('kind'),
        'value': source.get('value'),
        'options': source.get('options') or {},
        'inputShape': (meta.get('input') or {}).get('shape'),
        'targetShape': (meta.get('target') or {}).get('shape'),
        'description': source.get('description', ''),
    }
    if meta.get('alphabet') is not None:
        info['alphabet'] = meta['alphabet']
    scaler = meta.get('scaler')
    if isinstance(scaler, dict):
        if scaler.get('kind') == 'minmax':
            info['scale'] = {'min': scaler['min'], 'max': scaler['max']}
        if scaler.get('column') is not None:
            info['column'] = scaler['column']
    return info


# ---------------------------------------------------------------------------------------------
# Training


def _lstmc_log(message):
    _lstmc_sys.stderr.write(message + '\n')
    _lstmc_sys.stderr.flush()


def _lstmc_outputs(y):
    return list(y) if isinstance(y, (list, tuple)) else [y]


class _LstmcDist:
    """Process-group facts: world size, rank, device; a no-op when not launched by torchrun."""

    def __init__(self, device):
        env = _lstmc_os.environ
        self.world = int(env.get('WORLD_SIZE', '1'))
        self.rank = int(env.get('RANK', '0'))
        self.local_rank = int(env.get('LOCAL_RANK', '0'))
        if device == 'cuda':
            if not _lstmc_torch.cuda.is_available():
                raise LstmcError('--device cuda: CUDA is not available to this PyTorch (%s)' % _lstmc_torch.__version__, 2)
            self.device = _lstmc_torch.device('cuda', self.local_rank % max(1, _lstmc_torch.cuda.device_count()))
            _lstmc_torch.cuda.set_device(self.device)
        else:
            self.device = _lstmc_torch.device('cpu')
        self.backend = None
        if self.world > 1:
            import torch.distributed as dist

            self.backend = 'nccl' if device == 'cuda' else 'gloo'
            dist.init_process_group(backend=self.backend)
            self.rank = dist.get_rank()
            self.world = dist.get_world_size()

    @property
    def main(self):
        return self.rank == 0

    def barrier(self):
        if self.world > 1:
            import torch.distributed as dist

            dist.barrier()

    def all_sum(self, values):
        """Element-wise sum over ranks of a list of floats."""
        if self.world == 1:
            return list(values)
        import torch.distributed as dist

        t = _lstmc_torch.tensor(values, dtype=_lstmc_torch.float64, device=self.device)
        dist.all_reduce(t, op=dist.ReduceOp.SUM)
        return t.tolist()

    def gather(self, value):
        """Every rank's JSON-able value, in rank order, on every rank."""
        if self.world == 1:
            return [value]
        import torch.distributed as dist

        out = [None] * self.world
        dist.all_gather_object(out, value)
        return out

    def broadcast(self, value):
        """Rank 0's JSON-able value on every rank."""
        if self.world == 1:
            return value
        import torch.distributed as dist

        box = [value]
        dist.broadcast_object_list(box, src=0)
        return box[0]

    def close(self):
        if self.world > 1:
            import torch.distributed as dist

            if dist.is_initialized():
                dist.destroy_process_group()


class _LstmcEpochSums:
    """Sums of batch values weighted by batch sizes (tfjs `fit` averages its epoch logs that way)."""

    def __init__(self, names):
        self.names = names
        self.totals = None
        self.count = 0

    def add(self, values, n):
        with _lstmc_torch.no_grad():
            v = _lstmc_torch.stack([x.detach().to(_lstmc_torch.float64) for x in values]) * n
        self.totals = v if self.totals is None else self.totals + v
        self.count += n

    def sums(self):
        if self.totals is None:
            return [0.0] * len(self.names) + [0.0]
        return self.totals.tolist() + [float(self.count)]


def lstmc_output_losses(t, n_outputs):
    """(loss function, weight) per output: the train block's per-output `losses` and `lossWeights`
    (Keras loss_weights; runtime/output-losses.ts in TF.js), else its one `loss` with weight 1."""
    names = t.get('losses') or [t['loss']] * n_outputs
    weights = t.get('lossWeights') or [1.0] * len(names)
    if len(names) != n_outputs or len(weights) != n_outputs:
        raise LstmcError('%d per-output losses and %d weights for %d outputs' % (len(names), len(weights), n_outputs))
    out = []
    for name, weight in zip(names, weights):
        fn = LSTMC_LOSSES.get(name)
        if fn is None:
            raise LstmcError('unknown loss %r' % (name,))
        out.append((fn, float(weight)))
    return out


def _lstmc_batch_values(outputs, targets, loss_fns, metrics):
    """[total loss, per-output losses when several, metrics...] of one batch, as tfjs logs them: the
    total is the weighted sum of the outputs' mean losses, each logged as its weighted term."""
    losses = [fn(y, p).mean() * w for p, y, (fn, w) in zip(outputs, targets, loss_fns)]
    total = losses[0]
    for extra in losses[1:]:
        total = total + extra
    values = [total]
    if len(outputs) > 1:
        values.extend(losses)
    with _lstmc_torch.no_grad():
        for output_index, _, fn in metrics:
            values.append(fn(targets[output_index], outputs[output_index].detach()).mean())
    return total, values


def lstmc_train(model_cls, args):
    """`python3 <Model>.py train ...`: see lstmc_main."""
    dist = _LstmcDist(args.device)
    try:
        return _lstmc_train(model_cls, args, dist)
    finally:
        dist.close()


def _lstmc_train(model_cls, args, dist):
    t = model_cls.TRAIN
    meta, data = lstmc_load_data(args.data)
    if meta.get('model') not in (None, model_cls.MODEL_NAME) and dist.main:
        _lstmc_log('warning: %s holds data for model %r, not %r' % (args.data, meta.get('model'), model_cls.MODEL_NAME))
    if len(model_cls.INPUTS) != 1:
        raise LstmcError('%s has %d inputs, but an `lstmc data` directory gives one input array' % (model_cls.MODEL_NAME, len(model_cls.INPUTS)))
    want = model_cls.INPUTS[0]['shape']
    got = list(data['train_x'].shape[1:])
    if len(want) != len(got) or any(w is not None and w != g for w, g in zip(want, got)):
        raise LstmcError('the data gives inputs of shape %s, but input %r of %s has shape %s' % (got, model_cls.INPUTS[0]['name'], model_cls.MODEL_NAME, want))
    if data['train_x'].shape[0] != data['train_y'].shape[0]:
        raise LstmcError('train_x has %d samples, train_y %d' % (data['train_x'].shape[0], data['train_y'].shape[0]))

    out_dir = args.out
    device = dist.device

    # Resume?
    state = None
    if dist.main:
        lstmc_recover_dir(out_dir)
    dist.barrier()
    if args.resume:
        p = _lstmc_os.path.join(lstmc_readable_dir(out_dir), 'lstmc.json')
        if _lstmc_os.path.exists(p):
            state = _lstmc_read_json(p, 'training state')
            if state.get('model') != model_cls.MODEL_NAME:
                raise LstmcError('%s holds a checkpoint of model %r, not %r' % (out_dir, state.get('model'), model_cls.MODEL_NAME), 2)
        elif dist.main:
            _lstmc_log('No checkpoint in %s; starting from epoch 1.' % out_dir)

    engine = (state or {}).get('engine') or {}
    epochs = args.epochs if args.epochs is not None else int(t['epochs'])
    # A resumed run keeps the batch size it was started with, unless told otherwise.
    batch_size = args.batch_size if args.batch_size is not None else int(engine.get('batchSize') or t['batchSize'])
    seed = t.get('seed')
    if seed is None:
        seed = engine.get('seed')
    if seed is None:
        seed = dist.broadcast(int.from_bytes(_lstmc_os.urandom(4), 'little') & 0x7FFFFFFF)
    seed = int(seed)

    # The same initial weights on every rank (DDP also broadcasts rank 0's at wrapping).
    _lstmc_torch.manual_seed(seed)
    model = model_cls()
    initial_epoch = 0
    history = {}
    history_rows = []
    es = t.get('earlyStopping')
    best, wait = float('inf'), 0
    if state is None and args.init is not None:
        model.load_tfjs(args.init)
    if state is not None:
        model.load_tfjs(out_dir)
        initial_epoch = int(state.get('epoch', 0))
        history = state.get('history') or {}
        history_rows = _lstmc_history_rows(out_dir, initial_epoch, history)
        if state.get('earlyStopping'):
            best = float(state['earlyStopping'].get('best', best))
            wait = int(state['earlyStopping'].get('wait', 0))
    model.to(device)
    optimizer = lstmc_make_optimizer(t['optimizer'], model.parameters())
    if state is not None:
        npz = _lstmc_os.path.join(lstmc_readable_dir(out_dir), 'torch_state.npz')
        if _lstmc_os.path.exists(npz):
            with _lstmc_np.load(npz, allow_pickle=False) as z:
                optimizer.load_state_arrays({k: z[k] for k in z.files if k.startswith(('slot.', 'scalar.'))})
        if dist.main:
            _lstmc_log('Resuming %s from %s after epoch %d.' % (model_cls.MODEL_NAME, out_dir, initial_epoch))

    net = model
    if dist.world > 1:
        from torch.nn.parallel import DistributedDataParallel

        net = DistributedDataParallel(
            model,
            device_ids=[device.index] if device.type == 'cuda' else None,
            find_unused_parameters=not model_cls.REACHES_OUTPUTS,
        )

    # validationSplit: tfjs `fit` holds out the LAST samples, before any shuffling.
    x_all = _lstmc_torch.from_numpy(data['train_x'])
    y_all = _lstmc_torch.from_numpy(data['train_y'])
    n_train = x_all.shape[0]
    split = float(t.get('validationSplit') or 0)
    n_fit = int(_lstmc_math.floor(n_train * (1 - split))) if split > 0 else n_train
    x_fit, y_fit = x_all[:n_fit].to(device), y_all[:n_fit].to(device)
    x_val, y_val = (x_all[n_fit:].to(device), y_all[n_fit:].to(device)) if n_fit < n_train else (None, None)
    if n_fit == 0:
        raise LstmcError('no training samples left after validationSplit %s' % split)

    outputs_spec = model_cls.OUTPUTS
    loss_fns = lstmc_output_losses(t, len(outputs_spec))
    loss_name = (t.get('losses') or [t['loss']])[0]
    if len(outputs_spec) != 1:
        raise LstmcError('%s has %d outputs, but an `lstmc data` directory gives one target array' % (model_cls.MODEL_NAME, len(outputs_spec)))
    out_shape = outputs_spec[0]['shape']
    if list(data['train_y'].shape[1:]) != [d if d is not None else g for d, g in zip(out_shape, data['train_y'].shape[1:])] or len(out_shape) != data['train_y'].ndim - 1:
        raise LstmcError('the data gives targets of shape %s, but the output of %s has shape %s' % (list(data['train_y'].shape[1:]), model_cls.MODEL_NAME, out_shape))
    metrics = []
    for ident in t.get('metrics', []):
        name, fn = lstmc_metric(ident, loss_name, out_shape[-1] if out_shape else 1)
        metrics.append((0, name, fn))
    names = ['loss'] + [m[1] for m in metrics]

    from torch.utils.data.distributed import DistributedSampler

    sampler = DistributedSampler(range(n_fit), num_replicas=dist.world, rank=dist.rank, shuffle=bool(t.get('shuffle', True)), seed=seed, drop_last=False)
    per_rank_batch = max(1, batch_size // dist.world)
    params = [p for p in model.parameters() if p.requires_grad]
    clip_norm, clip_value = t.get('clipNorm'), t.get('clipValue')
    has_val = x_val is not None
    monitor = 'loss'
    if es:
        monitor = es['monitor'][4:] if es['monitor'].startswith('val_') and not has_val else es['monitor']
    data_info = lstmc_data_info(meta)

    def evaluate(x, y):
        model.eval()
        sums = _LstmcEpochSums(names)
        with _lstmc_torch.no_grad():
            for start in range(0, x.shape[0], batch_size):
                xb, yb = x[start : start + batch_size], y[start : start + batch_size]
                _, values = _lstmc_batch_values(_lstmc_outputs(model(xb)), [yb], loss_fns, metrics)
                sums.add(values, xb.shape[0])
        s = sums.sums()
        return {k: s[j] / max(1.0, s[-1]) for j, k in enumerate(names)}

    def checkpoint(epoch_done, complete, stop_reason):
        if not dist.main:
            return
        files = model.tfjs_files()
        st = {
            'version': 1,
            'model': model_cls.MODEL_NAME,
            'epoch': epoch_done,
            'epochs': epochs,
            'complete': complete,
            'stopReason': stop_reason,
            'history': history,
            'backend': 'torch-%s' % device.type,
            'data': data_info,
            'loss': loss_name,
            'metrics': list(t.get('metrics', [])),
            'savedAt': _lstmc_datetime.datetime.now(_lstmc_datetime.timezone.utc).isoformat().replace('+00:00', 'Z'),
            'engine': {
                'name': 'torch',
                'torch': _lstmc_torch.__version__,
                'worldSize': dist.world,
                'device': device.type,
                'seed': seed,
                'batchSize': batch_size,
            },
        }
        if meta.get('spec') is not None:
            st['specFile'] = meta['spec']
        if es:
            st['earlyStopping'] = {'best': best if _lstmc_math.isfinite(best) else None, 'wait': wait, 'monitor': monitor}
        files['lstmc.json'] = _lstmc_json.dumps(st, indent=1, ensure_ascii=True, allow_nan=False).encode('ascii')
        files['history.csv'] = _lstmc_history_csv(history_rows)
        import io as _io

        buf = _io.BytesIO()
        _lstmc_np.savez(buf, **optimizer.state_arrays())
        files['torch_state.npz'] = buf.getvalue()
        lstmc_write_dir_atomic(out_dir, files)

    stop_reason = 'epochs'
    done = state is not None and state.get('complete') and state.get('stopReason') != 'interrupted' and initial_epoch >= epochs
    if done and dist.main:
        _lstmc_log('The run in %s already finished (%d epochs).' % (out_dir, initial_epoch))
    if dist.main:
        _lstmc_log(
            '%s: PyTorch %s on %s%s; %d training samples%s'
            % (
                model_cls.MODEL_NAME,
                _lstmc_torch.__version__,
                device.type,
                ' x %d processes (%s)' % (dist.world, dist.backend) if dist.world > 1 else '',
                n_fit,
                ', %d validation' % (n_train - n_fit) if has_val else '',
            )
        )
    epoch = initial_epoch
    last_good = initial_epoch
    while not done and epoch < epochs:
        # Dropout and noise draw from a generator seeded per (seed, epoch, rank): a resumed run
        # continues exactly, and ranks do not share masks.
        _lstmc_torch.manual_seed((seed * 1000003 + epoch * 7919 + dist.rank) & 0x7FFFFFFFFFFFFFFF)
        sampler.set_epoch(epoch)
        order = _lstmc_torch.tensor(list(iter(sampler)), dtype=_lstmc_torch.long, device=device)
        model.train()
        sums = _LstmcEpochSums(names)
        t0 = _lstmc_time.perf_counter()
        for start in range(0, order.shape[0], per_rank_batch):
            idx = order[start : start + per_rank_batch]
            xb, yb = x_fit[idx], y_fit[idx]
            optimizer.zero_grad()
            outputs = _lstmc_outputs(net(xb))
            total, values = _lstmc_batch_values(outputs, [yb], loss_fns, metrics)
            total.backward()
            lstmc_clip_gradients(params, clip_norm, clip_value)
            optimizer.step()
            sums.add(values, xb.shape[0])
        s = dist.all_sum(sums.sums())
        seconds = _lstmc_time.perf_counter() - t0
        logs = {k: s[j] / max(1.0, s[-1]) for j, k in enumerate(names)}
        if has_val:
            for k, v in evaluate(x_val, y_val).items():
                logs['val_' + k] = v
        finite = all(_lstmc_math.isfinite(v) for v in logs.values())
        with _lstmc_torch.no_grad():
            finite = finite and all(bool(_lstmc_torch.isfinite(p).all()) for p in params)
        if not finite:
            stop_reason = 'nan'
            if dist.main:
                _lstmc_log(
                    'The loss (or a weight) became NaN or infinite at epoch %d; training stopped.%s Try a lower learningRate, clipNorm, or scaled data.'
                    % (epoch + 1, (' The last good checkpoint (epoch %d) is kept in %s.' % (last_good, out_dir)) if last_good > 0 else ' No epoch completed, so nothing was saved.')
                )
            break
        for k, v in logs.items():
            history.setdefault(k, []).append(v)
        epoch += 1
        epoch_seconds = _lstmc_time.perf_counter() - t0
        elapsed = epoch_seconds
        if history_rows and history_rows[-1]['timing'].get('elapsed_seconds', '') != '':
            elapsed += float(history_rows[-1]['timing']['elapsed_seconds'])
        history_rows.append(
            {
                'epoch': epoch,
                'values': dict(logs),
                'timing': {
                    'seconds': '%.3f' % epoch_seconds,
                    'elapsed_seconds': '%.3f' % elapsed,
                    'samples_per_sec': '%.1f' % (n_fit / epoch_seconds if epoch_seconds > 0 else 0.0),
                    'time': _lstmc_datetime.datetime.now(_lstmc_datetime.timezone.utc).isoformat(timespec='milliseconds').replace('+00:00', 'Z'),
                },
            }
        )
        last_good = epoch
        if es:
            v = logs.get(monitor, logs['loss'])
            if v < best - es.get('minDelta', 0):
                best, wait = v, 0
            else:
                wait += 1
                if wait >= es['patience']:
                    stop_reason = 'earlyStopping'
        complete = epoch >= epochs or stop_reason == 'earlyStopping'
        checkpoint(epoch, complete, stop_reason if complete else 'epochs')
        if dist.main:
            line = {'epoch': epoch, 'epochs': epochs}
            line.update(logs)
            line['samples_per_s'] = n_fit / seconds if seconds > 0 else None
            line['seconds'] = seconds
            print(_lstmc_json.dumps(line), flush=True)
        dist.barrier()
        if stop_reason == 'earlyStopping':
            if dist.main:
                _lstmc_log('Early stopping after epoch %d: %s did not improve for %d epoch(s).' % (epoch, monitor, es['patience']))
            break

    # Data parallelism keeps the replicas equal: every rank's weights are compared (a digest of the
    # TF.js weights.bin bytes each would write), and a difference is an error.
    replicas = None
    if dist.world > 1:
        import hashlib

        digest = hashlib.sha256(b''.join(a.astype('<f4').tobytes() for _, a in model.tfjs_weights())).hexdigest()
        digests = dist.gather(digest)
        replicas = {'world': dist.world, 'weightsSha256': digests, 'identical': len(set(digests)) == 1}
    if dist.main:
        final = {'final': True, 'model': model_cls.MODEL_NAME, 'epochs': epoch, 'stopReason': stop_reason, 'out': out_dir}
        if replicas is not None:
            final['replicas'] = replicas
            if not replicas['identical']:
                _lstmc_log('error: the %d replicas ended with different weights (%s)' % (dist.world, ', '.join(d[:12] for d in replicas['weightsSha256'])))
        if stop_reason != 'nan' and data['test_x'].shape[0] > 0:
            test = evaluate(_lstmc_torch.from_numpy(data['test_x']).to(device), _lstmc_torch.from_numpy(data['test_y']).to(device))
            final['test'] = test
            _lstmc_log('Test metrics: %s' % ', '.join('%s=%.4f' % kv for kv in test.items()))
        print(_lstmc_json.dumps(final), flush=True)
        if stop_reason != 'nan':
            _lstmc_log('Saved %s to %s (model.json + weights.bin + lstmc.json).' % (model_cls.MODEL_NAME, out_dir))
    if replicas is not None and not replicas['identical']:
        return 1
    return 1 if stop_reason == 'nan' else 0


def lstmc_main(model_cls, argv=None):
    """The command line of a generated module.

    python3 <Model>.py train --data DATA_DIR --out RUN_DIR [--epochs N] [--batch-size N] [--resume]
                             [--init TFJS_DIR] [--device cpu|cuda]

    DATA_DIR is what `lstmc data SPEC --out DATA_DIR` writes. RUN_DIR gets what `lstmc train` writes (a
    TF.js layers model + lstmc.json, for `lstmc predict/evaluate/generate`), plus torch_state.npz (the
    optimizer state, for --resume), atomically after every epoch. stdout: one JSON line per epoch
    ({"epoch", "loss", metrics, "val_*", "samples_per_s"}), then {"final": true, ...}; messages go to
    stderr. Under `torchrun --nproc_per_node=N` the batch size stays the global one (each process
    takes batchSize / N samples per step); rank 0 saves and prints.
    """
    parser = _lstmc_argparse.ArgumentParser(prog='%s.py' % model_cls.MODEL_NAME, description='The lstmc model %s in PyTorch.' % model_cls.MODEL_NAME)
    sub = parser.add_subparsers(dest='command')
    tr = sub.add_parser('train', help='train on the arrays of `lstmc data`; save a TF.js model + lstmc.json every epoch')
    tr.add_argument('--data', required=True, help='directory written by `lstmc data SPEC --out DIR`')
    tr.add_argument('--out', required=True, help='run directory (TF.js layers model + lstmc.json)')

    def positive(v):
        if not v.isdigit() or int(v) < 1:
            raise _lstmc_argparse.ArgumentTypeError('expected a positive integer')
        return int(v)

    tr.add_argument('--epochs', type=positive, help='override train.epochs')
    tr.add_argument('--batch-size', type=positive, help='override train.batchSize (global over all processes)')
    tr.add_argument('--resume', action='store_true', help='continue the run checkpointed in --out')
    tr.add_argument('--init', metavar='DIR', help='start from the weights of a TF.js layers model directory (ignored with --resume)')
    tr.add_argument('--device', choices=['cpu', 'cuda'], default='cpu')
    args = parser.parse_args(argv)
    if args.command != 'train':
        parser.print_help()
        return 2
    try:
        return lstmc_train(model_cls, args)
    except LstmcError as e:
        _lstmc_sys.stderr.write('%s.py: error: %s\n' % (model_cls.MODEL_NAME, e))
        return e.code
