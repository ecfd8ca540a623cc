#!/usr/bin/python3
"""Development-time only: writes tests/fixtures/score_sde/, reference outputs of score_sde_pytorch's networks.

Not shipped, not run by the build or the tests. It needs an extracted copy of score_sde_pytorch
(https://github.com/yang-song/score_sde_pytorch, commit cb1f359 was used), whose model code it imports and runs;
nothing of that code is copied here or into the fixtures. Run it with Debian's python3-torch:

    git clone https://github.com/yang-song/score_sde_pytorch /tmp/score_sde   # or any extracted tree
    /usr/bin/python3 scripts/make_score_sde_fixtures.py /tmp/score_sde [--out tests/fixtures/score_sde]

Their `op` package compiles CUDA kernels when imported; this script replaces torch.utils.cpp_extension.load
with a no-op while importing it, which is harmless on the CPU, where their up/down-sampling uses the pure
PyTorch path. No ml_collections, TensorFlow or JAX is needed: the networks read a config through attribute
access only, so a small namespace object stands in for the config.

For each network in NETWORKS (tiny versions of the published configs, see docs/score_sde_networks.md) it
writes a directory with
    checkpoint.pth  score_sde_pytorch's own format: {"model": DataParallel state dict ("module." keys),
                    "ema": {"decay", "num_updates", "shadow_params"}, "optimizer": Adam state dict, "step"}
    config.toml     every config value the network and its score function read, and what each file holds
    x.npy           inputs (B, C, H, W), float32
    t.npy           SDE times (B,), float32
    labels.npy      the network's second argument (B,), float32, as get_score_fn computes it from t
    output.npy      the network's output for (x, labels) with the EMA weights, eval mode (no dropout)
    score.npy       get_score_fn(sde, model, continuous)(x, t) with the EMA weights
and, for the networks in LIKELIHOOD, a bits/dim reference computed by score_sde_pytorch's own likelihood.py
(get_likelihood_fn with the settings in LIKELIHOOD_SETTINGS, EMA weights, eval mode):
    nll_data.npy         B 8-bit images k/255 (k from a fixed seed), scaled by their data scaler (2v - 1 when
                         centered), float32: what a score_sde user would dump from a test set
    nll_dequantized.npy  the same images uniformly dequantized as their datasets.py does, (k + U)/256 with
                         U ~ Uniform[0, 1), then scaled, float32: what their run_lib.evaluate feeds likelihood_fn
    nll_probe.npy        the Rademacher probe (+-1, float32) their likelihood_fn drew with torch.randint_like
                         (recorded by wrapping that function for the call)
    nll_bpd.npy          (B,) float64: the bits/dim their likelihood_fn returned (a float32 tensor) for
                         nll_dequantized with that probe, including their offset 7 - inverse_scaler(-1)
The scipy settings, the number of function evaluations scipy reported and the offset go to config.toml's
[likelihood] table.
All weights are random and non-zero (their initialisation zeroes biases and scales some layers to 1e-10, which
would leave those layers untested); the EMA shadow differs from the raw weights by a small perturbation so the
converter's --ema/--raw choice is visible.
"""
import argparse
import os
import pathlib
import sys
import types

import numpy as np
import torch

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from score_sde_to_scoregen import toml_value  # noqa: E402

B = 4

BASE_MODEL = dict(
    name="ncsnpp", nf=8, ch_mult=(1, 2), num_res_blocks=1, attn_resolutions=(8,), dropout=0.1,
    resamp_with_conv=True, conditional=True, fir=True, fir_kernel=[1, 3, 3, 1], skip_rescale=True,
    resblock_type="biggan", progressive="none", progressive_input="residual", progressive_combine="sum",
    attention_type="ddpm", init_scale=0.0, embedding_type="fourier", fourier_scale=16.0, conv_size=3,
    scale_by_sigma=True, nonlinearity="swish", normalization="GroupNorm", ema_rate=0.999,
    sigma_min=0.01, sigma_max=50.0, num_scales=1000, beta_min=0.1, beta_max=20.0)
BASE_DATA = dict(image_size=16, num_channels=3, centered=False)

# name: (published config it shrinks, sde, continuous, model overrides, data overrides)
NETWORKS = {
    "ve_ncsnpp_continuous": (
        "ve/cifar10_ncsnpp_continuous", "vesde", True, {}, {}),
    "ve_ncsnpp_skip_continuous": (
        "ve/ffhq_256_ncsnpp_continuous (also celebahq_256, bedroom, church, 1024 px)", "vesde", True,
        dict(ch_mult=(1, 2, 2), attn_resolutions=(14,), progressive="output_skip", progressive_input="input_skip",
             dropout=0.0, sigma_max=90.0, num_scales=2000),
        dict(image_size=28, num_channels=1)),
    "ve_ncsnpp_discrete": (
        "ve/cifar10_ncsnpp (also ve/celeba_ncsnpp)", "vesde", False,
        dict(embedding_type="positional"), {}),
    "vp_ddpmpp_continuous": (
        "vp/cifar10_ddpmpp_continuous (network also in subvp/cifar10_ddpmpp_continuous)", "vpsde", True,
        dict(fir=False, progressive_input="none", embedding_type="positional", scale_by_sigma=False,
             ema_rate=0.9999), dict(centered=True)),
    "vp_ddpmpp_discrete": (
        "vp/cifar10_ddpmpp", "vpsde", False,
        dict(fir=False, progressive_input="none", embedding_type="positional", scale_by_sigma=False,
             ema_rate=0.9999), dict(centered=True)),
    "subvp_ncsnpp_continuous": (
        "subvp/cifar10_ncsnpp_continuous (network also in vp/cifar10_ncsnpp_continuous)", "subvpsde", True,
        dict(embedding_type="positional", scale_by_sigma=False, ema_rate=0.9999), dict(centered=True)),
}
SAMPLING_EPS = {"vesde": 1e-5, "vpsde": 1e-3, "subvpsde": 1e-3}  # run_lib.py's sampling_eps
# Networks that also get a bits/dim reference from their likelihood.py, and the arguments of its
# get_likelihood_fn (their defaults, which run_lib.evaluate uses).
LIKELIHOOD = ("vp_ddpmpp_continuous", "ve_ncsnpp_continuous")
LIKELIHOOD_SETTINGS = dict(hutchinson_type="Rademacher", rtol=1e-5, atol=1e-5, method="RK45", eps=1e-5)


def import_score_sde(tree):
    tree = os.path.abspath(tree)
    if not os.path.isfile(os.path.join(tree, "models", "ncsnpp.py")):
        sys.exit(f"{tree}: not a score_sde_pytorch tree (no models/ncsnpp.py)")
    sys.path.insert(0, tree)
    import torch.utils.cpp_extension as cpp_extension
    real_load = cpp_extension.load
    cpp_extension.load = lambda *args, **kwargs: None  # op/ would compile CUDA kernels at import
    try:
        import op  # noqa: F401
        from models import ncsnpp, utils as mutils  # noqa: F401  (ncsnpp registers the model)
        import sde_lib
    finally:
        cpp_extension.load = real_load
    return mutils, sde_lib


def make_config(sde, continuous, model, data):
    ns = types.SimpleNamespace
    return ns(model=ns(**model), data=ns(**data), training=ns(sde=sde, continuous=continuous),
              device=torch.device("cpu"))


def randomize(module, gen):
    """Every parameter random and non-zero, scaled so activations stay of order one."""
    with torch.no_grad():
        for name, p in module.named_parameters():
            if name == "all_modules.0.W":  # Gaussian Fourier projection: keep its N(0, scale^2) meaning
                continue
            if p.dim() == 1:
                base = 1.0 if name.endswith(".weight") and _is_groupnorm(module, name) else 0.0
                p.copy_(base + 0.1 * torch.randn(p.shape, generator=gen))
            else:
                fan_in = p.shape[0] if name.endswith(".W") else int(np.prod(p.shape[1:]))
                p.copy_(torch.randn(p.shape, generator=gen) / np.sqrt(fan_in))


def _is_groupnorm(module, param_name):
    owner = module.get_submodule(param_name.rsplit(".", 1)[0]) if "." in param_name else module
    return isinstance(owner, torch.nn.GroupNorm)


def make_sde(sde_lib, sde, model):
    if sde == "vesde":
        return sde_lib.VESDE(sigma_min=model["sigma_min"], sigma_max=model["sigma_max"], N=model["num_scales"])
    cls = sde_lib.VPSDE if sde == "vpsde" else sde_lib.subVPSDE
    return cls(beta_min=model["beta_min"], beta_max=model["beta_max"], N=model["num_scales"])


def labels_for(sde, sde_obj, continuous, t):
    """The network's second argument as score_sde_pytorch's get_score_fn derives it from t."""
    if sde == "vesde":
        if continuous:
            return sde_obj.marginal_prob(torch.zeros(t.shape[0], 1, 1, 1), t)[1]
        return torch.round((sde_obj.T - t) * (sde_obj.N - 1)).long()
    if continuous or sde == "subvpsde":
        return t * 999
    return t * (sde_obj.N - 1)


def data_scalers(centered):
    """datasets.get_data_scaler / get_data_inverse_scaler, written out here: importing their datasets.py
    would pull in TensorFlow, TensorFlow Datasets and JAX."""
    if centered:
        return (lambda v: v * 2. - 1.), (lambda x: (x + 1.) / 2.)
    return (lambda v: v), (lambda x: x)


def likelihood_reference(likelihood, sde_obj, model, centered, shape, gen, probe_seed):
    """Their likelihood_fn on B uniformly dequantized 8-bit images; returns the arrays to save and the nfe."""
    scaler, inverse_scaler = data_scalers(centered)
    k = torch.randint(0, 256, shape, generator=gen).to(torch.float32)
    # tf.image.convert_image_dtype(uint8 -> float32) multiplies by 1/255; with uniform_dequantization
    # datasets.py then takes (U + img * 255) / 256, U ~ Uniform[0, 1).
    v = k * (1. / 255.)
    u = torch.rand(shape, generator=gen)
    v_deq = (u + v * 255.) / 256.
    data, dequantized = scaler(v), scaler(v_deq)

    likelihood_fn = likelihood.get_likelihood_fn(sde_obj, inverse_scaler, **LIKELIHOOD_SETTINGS)
    drawn = []
    real_randint_like = torch.randint_like

    def recording_randint_like(*args, **kwargs):  # their likelihood_fn draws the probe with this
        value = real_randint_like(*args, **kwargs)
        drawn.append(value.clone())
        return value

    torch.manual_seed(probe_seed)
    torch.randint_like = recording_randint_like
    try:
        bpd, _, nfe = likelihood_fn(model, dequantized)
    finally:
        torch.randint_like = real_randint_like
    assert len(drawn) == 1, "likelihood_fn drew the probe more than once"
    probe = drawn[0].float() * 2 - 1.  # as their likelihood_fn turns it into epsilon
    offset = 7. - inverse_scaler(-1.)  # as their likelihood_fn adds it
    return dict(nll_data=data, nll_dequantized=dequantized, nll_probe=probe), bpd, nfe, offset


def write_toml(path, header, tables):
    lines = [f"{k} = {toml_value(v)}" for k, v in header.items()]
    for table, values in tables.items():
        lines += ["", f"[{table}]"] + [f"{k} = {toml_value(v)}" for k, v in values.items()]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def build(name, spec, out_root, mutils, sde_lib, likelihood, seed):
    mirrors, sde, continuous, model_over, data_over = spec
    model = dict(BASE_MODEL, **model_over)
    data = dict(BASE_DATA, **data_over)
    config = make_config(sde, continuous, model, data)
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)

    net = mutils.get_model(model["name"])(config)
    randomize(net, gen)
    wrapped = torch.nn.DataParallel(net)  # on the CPU it only wraps: state dict keys gain "module."
    trainable = [p for p in wrapped.parameters() if p.requires_grad]
    shadow = [(p + 0.02 * torch.randn(p.shape, generator=gen)).detach() for p in trainable]
    optimizer = torch.optim.Adam(wrapped.parameters(), lr=2e-4)
    checkpoint = {
        "optimizer": optimizer.state_dict(),
        "model": wrapped.state_dict(),
        "ema": {"decay": model["ema_rate"], "num_updates": 17, "shadow_params": shadow},
        "step": 4242,
    }

    # Evaluate with the EMA weights, as score_sde_pytorch does for sampling.
    with torch.no_grad():
        for p, s in zip(trainable, shadow):
            p.copy_(s)
    sde_obj = make_sde(sde_lib, sde, model)
    eps = SAMPLING_EPS[sde]
    t = torch.tensor([eps, 0.25, 0.6, 1.0], dtype=torch.float32)
    c, size = data["num_channels"], data["image_size"]
    x = torch.rand(B, c, size, size, generator=gen)  # data in [0, 1] ...
    if data["centered"]:
        x = 2 * x - 1  # ... or [-1, 1]
    mean, std = sde_obj.marginal_prob(x, t)
    x = (mean + std[:, None, None, None] * torch.randn(x.shape, generator=gen)).float()  # a perturbed input
    labels = labels_for(sde, sde_obj, continuous, t)
    wrapped.eval()
    with torch.no_grad():
        output = wrapped(x, labels)
        score_fn = mutils.get_score_fn(sde_obj, wrapped, train=False, continuous=continuous)
        score = score_fn(x, t)
    files = ["checkpoint.pth", "x.npy", "t.npy", "labels.npy", "output.npy", "score.npy"]
    arrays = dict(x=x, t=t, labels=labels, output=output, score=score)
    tables = {}
    if name in LIKELIHOOD:
        probe_seed = 1000 + seed
        nll, bpd, nfe, offset = likelihood_reference(
            likelihood, sde_obj, wrapped, data["centered"], (B, c, size, size), gen, probe_seed)
        arrays.update(nll)
        files += [f"{file}.npy" for file in nll] + ["nll_bpd.npy"]
        tables["likelihood"] = dict(
            function="likelihood.get_likelihood_fn", data="nll_dequantized.npy", probe="nll_probe.npy",
            probe_seed=probe_seed, **LIKELIHOOD_SETTINGS, nfe=int(nfe), offset=float(offset),
            bpd_dtype=str(bpd.dtype).replace("torch.", ""))

    out = out_root / name
    out.mkdir(parents=True, exist_ok=True)
    torch.save(checkpoint, out / "checkpoint.pth")
    for file, value in arrays.items():
        np.save(out / f"{file}.npy", np.ascontiguousarray(value.detach().to(torch.float32).numpy(), dtype="<f4"))
    if "likelihood" in tables:
        np.save(out / "nll_bpd.npy", np.ascontiguousarray(bpd.detach().numpy(), dtype="<f8"))
    keys = list(checkpoint["model"].keys())
    write_toml(out / "config.toml", {
        "mirrors": mirrors,
        "generator": "scripts/make_score_sde_fixtures.py",
        "seed": seed,
        "batch": B,
        "output_dtype": str(output.dtype).replace("torch.", ""),
        "score_dtype": str(score.dtype).replace("torch.", ""),
        "state_dict_entries": len(keys),
        "ema_shadow_params": len(shadow),
        "step": checkpoint["step"],
        "files": files,
    }, {
        "training": {"sde": sde, "continuous": continuous, "sampling_eps": eps},
        "data": data,
        "model": {k: (list(v) if isinstance(v, tuple) else v) for k, v in model.items()},
        **tables,
    })
    sizes = sum(f.stat().st_size for f in out.iterdir())
    print(f"{name}: {len(keys)} tensors, {sum(p.numel() for p in net.parameters())} parameters, "
          f"{sizes / 1024:.0f} KiB, output {tuple(output.shape)} {output.dtype}, "
          f"|output| max {output.abs().max().item():.3g}"
          + (f", bits/dim {np.round(bpd.numpy(), 4).tolist()} (nfe {tables['likelihood']['nfe']})"
             if "likelihood" in tables else ""))
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("score_sde", help="path of an extracted score_sde_pytorch tree")
    parser.add_argument("--out", default=str(pathlib.Path(__file__).resolve().parent.parent
                                             / "tests" / "fixtures" / "score_sde"))
    parser.add_argument("--only", action="append", choices=sorted(NETWORKS), help="build only these")
    args = parser.parse_args()
    torch.set_num_threads(1)
    mutils, sde_lib = import_score_sde(args.score_sde)
    import likelihood  # their likelihood.py (torch, numpy, scipy.integrate, models.utils), on the path now
    out_root = pathlib.Path(args.out)
    for seed, (name, spec) in enumerate(NETWORKS.items(), start=1):
        if args.only and name not in args.only:
            continue
        build(name, spec, out_root, mutils, sde_lib, likelihood, seed)


if __name__ == "__main__":
    main()
