#!/usr/bin/python3
"""Tests of scripts/score_sde_to_scoregen.py on the score_sde fixtures. Needs PyTorch and NumPy only:

    /usr/bin/python3 tests/python/score_sde_converter_test.py

Round trip: every converted array equals, bit for bit, the checkpoint's tensor (the EMA shadow with --ema, the
state-dict value with --raw, the state dict for buffers and the untrained Fourier projection). Failures: exit 2
and one line naming the problem, nothing left at the output path.
"""
import collections
import pathlib
import subprocess
import sys
import tempfile
import tomllib
import unittest

import numpy as np
import torch

ROOT = pathlib.Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "score_sde_to_scoregen.py"
FIXTURES = ROOT / "tests" / "fixtures" / "score_sde"
sys.path.insert(0, str(SCRIPT.parent))
import score_sde_to_scoregen as converter  # noqa: E402


def run(checkpoint, out, *args):
    return subprocess.run([sys.executable, str(SCRIPT), str(checkpoint), str(out), "-q", *args],
                          capture_output=True, text=True)


class RoundTrip(unittest.TestCase):
    def test_every_fixture_both_modes(self):
        fixtures = sorted(p for p in FIXTURES.iterdir() if (p / "checkpoint.pth").exists())
        self.assertGreaterEqual(len(fixtures), 6)
        for fixture in fixtures:
            checkpoint = converter.read_zip_checkpoint(str(fixture / "checkpoint.pth"))
            state = checkpoint["model"]
            for mode in ("ema", "raw"):
                with self.subTest(fixture=fixture.name, mode=mode), tempfile.TemporaryDirectory() as tmp:
                    out = pathlib.Path(tmp) / "out"
                    result = run(fixture / "checkpoint.pth", out, "--" + mode)
                    self.assertEqual(result.returncode, 0, result.stderr)
                    manifest = tomllib.loads((out / "manifest.toml").read_text())
                    self.assertEqual((manifest["format"], manifest["version"]), (converter.FORMAT, 1))
                    self.assertEqual((manifest["step"], manifest["weights"]), (checkpoint["step"], mode))
                    self.assertEqual([t["name"] for t in manifest["tensor"]],
                                     [k[len("module."):] for k in state])
                    shadow = iter(checkpoint["ema"]["shadow_params"])
                    for entry in manifest["tensor"]:
                        name = entry["name"]
                        expected = state["module." + name]
                        trained = name != "sigmas" and name != "all_modules.0.W"
                        self.assertEqual(entry["kind"], "buffer" if name == "sigmas" else "parameter")
                        if trained:
                            value = next(shadow)
                            if mode == "ema":
                                expected = value
                        self.assertEqual(entry["from_ema"], trained and mode == "ema")
                        array = np.load(out / entry["file"], allow_pickle=False)
                        self.assertEqual(array.dtype, np.dtype("<f4"))
                        self.assertTrue(array.flags.c_contiguous)
                        self.assertEqual(list(array.shape), entry["shape"])
                        np.testing.assert_array_equal(array, expected.to(torch.float32).numpy(), err_msg=name)
                    self.assertIsNone(next(shadow, None))

    def test_shadow_of_the_untrained_fourier_projection(self):
        """An EMA kept over every parameter, the never-trained Fourier W included, converts as well."""
        checkpoint = converter.read_zip_checkpoint(str(FIXTURES / "ve_ncsnpp_continuous" / "checkpoint.pth"))
        w = checkpoint["model"]["module.all_modules.0.W"]
        shadow = [w + 1] + list(checkpoint["ema"]["shadow_params"])
        with tempfile.TemporaryDirectory() as tmp:
            path, out = pathlib.Path(tmp) / "c.pth", pathlib.Path(tmp) / "out"
            torch.save(dict(checkpoint, ema=dict(checkpoint["ema"], shadow_params=shadow)), path)
            result = run(path, out)
            self.assertEqual(result.returncode, 0, result.stderr)
            entry = tomllib.loads((out / "manifest.toml").read_text())["tensor"][1]
            self.assertEqual((entry["name"], entry["from_ema"]), ("all_modules.0.W", True))
            np.testing.assert_array_equal(np.load(out / entry["file"]), (w + 1).numpy())

    def test_own_reader_matches_torch_load(self):
        path = FIXTURES / "ve_ncsnpp_continuous" / "checkpoint.pth"
        ours = converter.read_zip_checkpoint(str(path))
        theirs = torch.load(path, map_location="cpu")
        self.assertEqual(list(ours["model"]), list(theirs["model"]))
        for a, b in zip(list(ours["model"].values()) + ours["ema"]["shadow_params"],
                        list(theirs["model"].values()) + theirs["ema"]["shadow_params"]):
            self.assertEqual(a.dtype, b.dtype)
            self.assertTrue(torch.equal(a, b))


class Failures(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.checkpoint = converter.read_zip_checkpoint(str(FIXTURES / "vp_ddpmpp_continuous" / "checkpoint.pth"))

    def expect_error(self, obj, message, *args):
        with tempfile.TemporaryDirectory() as tmp:
            path, out = pathlib.Path(tmp) / "bad.pth", pathlib.Path(tmp) / "out"
            torch.save(obj, path)
            result = run(path, out, *args)
            self.assertEqual(result.returncode, 2, result.stdout)
            self.assertEqual(len(result.stderr.strip().splitlines()), 1, result.stderr)
            self.assertIn(message, result.stderr)
            self.assertFalse(out.exists())
            self.assertEqual(sorted(p.name for p in pathlib.Path(tmp).iterdir()), ["bad.pth"])

    def with_model(self, change):
        model = collections.OrderedDict(self.checkpoint["model"])
        change(model)
        return dict(self.checkpoint, model=model)

    def test_missing_model(self):
        self.expect_error({k: v for k, v in self.checkpoint.items() if k != "model"}, "no `model` key")

    def test_shadow_count(self):
        ema = dict(self.checkpoint["ema"], shadow_params=self.checkpoint["ema"]["shadow_params"][:-1])
        self.expect_error(dict(self.checkpoint, ema=ema), "holds 153 tensors but `model` has 154")

    def test_shadow_shape(self):
        ema = dict(self.checkpoint["ema"], shadow_params=self.checkpoint["ema"]["shadow_params"][::-1])
        self.expect_error(dict(self.checkpoint, ema=ema), "has shape")

    def test_integer_tensor(self):
        def change(model):
            key = list(model)[4]
            model[key] = model[key].long()
        self.expect_error(self.with_model(change), "has dtype int64, not a float")

    def test_non_finite(self):
        ema = dict(self.checkpoint["ema"])
        ema["shadow_params"] = [p.clone() for p in ema["shadow_params"]]
        ema["shadow_params"][3].view(-1)[0] = float("nan")
        self.expect_error(dict(self.checkpoint, ema=ema), "non-finite")

    def test_no_ema_needs_raw(self):
        self.expect_error({k: v for k, v in self.checkpoint.items() if k != "ema"}, "pass --raw")

    def test_unsafe_pickle(self):
        self.expect_error(torch.nn.Linear(2, 2), "--trust-checkpoint")
        # a numpy array is not a number: still refused
        self.expect_error(dict(self.checkpoint, extra=np.zeros(3)), "--trust-checkpoint")

    def test_numpy_scalars_of_score_sde_optimizer_state(self):
        # score_sde_pytorch's run_lib saves the optimizer with its lr as a numpy.float64 (and betas may be too):
        # read as numbers, without --trust-checkpoint
        optimizer = {"state": {}, "param_groups": [{"lr": np.float64(2e-4), "betas": (np.float64(0.9), 0.999),
                                                    "eps": np.float32(1e-8), "step": np.int64(7), "params": [0]}]}
        with tempfile.TemporaryDirectory() as tmp:
            path, out = pathlib.Path(tmp) / "c.pth", pathlib.Path(tmp) / "out"
            torch.save(dict(self.checkpoint, optimizer=optimizer), path)
            group = converter.read_zip_checkpoint(str(path))["optimizer"]["param_groups"][0]
            self.assertEqual((group["lr"], group["betas"][0], group["step"]), (2e-4, 0.9, 7))
            self.assertAlmostEqual(group["eps"], 1e-8, delta=1e-15)
            result = run(path, out)
            self.assertEqual(result.returncode, 0, result.stderr)

    def test_bad_key(self):
        self.expect_error(self.with_model(lambda m: m.__setitem__("module.../x", torch.zeros(1))),
                          "not a dot-separated identifier")

    def test_existing_output(self):
        with tempfile.TemporaryDirectory() as tmp:
            (pathlib.Path(tmp) / "keep").write_text("")
            result = run(FIXTURES / "vp_ddpmpp_continuous" / "checkpoint.pth", tmp)
            self.assertEqual(result.returncode, 2)
            self.assertIn("not an empty directory", result.stderr)

    def test_float64_is_converted(self):
        def change(model):
            key = list(model)[3]
            model[key] = model[key].double()
        with tempfile.TemporaryDirectory() as tmp:
            path, out = pathlib.Path(tmp) / "c.pth", pathlib.Path(tmp) / "out"
            torch.save(self.with_model(change), path)
            self.assertEqual(run(path, out, "--raw").returncode, 0)
            manifest = tomllib.loads((out / "manifest.toml").read_text())
            self.assertEqual(manifest["tensor"][3]["source_dtype"], "float64")


if __name__ == "__main__":
    unittest.main()
