// NCSN: a RefineNet with dilated convolutions and conditional instance norm++ over the sigma ladder
// (Song & Ermon 2019); `conditional = false` gives NCSNv2's unconditional network with output / sigma.
#include <ATen/ATen.h>
#include <fmt/format.h>

#include "ncsn_blocks.hpp"
#include "scoregen/error.hpp"
#include "scoregen/network.hpp"
#include "scoregen/sde.hpp"

namespace scoregen::plugins {

class NcsnNetwork : public Network {
 public:
  struct Settings {
    std::int64_t ngf = 32;
    bool conditional = true;
  };
  static void declare(Declaration<Settings>& d) {
    d(&Settings::ngf, "ngf", "base feature maps").at_least(2);
    d(&Settings::conditional, "conditional",
      "condition on the noise level (NCSN, needs smld); false: NCSNv2, output divided by sigma");
  }
  NcsnNetwork(const Settings& s, const Options& o, const BuildContext& ctx) : sde_(ctx.sde), conditional_(s.conditional) {
    if (ctx.data_shape.size() != 3) throw Error("the ncsn network needs image data [C, H, W] in [data]");
    if (conditional_ && !sde_->is_discrete())
      o.fail("conditional", "conditioning on the noise level needs a discrete ladder ([sde] plugin = \"smld\"); "
                            "use conditional = false (NCSNv2) for continuous SDEs");
    const std::int64_t c = ctx.data_shape[0], ngf = s.ngf;
    const std::int64_t levels = conditional_ ? sde_->N() : 0;
    namespace nn = torch::nn;
    begin_ = register_module("begin", nn::Conv2d(nn::Conv2dOptions(c, ngf, 3).padding(1)));
    res1_ = register_module("res1", NcsnResBlock(ngf, ngf, levels, false, 1));
    res2_ = register_module("res2", NcsnResBlock(ngf, 2 * ngf, levels, true, 1));
    res3_ = register_module("res3", NcsnResBlock(2 * ngf, 2 * ngf, levels, true, 2));  // dilated
    res4_ = register_module("res4", NcsnResBlock(2 * ngf, 2 * ngf, levels, false, 4));
    refine1_ = register_module("refine1", RefineBlock(std::vector<std::int64_t>{2 * ngf}, 2 * ngf, levels, false));
    refine2_ = register_module("refine2", RefineBlock(std::vector<std::int64_t>{2 * ngf, 2 * ngf}, 2 * ngf, levels, false));
    refine3_ = register_module("refine3", RefineBlock(std::vector<std::int64_t>{2 * ngf, 2 * ngf}, ngf, levels, false));
    refine4_ = register_module("refine4", RefineBlock(std::vector<std::int64_t>{ngf, ngf}, ngf, levels, true));
    norm_out_ = register_module("norm_out", InstanceNormPP(ngf, levels));
    end_ = register_module("end", nn::Conv2d(nn::Conv2dOptions(ngf, c, 3).padding(1)));
  }

  at::Tensor forward(const at::Tensor& x, const at::Tensor& t, const at::Tensor&) override {
    at::Tensor level = conditional_ ? sde_->timestep(t) : at::zeros_like(t, at::kLong);
    level = level.to(x.device());
    at::Tensor h = begin_(x);
    at::Tensor l1 = res1_(h, level), l2 = res2_(l1, level), l3 = res3_(l2, level), l4 = res4_(l3, level);
    at::Tensor r = refine1_(std::vector<at::Tensor>{l4}, level, l4.sizes().slice(2));
    r = refine2_(std::vector<at::Tensor>{l3, r}, level, l3.sizes().slice(2));
    r = refine3_(std::vector<at::Tensor>{l2, r}, level, l2.sizes().slice(2));
    r = refine4_(std::vector<at::Tensor>{l1, r}, level, l1.sizes().slice(2));
    at::Tensor out = end_(at::elu(norm_out_(r, level)));
    // NCSNv2: the unconditional output is divided by sigma (technique 3)
    if (!conditional_) out = out / batch_view(sde_->marginal_std(t.to(out.scalar_type())), out);
    return out;
  }
  Prediction predicts() const override { return Prediction::Score; }

 private:
  std::shared_ptr<Sde> sde_;
  bool conditional_;
  torch::nn::Conv2d begin_{nullptr}, end_{nullptr};
  NcsnResBlock res1_{nullptr}, res2_{nullptr}, res3_{nullptr}, res4_{nullptr};
  RefineBlock refine1_{nullptr}, refine2_{nullptr}, refine3_{nullptr}, refine4_{nullptr};
  InstanceNormPP norm_out_{nullptr};
};

SCOREGEN_PLUGIN(Network, "ncsn", "NCSN RefineNet: dilated residual blocks, conditional instance norm++ over the sigma ladder",
                NcsnNetwork);

}  // namespace scoregen::plugins
