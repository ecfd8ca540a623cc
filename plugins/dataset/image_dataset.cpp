// Image data sets kept as uint8 in memory, transformed per batch.
#include "image_dataset.hpp"

#include <cmath>

#include <ATen/ATen.h>

#include <fmt/format.h>

#include "scoregen/error.hpp"
#include "scoregen/sde.hpp"

namespace scoregen::plugins {

ImageDataset::ImageDataset(const ImageTransformSettings& s, const Options& o)
    : symmetric_(s.scale == "symmetric"), dequantize_(s.dequantize), hflip_(s.hflip), logit_(s.logit), limit_(s.limit) {
  if (logit_ > 0 && symmetric_) o.fail("logit", "the logit transform needs scale = \"unit\"");
}

void ImageDataset::set_images(at::Tensor images, at::Tensor labels, std::int64_t num_classes) {
  const std::int64_t limit = limit_;
  if (limit > 0 && limit < images.size(0)) {
    images = images.narrow(0, 0, limit);
    if (labels.defined()) labels = labels.narrow(0, 0, limit);
  }
  images_ = images.contiguous();
  labels_ = labels;
  num_classes_ = num_classes;
}

std::vector<std::int64_t> ImageDataset::shape() const {
  return {images_.size(1), images_.size(2), images_.size(3)};
}

std::pair<double, double> ImageDataset::range() const {
  if (logit_ > 0) return {std::log(logit_ / (1 - logit_)), std::log((1 - logit_) / logit_)};
  return symmetric_ ? std::pair<double, double>{-1.0, 1.0} : std::pair<double, double>{0.0, 1.0};
}

at::Tensor ImageDataset::transform(const at::Tensor& u8, BatchRandom* rng) const {
  at::Tensor x = u8.to(at::kFloat);
  // Uniform dequantization (x 255 + U) / 256 in [0, 1), else x / 255 in [0, 1]
  x = rng && dequantize_ ? (x + rng->uniform(x.sizes().slice(1), x.options())) / 256.0 : x / 255.0;
  if (logit_ > 0) {
    // logit(l + (1 - 2 l) x) (RealNVP / NCSN logit transform)
    at::Tensor p = logit_ + (1 - 2 * logit_) * x;
    return at::log(p) - at::log1p(-p);
  }
  return symmetric_ ? x * 2.0 - 1.0 : x;
}

at::Tensor ImageDataset::to_data(const at::Tensor& x) const {
  if (logit_ > 0) return (at::sigmoid(x) - logit_) / (1 - 2 * logit_);
  return x;
}

Batch ImageDataset::sample(BatchRandom& rng) {
  at::Tensor idx = rng.integers(size());
  at::Tensor x = transform(images_.index_select(0, idx), &rng);
  if (hflip_) {
    at::Tensor flip = batch_view(rng.integers(2).to(at::kBool), x);
    x = at::where(flip, x.flip({3}), x);
  }
  return {x, labels_.defined() ? labels_.index_select(0, idx) : at::Tensor()};
}

Batch ImageDataset::get(std::int64_t start, std::int64_t count) {
  if (start < 0 || start >= size()) throw Error(fmt::format("example {} is out of range (the set has {})", start, size()));
  count = std::min(count, size() - start);
  at::Tensor x = transform(images_.narrow(0, start, count), nullptr);
  return {x, labels_.defined() ? labels_.narrow(0, start, count) : at::Tensor()};
}

}  // namespace scoregen::plugins
