// In-memory 8-bit image sets (IDX files, image folders) and their transforms: scaling to [0,1] or
// [-1,1], uniform dequantization, logit transform and random horizontal flips.
#pragma once

#include <cstdint>
#include <string>

#include "scoregen/dataset.hpp"

namespace scoregen::plugins {

// The transform options every image data set declares.
struct ImageTransformSettings {
  std::string scale = "symmetric";
  bool dequantize = false;
  double logit = 0.0;
  bool hflip = false;
  std::int64_t limit = 0;
};
template <class S>
void declare_image_transforms(Declaration<S>& d) {
  using T = ImageTransformSettings;
  d(static_cast<std::string S::*>(&T::scale), "scale", "value range: unit [0, 1] or symmetric [-1, 1]")
      .one_of({"unit", "symmetric"});
  d(static_cast<bool S::*>(&T::dequantize), "dequantize", "uniform dequantization (x 255 + U) / 256 of every training draw");
  d(static_cast<double S::*>(&T::logit), "logit",
    "logit transform logit(l + (1 - 2 l) x) with this lambda (0: off; needs unit scale)")
      .at_least(0)
      .below(0.5);
  d(static_cast<bool S::*>(&T::hflip), "hflip", "random horizontal flips of training draws");
  d(static_cast<std::int64_t S::*>(&T::limit), "limit", "use only the first N examples (0: all)").at_least(0);
}

class ImageDataset : public Dataset {
 public:
  ImageDataset(const ImageTransformSettings& s, const Options& o);
  std::vector<std::int64_t> shape() const override;
  std::int64_t size() const override { return images_.size(0); }
  std::int64_t num_classes() const override { return num_classes_; }
  std::pair<double, double> range() const override;
  Batch sample(BatchRandom& rng) override;
  Batch get(std::int64_t start, std::int64_t count) override;
  at::Tensor to_data(const at::Tensor& x) const override;
  int bits() const override { return 8; }
  double logit_lambda() const override { return logit_; }

 protected:
  // Subclasses fill these: uint8 [N, C, H, W] and int64 [N] (undefined when unlabelled).
  void set_images(at::Tensor images, at::Tensor labels, std::int64_t num_classes);

 private:
  // uint8 -> float in the chosen range, with optional dequantization noise (drawn from rng) and logit.
  at::Tensor transform(const at::Tensor& u8, BatchRandom* rng) const;
  at::Tensor images_, labels_;
  std::int64_t num_classes_ = 0;
  bool symmetric_, dequantize_, hflip_;
  double logit_;
  std::int64_t limit_;
};

}  // namespace scoregen::plugins
