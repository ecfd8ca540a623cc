#!/usr/bin/python3
"""score_sde_pytorch's own NCSN++ / DDPM++ forward at CIFAR-10 size: the reference for bench/score_sde_network_bench.

Development-time only (it imports score_sde_pytorch's model code from an extracted tree, as
scripts/make_score_sde_fixtures.py does); prints the median eval-mode forward time of the two published configs
vp/cifar10_ddpmpp_continuous and ve/cifar10_ncsnpp_continuous, batch B, on T threads:

    /usr/bin/python3 bench/score_sde_forward.py /path/to/score_sde_pytorch [THREADS [BATCH [RUNS]]]
"""
import pathlib
import sys
import time

import torch

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "scripts"))
from make_score_sde_fixtures import BASE_MODEL, import_score_sde, make_config  # noqa: E402

# The published configs (docs/score_sde_networks.md "Published configs"), CIFAR-10 size.
CONFIGS = {
    "vp/cifar10_ddpmpp_continuous": ("vpsde", dict(
        nf=128, ch_mult=(1, 2, 2, 2), num_res_blocks=4, attn_resolutions=(16,), fir=False, progressive="none",
        progressive_input="none", embedding_type="positional", scale_by_sigma=False), True),
    "ve/cifar10_ncsnpp_continuous": ("vesde", dict(
        nf=128, ch_mult=(1, 2, 2, 2), num_res_blocks=4, attn_resolutions=(16,), fir=True, progressive="none",
        progressive_input="residual", embedding_type="fourier", scale_by_sigma=True), False),
}


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    threads, batch, runs = (int(a) for a in (sys.argv[2:] + ["1", "8", "5"][len(sys.argv) - 2:])[:3])
    torch.set_num_threads(threads)
    mutils, _ = import_score_sde(sys.argv[1])
    for name, (sde, over, centered) in CONFIGS.items():
        config = make_config(sde, True, dict(BASE_MODEL, **over),
                             dict(image_size=32, num_channels=3, centered=centered))
        net = mutils.get_model("ncsnpp")(config).eval()
        x = torch.randn(batch, 3, 32, 32)
        t = torch.rand(batch) * 0.99 + 0.01
        labels = 999 * t if sde == "vpsde" else 0.01 * (50 / 0.01) ** t
        times = []
        with torch.no_grad():
            net(x, labels)  # warm-up
            for _ in range(runs):
                start = time.perf_counter()
                net(x, labels)
                times.append((time.perf_counter() - start) * 1000)
        times.sort()
        print(f"score_sde_pytorch {name}: {sum(p.numel() for p in net.parameters())} parameters, batch {batch}, "
              f"{threads} thread(s): {times[len(times) // 2]:.1f} ms per forward (median of {runs})")


if __name__ == "__main__":
    main()
