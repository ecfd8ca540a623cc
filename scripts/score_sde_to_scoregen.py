#!/usr/bin/python3
"""Convert a score_sde_pytorch checkpoint into plain arrays that scoregen reads without Python.

score_sde_pytorch (Song et al. 2021, "Score-Based Generative Modeling through Stochastic Differential
Equations") saves its training state with torch.save as a pickled dict:

    model      state dict of the torch.nn.DataParallel-wrapped network (keys start with "module.")
    ema        {"decay", "num_updates", "shadow_params"}: shadow_params is a list holding the exponential
               moving average of every parameter that requires a gradient, in model.parameters() order
    optimizer  the optimizer's state dict (ignored here)
    step       the training step

Reading that pickle needs PyTorch, so `scoregen import score-sde` runs this script with Debian's python3-torch
(/usr/bin/python3). It writes OUT_DIR containing

    manifest.toml  format, version, step, which weights were written (ema or raw), the EMA decay and update
                   count, then one [[tensor]] table per state-dict entry, in state-dict order:
                   name (the key without "module."), file, shape, kind ("parameter" or "buffer"),
                   from_ema (whether the values are the EMA shadow) and source_dtype
    NNNN.npy       one array per tensor: NumPy format 1.0, little-endian float32, C order

With --ema (the default) every parameter that has an EMA shadow is written with the shadow's value, which is
what score_sde_pytorch samples and evaluates with; --raw writes the state dict as trained. Buffers (the
`sigmas` table) and the one parameter score_sde_pytorch never trains (the random Fourier projection of NCSN++,
`all_modules.0.W`) always come from the state dict (unless the shadow list holds one more tensor, for it). float64/float16/bfloat16 tensors are converted to float32
(the manifest keeps their source dtype); integer, boolean or complex tensors, and non-finite values, are refused.

The checkpoint is read with torch.load(weights_only=True), which unpickles tensors and plain containers only;
where that PyTorch's weights-only reader is narrower than the file (PyTorch 1.13 refuses Python floats, and
every score_sde_pytorch checkpoint holds some), with this script's own reader of torch.save's zip format,
which is as restrictive (plain containers, numbers, ordered dicts and tensors, nothing else). A checkpoint that needs more than that is refused unless
--trust-checkpoint is given: a pickle can run code.

Exit status: 0 on success; 2 on any problem, with one line on stderr naming the first one found. Nothing is
left at OUT_DIR on failure (the arrays are written to a temporary sibling directory and renamed at the end).

Example:
    /usr/bin/python3 scripts/score_sde_to_scoregen.py checkpoint_26.pth converted/ --ema
"""
import argparse
import math
import os
import re
import shutil
import sys
import tempfile

PROG = "score_sde_to_scoregen"
FORMAT = "scoregen-score-sde-tensors"
VERSION = 1
PREFIX = "module."
# Buffers that score_sde_pytorch networks register (the noise-level table of ncsnpp, ddpm and ncsnv2).
BUFFER_NAMES = {"sigmas"}
# Keys written as plain file-system-safe, dot-separated identifiers only.
KEY_RE = re.compile(r"^[A-Za-z0-9_]+(\.[A-Za-z0-9_]+)*$")


class ConversionError(Exception):
    """A problem with the input; its message is the one line printed before exiting with status 2."""


def toml_value(value):
    """A TOML literal for a string, bool, int, float or (nested) list of those."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            raise ValueError("TOML output here holds finite floats only")
        text = repr(value)
        return text if any(c in text for c in ".eE") else text + ".0"
    if isinstance(value, str):
        escaped = value.replace("\\", "\\\\").replace('"', '\\"')
        escaped = "".join(c if c >= " " and c != "\x7f" else "\\u%04x" % ord(c) for c in escaped)
        return '"' + escaped + '"'
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    raise TypeError(f"no TOML form for {type(value).__name__}")


def import_torch():
    try:
        import numpy  # noqa: F401
        import torch
    except ImportError as exc:
        raise ConversionError(
            f"needs PyTorch and NumPy ({exc}); run it with Debian's python3-torch: /usr/bin/python3") from exc
    return torch


STORAGE_DTYPES = {
    "FloatStorage": "float32", "DoubleStorage": "float64", "HalfStorage": "float16",
    "BFloat16Storage": "bfloat16", "LongStorage": "int64", "IntStorage": "int32", "ShortStorage": "int16",
    "CharStorage": "int8", "ByteStorage": "uint8", "BoolStorage": "bool",
}


class NumpyDtype:
    """numpy.dtype as a pickle names it: its type code ("f8") and byte order, nothing that runs."""

    def __init__(self, code, align=False, copy=True):
        self.code, self.order = str(code), "<"

    def __setstate__(self, state):
        if isinstance(state, tuple) and len(state) > 1 and state[1] in ("<", ">", "|", "="):
            self.order = state[1]


# struct formats of the numeric numpy scalars a checkpoint may hold (numpy.float64(2e-4) and the like)
NUMPY_SCALARS = {"f8": "d", "f4": "f", "f2": "e", "i8": "q", "i4": "i", "i2": "h", "i1": "b",
                 "u8": "Q", "u4": "I", "u2": "H", "u1": "B", "b1": "?"}


def numpy_scalar(dtype, data=None):
    """A numpy scalar of a numeric dtype, read from its bytes as the Python number it holds."""
    import pickle
    import struct

    code = dtype.code if isinstance(dtype, NumpyDtype) else None
    if code not in NUMPY_SCALARS or not isinstance(data, (bytes, bytearray)):
        raise pickle.UnpicklingError(f"it holds a numpy scalar of type {code or dtype!r}, which is not a number")
    return struct.unpack((">" if dtype.order == ">" else "<") + NUMPY_SCALARS[code], bytes(data))[0]


def latin1_bytes(text, encoding="utf-8"):
    """_codecs.encode as protocol-2 pickles use it for bytes: a latin-1 string to its bytes, nothing else."""
    import pickle

    if encoding not in ("latin1", "latin-1") or not isinstance(text, str):
        raise pickle.UnpicklingError("it encodes text other than latin-1 bytes")
    return text.encode("latin1")


def read_zip_checkpoint(path):
    """Reads torch.save's zip format with an unpickler that builds ordered dicts and tensors and nothing else,
    so no code from the file runs. (torch.load(weights_only=True) does the same, but PyTorch 1.13's refuses
    Python floats, and every score_sde_pytorch checkpoint holds some; and 1.13's torch.load ignores a
    pickle_module argument unless weights_only is set, so a restricted unpickler cannot be passed to it.)"""
    import collections
    import pickle
    import zipfile

    torch = import_torch()
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
        pickles = [n for n in names if n.endswith("/data.pkl") and n.count("/") == 1]
        if len(pickles) != 1:
            raise ConversionError(f"{path}: a zip file, but not one torch.save wrote (no single */data.pkl)")
        prefix = pickles[0][: -len("data.pkl")]
        if prefix + "byteorder" in names and archive.read(prefix + "byteorder").strip() != b"little":
            raise ConversionError(f"{path}: written on a big-endian machine, which this reader does not handle")
        storages = {}

        def storage(storage_type, key, numel):
            if key not in storages:
                dtype = getattr(torch, STORAGE_DTYPES[storage_type])
                data = bytearray(archive.read(f"{prefix}data/{key}"))
                flat = (torch.frombuffer(data, dtype=dtype) if data else torch.empty(0, dtype=dtype)).clone()
                storages[key] = flat
            return storages[key]

        def rebuild_tensor(flat, offset, size, stride, *_):
            return flat.as_strided(tuple(size), tuple(stride), offset).clone()

        def rebuild_parameter(data, *_):
            return data

        allowed = {
            ("collections", "OrderedDict"): collections.OrderedDict,
            ("torch._utils", "_rebuild_tensor_v2"): rebuild_tensor,
            ("torch._utils", "_rebuild_parameter"): rebuild_parameter,
            # score_sde_pytorch's optimization_manager stores the learning rate as a numpy.float64: a number
            ("numpy.core.multiarray", "scalar"): numpy_scalar,
            ("numpy._core.multiarray", "scalar"): numpy_scalar,
            ("numpy", "dtype"): NumpyDtype,
            ("_codecs", "encode"): latin1_bytes,
        }

        class Unpickler(pickle.Unpickler):
            def find_class(self, module, name):
                if module == "torch" and name in STORAGE_DTYPES:
                    return name
                if (module, name) in allowed:
                    return allowed[(module, name)]
                raise pickle.UnpicklingError(f"it refers to {module}.{name}, which a checkpoint of tensors "
                                             "does not need")

            def persistent_load(self, pid):
                if not (isinstance(pid, tuple) and len(pid) == 5 and pid[0] == "storage"
                        and pid[1] in STORAGE_DTYPES):
                    raise pickle.UnpicklingError(f"unexpected storage reference {pid!r}")
                return storage(pid[1], str(pid[2]), pid[4])

        with archive.open(pickles[0]) as f:
            return Unpickler(f, encoding="utf-8").load()


def short_message(exc):
    """The last line of an exception's message (PyTorch puts the specific reason last)."""
    text = str(exc).strip()
    return text.splitlines()[-1] if text else type(exc).__name__


def load_checkpoint(path, trust):
    """torch.load(weights_only=True); where this PyTorch's weights-only reader refuses the file, an equally
    restricted reader of torch.save's zip format (read_zip_checkpoint); full unpickling only when trusted."""
    import zipfile

    torch = import_torch()
    if not os.path.isfile(path):
        raise ConversionError(f"{path}: no such file")
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except Exception:  # no weights_only in this PyTorch (TypeError), or its reader is too narrow
        pass
    problem = "not a zip file as torch.save writes since PyTorch 1.6"
    if zipfile.is_zipfile(path):
        try:
            return read_zip_checkpoint(path)
        except ConversionError:
            raise
        except Exception as exc:
            problem = short_message(exc)
    if not trust:
        raise ConversionError(f"{path}: not readable as plain tensors and containers ({problem}); "
                              "if you trust the file, pass --trust-checkpoint")
    try:
        return torch.load(path, map_location="cpu")
    except Exception as exc:
        raise ConversionError(f"{path}: cannot be read: {type(exc).__name__}: {short_message(exc)}") from exc


def strip_prefix(state_dict):
    """The state dict's entries as (name, tensor) with the DataParallel prefix removed."""
    keys = list(state_dict.keys())
    bad = next((k for k in keys if not isinstance(k, str)), None)
    if bad is not None:
        raise ConversionError(f"`model` has a key that is not a string: {bad!r}")
    prefixed = [k.startswith(PREFIX) for k in keys]
    if any(prefixed) and not all(prefixed):
        odd = keys[prefixed.index(False)]
        raise ConversionError(f"`model` mixes keys with and without the `{PREFIX}` prefix (e.g. `{odd}`)")
    cut = len(PREFIX) if keys and all(prefixed) else 0
    entries = [(k[cut:], state_dict[k]) for k in keys]
    for name, _ in entries:
        if not KEY_RE.match(name):
            raise ConversionError(f"`model` key `{name}` is not a dot-separated identifier")
    return entries


def is_untrained_parameter(name, tensor):
    """NCSN++'s Gaussian Fourier projection: a parameter created with requires_grad=False, so no EMA shadow."""
    return name == "all_modules.0.W" and tensor.dim() == 1


def check_tensor(torch, name, tensor, what):
    if not isinstance(tensor, torch.Tensor):
        raise ConversionError(f"{what} `{name}` is a {type(tensor).__name__}, not a tensor")
    if not tensor.is_floating_point():
        raise ConversionError(f"{what} `{name}` has dtype {str(tensor.dtype).replace('torch.', '')}, not a float")
    if tensor.layout != torch.strided:
        raise ConversionError(f"{what} `{name}` is a {tensor.layout} tensor, not a dense one")


def plan(checkpoint, use_ema):
    """The ordered list of (name, kind, from_ema, tensor) to write, plus the manifest header values."""
    torch = import_torch()
    if not isinstance(checkpoint, dict):
        raise ConversionError(f"the checkpoint is a {type(checkpoint).__name__}, not score_sde_pytorch's dict")
    if "model" not in checkpoint:
        raise ConversionError("the checkpoint has no `model` key (keys: "
                              + ", ".join(sorted(map(str, checkpoint.keys()))) + ")")
    state = checkpoint["model"]
    if not isinstance(state, dict) or not state:
        raise ConversionError("`model` is not a non-empty state dict")
    entries = strip_prefix(state)
    for name, tensor in entries:
        check_tensor(torch, name, tensor, "tensor")

    rows = []
    trained = []  # indices into rows of the parameters that have an EMA shadow, in order
    parameters = []  # the same, plus parameters that are never trained
    for name, tensor in entries:
        if name in BUFFER_NAMES:
            rows.append([name, "buffer", False, tensor])
        else:
            rows.append([name, "parameter", False, tensor])
            parameters.append(len(rows) - 1)
            if not is_untrained_parameter(name, tensor):
                trained.append(len(rows) - 1)

    header = {}
    step = checkpoint.get("step")
    if step is not None:
        if isinstance(step, torch.Tensor) and step.numel() == 1 and not step.is_floating_point():
            step = int(step.item())
        if isinstance(step, bool) or not isinstance(step, int):
            raise ConversionError(f"`step` is a {type(step).__name__}, not an integer")
        header["step"] = step

    ema = checkpoint.get("ema")
    if use_ema:
        if ema is None:
            raise ConversionError("the checkpoint has no `ema` key; pass --raw to convert the trained weights")
        if not isinstance(ema, dict) or "shadow_params" not in ema:
            raise ConversionError("`ema` has no `shadow_params` list")
        shadow = ema["shadow_params"]
        if not isinstance(shadow, (list, tuple)):
            raise ConversionError(f"`ema.shadow_params` is a {type(shadow).__name__}, not a list")
        if len(shadow) == len(parameters) != len(trained):
            trained = parameters  # an EMA written over all parameters, the untrained one included
        if len(shadow) != len(trained):
            raise ConversionError(f"`ema.shadow_params` holds {len(shadow)} tensors but `model` has "
                                  f"{len(trained)} trained parameters")
        for index, value in zip(trained, shadow):
            name, _, _, tensor = rows[index]
            check_tensor(torch, name, value, "EMA shadow of")
            if tuple(value.shape) != tuple(tensor.shape):
                raise ConversionError(f"EMA shadow of `{name}` has shape {list(value.shape)} but the parameter "
                                      f"has {list(tensor.shape)} (shadow #{trained.index(index)})")
            rows[index][2] = True
            rows[index][3] = value
        for key in ("decay", "num_updates"):
            value = ema.get(key)
            if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
                header["ema_" + key] = value
    header["weights"] = "ema" if use_ema else "raw"

    for name, _, _, tensor in rows:
        if tensor.numel() and not bool(torch.isfinite(tensor).all()):
            raise ConversionError(f"tensor `{name}` has non-finite values")
    return rows, header


def write(rows, header, out_dir, source):
    import numpy as np
    torch = import_torch()

    out_dir = os.path.abspath(out_dir)
    if os.path.lexists(out_dir) and not (os.path.isdir(out_dir) and not os.listdir(out_dir)):
        raise ConversionError(f"{out_dir}: exists and is not an empty directory")
    parent = os.path.dirname(out_dir)
    if not os.path.isdir(parent):
        raise ConversionError(f"{parent}: no such directory")
    tmp = tempfile.mkdtemp(prefix=os.path.basename(out_dir) + ".tmp-", dir=parent)
    try:
        lines = [f"format = {toml_value(FORMAT)}", f"version = {VERSION}",
                 f"source = {toml_value(os.path.basename(source))}"]
        for key in ("step", "weights", "ema_decay", "ema_num_updates"):
            if key in header:
                lines.append(f"{key} = {toml_value(header[key])}")
        for index, (name, kind, from_ema, tensor) in enumerate(rows):
            file_name = f"{index:04d}.npy"
            array = tensor.detach().to(torch.float32).contiguous().numpy()
            if not np.isfinite(array).all():
                raise ConversionError(f"tensor `{name}` overflows float32")
            try:
                np.save(os.path.join(tmp, file_name), np.ascontiguousarray(array, dtype="<f4"), allow_pickle=False)
            except (OSError, ValueError) as exc:  # numpy's "N requested and M written": the disk or a size limit
                raise ConversionError(f"cannot write the converted tensors into {parent} ({exc}): is the disk full, "
                                      "or a file-size limit (ulimit -f) set?") from exc
            lines += ["", "[[tensor]]", f"name = {toml_value(name)}", f"file = {toml_value(file_name)}",
                      f"shape = {toml_value(list(tensor.shape))}", f"kind = {toml_value(kind)}",
                      f"from_ema = {toml_value(from_ema)}",
                      f"source_dtype = {toml_value(str(tensor.dtype).replace('torch.', ''))}"]
        with open(os.path.join(tmp, "manifest.toml"), "w", encoding="utf-8") as f:
            f.write("\n".join(lines) + "\n")
        if os.path.isdir(out_dir):
            os.rmdir(out_dir)  # empty, checked above
        os.rename(tmp, out_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out_dir


def convert(checkpoint_path, out_dir, use_ema=True, trust=False):
    """Library entry point: convert and return the output directory; raises ConversionError on a problem."""
    checkpoint = load_checkpoint(checkpoint_path, trust)
    rows, header = plan(checkpoint, use_ema)
    return write(rows, header, out_dir, checkpoint_path)


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog=PROG, description=__doc__.split("\n\n")[0],
        epilog="Writes OUT_DIR/manifest.toml and one little-endian float32 .npy per tensor; exit 2 on error. "
               "See the module docstring (or docs/score_sde_networks.md) for the manifest's fields.")
    parser.add_argument("checkpoint", help="score_sde_pytorch checkpoint (.pth): dict with model, ema, step")
    parser.add_argument("out_dir", help="directory to create (must not exist, or be empty)")
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--ema", dest="ema", action="store_true", default=True,
                       help="write the EMA shadow values as the parameters (default)")
    group.add_argument("--raw", dest="ema", action="store_false",
                       help="write the trained parameters as saved in `model`")
    parser.add_argument("--trust-checkpoint", action="store_true",
                        help="fall back to full unpickling (runs code from the file) if weights-only loading "
                             "refuses it")
    parser.add_argument("-q", "--quiet", action="store_true", help="print nothing on success")
    args = parser.parse_args(argv)
    try:
        out = convert(args.checkpoint, args.out_dir, use_ema=args.ema, trust=args.trust_checkpoint)
    except ConversionError as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return 2
    if not args.quiet:
        print(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
