#!/usr/bin/python3
"""score_sde_pytorch's own NCSN++ / DDPM++ at CIFAR-10 size: the reference for bench/score_sde_network_bench.

Development-time only (it imports score_sde_pytorch's model code from an extracted tree, as
scripts/make_score_sde_fixtures.py does); prints the median time of an eval-mode forward, or of one training step
(forward, backward of the mean squared output, Adam), of the two published configs vp/cifar10_ddpmpp_continuous and
ve/cifar10_ncsnpp_continuous, batch B, on T threads or a CUDA device:

    /usr/bin/python3 bench/score_sde_forward.py /path/to/score_sde_pytorch [THREADS [BATCH [RUNS [DEVICE [forward|train]]]]]

Their op/ package would compile its CUDA kernels at import; it is not compiled, so on CUDA their FIR resampling
(NCSN++) takes the pure PyTorch path their code uses on the CPU.
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
    threads, batch, runs = (int(a) for a in (sys.argv[2:5] + ["1", "8", "5"][len(sys.argv[2:5]):]))
    device = torch.device(sys.argv[5] if len(sys.argv) > 5 else "cpu")
    mode = sys.argv[6] if len(sys.argv) > 6 else "forward"
    if mode not in ("forward", "train"):
        sys.exit(__doc__)
    torch.set_num_threads(threads)
    mutils, _ = import_score_sde(sys.argv[1])
    if device.type == "cuda":
        native_fir_on_cuda()

    def sync():
        if device.type == "cuda":
            torch.cuda.synchronize()
    for name, (sde, over, centered) in CONFIGS.items():
        config = make_config(sde, True, dict(BASE_MODEL, **over),
                             dict(image_size=32, num_channels=3, centered=centered))
        net = mutils.get_model("ncsnpp")(config).to(device)
        x = torch.randn(batch, 3, 32, 32, device=device)
        t = torch.rand(batch, device=device) * 0.99 + 0.01
        labels = 999 * t if sde == "vpsde" else 0.01 * (50 / 0.01) ** t
        if mode == "forward":
            net.eval()

            def step():
                with torch.no_grad():
                    net(x, labels)
        else:
            net.train()
            adam = torch.optim.Adam(net.parameters(), lr=2e-4)

            def step():
                adam.zero_grad()
                net(x, labels).square().mean().backward()
                adam.step()
        times = []
        step()  # warm-up
        sync()
        for _ in range(runs):
            start = time.perf_counter()
            step()
            sync()
            times.append((time.perf_counter() - start) * 1000)
        times.sort()
        where = str(device) if device.type == "cuda" else f"{threads} thread(s)"
        what = "training step" if mode == "train" else "forward"
        print(f"score_sde_pytorch {name}: {sum(p.numel() for p in net.parameters())} parameters, batch {batch}, "
              f"{where}: {times[len(times) // 2]:.1f} ms per {what} (median of {runs})")


def native_fir_on_cuda():
    """Their upfirdn2d calls the uncompiled CUDA kernel for CUDA tensors; use their native version instead."""
    from models import up_or_down_sampling
    from op.upfirdn2d import upfirdn2d_native

    def upfirdn2d(input, kernel, up=1, down=1, pad=(0, 0)):
        return upfirdn2d_native(input, kernel, up, up, down, down, pad[0], pad[1], pad[0], pad[1])

    up_or_down_sampling.upfirdn2d = upfirdn2d


if __name__ == "__main__":
    main()
