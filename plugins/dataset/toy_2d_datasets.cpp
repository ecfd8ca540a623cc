// Toy 2-D data sets drawn fresh every batch (the usual score-matching test beds): rings, moons,
// swiss-roll, checkerboard, spirals. Each is scaled to roughly [-4, 4]^2 and jittered by `noise`.
#include <cmath>

#include <ATen/ATen.h>

#include "scoregen/dataset.hpp"

namespace scoregen::plugins {

// Every toy set's option: the jitter, with its own default per set.
struct NoiseSettings {
  double noise = 0.1;
};
template <class S>
void declare_noise(Declaration<S>& d) {
  d(static_cast<double S::*>(&NoiseSettings::noise), "noise", "std of Gaussian jitter added to every point").at_least(0);
}

class Toy2d : public Dataset {
 public:
  explicit Toy2d(double noise) : noise_(noise) {}
  std::vector<std::int64_t> shape() const override { return {2}; }
  std::int64_t size() const override { return 0; }
  std::pair<double, double> range() const override { return {-4.5, 4.5}; }
  Batch sample(BatchRandom& rng) override {
    Batch b = draw(rng);
    b.x = (b.x + noise_ * rng.normal({2}, at::kDouble)).to(at::kFloat);
    return b;
  }

 protected:
  // Noise-free points [n, 2] (float64) and labels (or undefined), n = rng.count().
  virtual Batch draw(BatchRandom& rng) = 0;
  static at::Tensor uniform(BatchRandom& rng) { return rng.uniform({}, at::kDouble); }
  double noise_;
};

class RingsDataset : public Toy2d {
 public:
  struct Settings : NoiseSettings {
    Settings() : NoiseSettings{0.08} {}
    std::int64_t rings = 2;
  };
  static void declare(Declaration<Settings>& d) {
    declare_noise(d);
    d(&Settings::rings, "rings", "number of rings").at_least(1);
  }
  RingsDataset(const Settings& s, const BuildContext&) : Toy2d(s.noise), rings_(s.rings) {}
  std::int64_t num_classes() const override { return rings_; }

 protected:
  Batch draw(BatchRandom& rng) override {
    // radius r_k = 4 (k + 1) / K, angle uniform; label = ring
    at::Tensor k = rng.integers(rings_);
    at::Tensor r = (k.to(at::kDouble) + 1.0) * (4.0 / static_cast<double>(rings_));
    at::Tensor a = uniform(rng) * (2 * M_PI);
    return {at::stack({r * at::cos(a), r * at::sin(a)}, 1), k};
  }
  std::int64_t rings_;
};

class MoonsDataset : public Toy2d {
 public:
  struct Settings : NoiseSettings {
    Settings() : NoiseSettings{0.1} {}
  };
  static void declare(Declaration<Settings>& d) { declare_noise(d); }
  MoonsDataset(const Settings& s, const BuildContext&) : Toy2d(s.noise) {}
  std::int64_t num_classes() const override { return 2; }

 protected:
  Batch draw(BatchRandom& rng) override {
    // upper moon (cos a, sin a), lower moon (1 - cos a, 1/2 - sin a), a ~ U(0, pi); centred and scaled by 2
    at::Tensor k = rng.integers(2);
    at::Tensor a = uniform(rng) * M_PI;
    at::Tensor up = (k == 0).to(at::kDouble);
    at::Tensor x = up * at::cos(a) + (1 - up) * (1 - at::cos(a)) - 0.5;
    at::Tensor y = up * at::sin(a) + (1 - up) * (0.5 - at::sin(a)) - 0.25;
    return {at::stack({x, y}, 1) * 2.0, k};
  }
};

class SwissRollDataset : public Toy2d {
 public:
  struct Settings : NoiseSettings {
    Settings() : NoiseSettings{0.1} {}
  };
  static void declare(Declaration<Settings>& d) { declare_noise(d); }
  SwissRollDataset(const Settings& s, const BuildContext&) : Toy2d(s.noise) {}

 protected:
  Batch draw(BatchRandom& rng) override {
    // u = 1.5 pi (1 + 2 U); (u cos u, u sin u) / 3
    at::Tensor u = 1.5 * M_PI * (1.0 + 2.0 * uniform(rng));
    return {at::stack({u * at::cos(u), u * at::sin(u)}, 1) / 3.0, at::Tensor()};
  }
};

class CheckerboardDataset : public Toy2d {
 public:
  struct Settings : NoiseSettings {
    Settings() : NoiseSettings{0.0} {}
  };
  static void declare(Declaration<Settings>& d) { declare_noise(d); }
  CheckerboardDataset(const Settings& s, const BuildContext&) : Toy2d(s.noise) {}

 protected:
  Batch draw(BatchRandom& rng) override {
    // x1 ~ U(-4, 4); x2 in the alternate unit-2 squares: x2 = U(0, 2) - 2 k + floor(x1 / 2) mod 2 * 2
    at::Tensor x1 = uniform(rng) * 8.0 - 4.0;
    at::Tensor x2 = uniform(rng) * 2.0 - rng.integers(2).to(at::kDouble) * 4.0;
    x2 = x2 + at::remainder(at::floor(x1 / 2.0), 2.0) * 2.0;
    return {at::stack({x1, x2}, 1), at::Tensor()};
  }
};

class SpiralsDataset : public Toy2d {
 public:
  struct Settings : NoiseSettings {
    std::int64_t arms = 2;
  };
  static void declare(Declaration<Settings>& d) {
    declare_noise(d);
    d(&Settings::arms, "arms", "number of arms").at_least(1);
  }
  SpiralsDataset(const Settings& s, const BuildContext&) : Toy2d(s.noise), arms_(s.arms) {}
  std::int64_t num_classes() const override { return arms_; }

 protected:
  Batch draw(BatchRandom& rng) override {
    // arm k: radius r = 4 sqrt(U), angle 3 r / 2 + 2 pi k / K
    at::Tensor k = rng.integers(arms_);
    at::Tensor r = 4.0 * at::sqrt(uniform(rng));
    at::Tensor a = 1.5 * r + k.to(at::kDouble) * (2 * M_PI / static_cast<double>(arms_));
    return {at::stack({r * at::cos(a), r * at::sin(a)}, 1), k};
  }
  std::int64_t arms_;
};

SCOREGEN_PLUGIN(Dataset, "rings", "concentric circles (labels: the ring)", RingsDataset);
SCOREGEN_PLUGIN(Dataset, "moons", "two interleaved half circles (labels: the moon)", MoonsDataset);
SCOREGEN_PLUGIN(Dataset, "swiss-roll", "the 2-D swiss roll", SwissRollDataset);
SCOREGEN_PLUGIN(Dataset, "checkerboard", "uniform on alternate squares of a 4x4 board", CheckerboardDataset);
SCOREGEN_PLUGIN(Dataset, "spirals", "interleaved spiral arms (labels: the arm)", SpiralsDataset);

}  // namespace scoregen::plugins
