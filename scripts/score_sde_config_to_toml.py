#!/usr/bin/env python3
"""A score_sde_pytorch config file (configs/vp/cifar10_ddpmpp_continuous.py and the like, with a user's edits) as
the TOML of score_sde's own layout that `scoregen import score-sde --config` reads: its [training], [data], [model]
and [sampling] tables, key for key.

    python3 score_sde_config_to_toml.py CONFIG.py OUT.toml

The file's get_config() is called. Its own imports are found as in a score_sde_pytorch checkout: the folders above
the file are searched for the `configs` package (configs.default_cifar10_configs). Where ml_collections is not
installed, a minimal stand-in (ConfigDict: nested attributes) takes its place. Errors: exit 2 and one line.
"""
import importlib.util
import math
import pathlib
import sys
import types

SECTIONS = ("training", "data", "model", "sampling")


class ConversionError(Exception):
    pass


class ConfigDict:
    """The part of ml_collections.ConfigDict that score_sde's configs use: attributes, nested, read back as a dict."""

    def __init__(self, initial=None, **_):
        object.__setattr__(self, "_fields", dict(initial or {}))

    def __getattr__(self, name):
        fields = object.__getattribute__(self, "_fields")
        if name in fields:
            return fields[name]
        raise AttributeError(name)

    def __setattr__(self, name, value):
        self._fields[name] = value

    def __getitem__(self, name):
        return self._fields[name]

    def __setitem__(self, name, value):
        self._fields[name] = value

    def __contains__(self, name):
        return name in self._fields

    def items(self):
        return self._fields.items()

    def to_dict(self):
        return {k: v.to_dict() if isinstance(v, ConfigDict) else v for k, v in self._fields.items()}


def provide_ml_collections():
    try:
        import ml_collections  # noqa: F401
    except ImportError:
        stand_in = types.ModuleType("ml_collections")
        stand_in.ConfigDict = ConfigDict
        sys.modules["ml_collections"] = stand_in


def as_dict(node):
    if hasattr(node, "to_dict"):
        return node.to_dict()
    if isinstance(node, dict):
        return node
    return {k: v for k, v in node.items()}


def toml_value(value, where):
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ConversionError(f"{where} = {value} is not a finite number")
        return repr(value)
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, (tuple, list)):
        return "[" + ", ".join(toml_value(v, where) for v in value) + "]"
    return None  # not data (a torch.device, a function): left out


def load_config(path):
    path = pathlib.Path(path).resolve()
    if not path.is_file():
        raise ConversionError(f"{path}: no such file")
    for folder in path.parents:  # a checkout's root holds the `configs` package its files import
        if (folder / "configs").is_dir():
            sys.path.insert(0, str(folder))
            break
    sys.path.insert(0, str(path.parent))
    provide_ml_collections()
    spec = importlib.util.spec_from_file_location("scoregen_score_sde_config", path)
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except ModuleNotFoundError as exc:
        raise ConversionError(f"{path}: imports {exc.name}, which is not found (give the file inside its "
                              "score_sde_pytorch checkout, where configs/ is)") from exc
    except Exception as exc:
        raise ConversionError(f"{path}: cannot be run: {type(exc).__name__}: {exc}") from exc
    if not hasattr(module, "get_config"):
        raise ConversionError(f"{path}: has no get_config() (not a score_sde_pytorch config file)")
    try:
        return module.get_config()
    except Exception as exc:
        raise ConversionError(f"{path}: get_config() failed: {type(exc).__name__}: {exc}") from exc


def to_toml(config, path):
    lines = [f"# score_sde_pytorch's config {path}, as get_config() returns it"]
    for section in SECTIONS:
        try:
            table = as_dict(getattr(config, section))
        except AttributeError:
            continue
        lines.append(f"\n[{section}]")
        for key, value in table.items():
            text = toml_value(value, f"config.{section}.{key}")
            if text is not None:
                lines.append(f"{key} = {text}")
    return "\n".join(lines) + "\n"


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 2:
        print("usage: score_sde_config_to_toml.py CONFIG.py OUT.toml", file=sys.stderr)
        return 2
    try:
        text = to_toml(load_config(argv[0]), argv[0])
    except ConversionError as exc:
        print(exc, file=sys.stderr)
        return 2
    pathlib.Path(argv[1]).write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
