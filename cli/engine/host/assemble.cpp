// The one place where a command's components are built from a session and a checkpoint.
#include "engine/host/assemble.hpp"

#include <algorithm>

#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <c10/util/accumulate.h>
#include <fmt/format.h>
#include <fmt/ranges.h>

#include "engine/host/command_settings.hpp"
#include "engine/host/memory_budget.hpp"
#include "engine/io/array_io.hpp"
#include "engine/io/checkpoint.hpp"
#include "engine/io/image_io.hpp"
#include "scoregen/error.hpp"

namespace scoregen::engine {

at::Tensor DataMapping::to_data(const at::Tensor& x) const { return data ? data->to_data(x) : x; }

std::pair<double, double> DataMapping::range() const {
  if (!data) return range_without_data;
  if (data->logit_lambda() > 0) return {0.0, 1.0};  // to_data has undone the logit: pixels in [0, 1]
  return data->range();
}

at::Tensor DataMapping::to_unit(const at::Tensor& x) const {
  const auto [lo, hi] = range();
  return ((to_data(x).clamp(lo, hi) - lo) / (hi - lo)).clamp(0, 1);
}

void DataMapping::save(const at::Tensor& x, const std::string& path, const PictureOptions& options) const {
  const auto [lo, hi] = range();
  save_samples(to_data(x), path, lo, hi, options);
}

namespace {

// The key of `section` that the pipeline's sampler takes its --steps into ("N" for pc's "sde.N"), or "".
std::string sampler_steps_key(const Pipeline& p, const std::string& section) {
  if (!p.has("sampler")) return "";
  for (const OptionSpec& o : p.plugin("sampler").options)
    if (o.step_count && o.step_target.rfind(section + ".", 0) == 0) return o.step_target.substr(section.size() + 1);
  return "";
}

}  // namespace

void require_checkpoint_tables(const Session& s, const std::string& checkpoint, const std::vector<TableCheck>& tables) {
  const Pipeline stored = Pipeline::parse(s.checkpoint(checkpoint).pipeline(), checkpoint + " (stored pipeline)", {},
                                          *s.registry, PipelineOrigin::Stored);
  for (const TableCheck& table : tables) {
    const std::string& section = table.section;
    auto differences = compare_tables(*s.pipeline, stored, section);
    differences.erase(std::remove_if(differences.begin(), differences.end(),
                                     [&table](const TableDifference& d) { return !table.free_key.empty() && d.key == table.free_key; }),
                      differences.end());
    if (differences.empty()) continue;
    const TableDifference& d = differences.front();
    throw Error(fmt::format("{}: [{}] {} = {}, but {} was trained with {} = {}: a checkpoint's [{}] table is the truth "
                            "about its weights (drop the key, or give --checkpoint without a PIPELINE)",
                            d.where, section, d.key, d.now, checkpoint, d.key, d.then, section));
  }
}

std::shared_ptr<Guidance> load_guidance(const Session& s, const std::string& checkpoint, const std::string& needed_by) {
  auto guidance = s.pipeline->create_as<Guidance>("guidance", s.context(), needed_by);
  if (torch::nn::Module* m = guidance->module()) {
    if (checkpoint.empty())
      throw Error("the [guidance] classifier needs trained weights: pass --guidance-checkpoint FILE");
    require_checkpoint_tables(s, checkpoint, {{"guidance", ""}});
    s.checkpoint(checkpoint).load_ema_weights(*m);
    m->to(s.device);
    m->eval();
  }
  return guidance;
}

void require_consistency_pairing(const Session& s, const Network& network, const Sampler* sampler,
                                 const AssemblyRequest& request) {
  const bool consistency = network.consistency_sigma_min() > 0;
  const std::string net = fmt::format("[network] plugin '{}'", s.pipeline->plugin("network").name);
  if (sampler && consistency && !sampler->samples_consistency_functions())
    throw Error(fmt::format("{}: {} is a consistency function, which has no score for the [sampler] '{}': use [sampler] "
                            "plugin = \"consistency\" (--sampler consistency)", request.command, net,
                            s.pipeline->plugin("sampler").name));
  if (sampler && !consistency && sampler->samples_consistency_functions())
    throw Error(fmt::format("{}: [sampler] '{}' samples a consistency function, and {} is a score network: distill it "
                            "first (`scoregen distill`), or use another sampler", request.command,
                            s.pipeline->plugin("sampler").name, net));
  if (!sampler && consistency && request.uses_score)
    throw Error(fmt::format("{}: {} is a consistency function: it maps noise to data in one evaluation and has no score "
                            "or probability-flow ODE to evaluate; sample it (`scoregen sample`, `eval`)", request.command, net));
}

Assembly assemble(Session session, const AssemblyRequest& request) {
  Assembly a{std::move(session), nullptr, nullptr, nullptr, nullptr, {}, {}};
  const Session& s = a.session;
  if (!request.checkpoint.empty()) {
    // The noise schedule the weights learned is as fixed as the network; only the discretisation a sampler's --steps
    // sets (pc: [sde] N) is the sampler's to choose.
    require_checkpoint_tables(s, request.checkpoint, {{"network", ""}, {"sde", sampler_steps_key(*s.pipeline, "sde")}});
  }
  a.network = s.pipeline->create_as<Network>("network", s.context(), request.command);
  if (request.checkpoint.empty()) {
    if (a.network->trainable() && !a.network->parameters().empty())
      throw Error(fmt::format("[network] plugin '{}' needs trained weights: pass --checkpoint RUN/checkpoint.pt",
                              s.pipeline->plugin("network").name));
  } else {
    s.checkpoint(request.checkpoint).load_ema_weights(*a.network);
  }
  a.network->to(s.device);
  a.network->eval();
  if (request.sampler) a.sampler = s.pipeline->create_as<Sampler>("sampler", s.context(), request.command);
  require_consistency_pairing(s, *a.network, a.sampler.get(), request);
  a.model = std::make_unique<ScoreModel>(a.network, s.sde);
  a.model->set_device(s.device);
  a.model->set_precision(s.precision);
  if (request.class_label) {
    const std::int64_t y = *request.class_label;
    if (y < 0) throw Error("--class must be >= 0");
    at::Tensor labels = at::full({1}, y, at::TensorOptions().dtype(at::kLong).device(s.device));
    if (s.pipeline->has("guidance")) {
      a.guidance = load_guidance(s, request.guidance_checkpoint, "--class");
      if (y >= a.guidance->num_classes())
        throw Error(fmt::format("--class {}: the [guidance] {} tells apart classes 0..{}", y,
                                s.pipeline->plugin("guidance").name, a.guidance->num_classes() - 1));
      if (s.data && s.data->num_classes() > 0 && y >= s.data->num_classes())
        throw Error(fmt::format("--class {}: the data have classes 0..{}", y, s.data->num_classes() - 1));
      const SmcSettings& smc = request.guidance_smc;
      if (smc.on) {  // the sampler's moves are guided and weighed by SmcGuidance; the score stays unguided
        a.smc_labels = labels, a.guidance_scale = request.guidance_scale, a.guidance_smc = smc;
      } else {
        a.model->set_guidance(a.guidance, labels, request.guidance_scale);
      }
      fmt::print(stderr, "{}: class {} with {} guidance{}, scale {}\n", request.command, y,
                 s.pipeline->plugin("guidance").name,
                 smc.on ? fmt::format(" by sequential Monte Carlo ({} particles per sample)", smc.particles) : "",
                 request.guidance_scale);
    } else if (request.guidance_smc.on) {
      throw Error(fmt::format("--class {}: [sample] guidance = \"smc\" weighs a [guidance] classifier, and this pipeline "
                              "has none (its class-conditional network draws the class itself: use guidance = "
                              "\"gradient\")", y));
    } else if (a.network->class_conditional()) {
      if (s.data && s.data->num_classes() > 0 && y >= s.data->num_classes())
        throw Error(fmt::format("--class {}: the data have classes 0..{}", y, s.data->num_classes() - 1));
      a.model->set_labels(labels);  // the class-conditional network draws class y
    } else {
      throw Error(fmt::format("--class {}: the pipeline has no [guidance] and its [network] '{}' is not class-conditional, "
                              "so the class would be ignored; add [guidance] (e.g. --set guidance=classifier with "
                              "--guidance-checkpoint) or use a class-conditional network (conditional = true)",
                              y, s.pipeline->plugin("network").name));
    }
  }
  if (request.guidance_smc.on && !request.class_label)
    throw Error("[sample] guidance = \"smc\" conditions on a class: pass --class Y (with a [guidance] classifier)");
  if (s.data) {
    a.shape = s.data->shape();
  } else {
    a.shape = a.network->example_shape();
    a.mapping.range_without_data = a.network->example_range();
    if (a.shape.empty())
      throw Error(fmt::format("{}: the pipeline needs a [data] section to know the shape of a sample", s.pipeline->source()));
  }
  a.mapping.data = s.data;
  settle_threads(s, a.shape);
  return a;
}

at::Tensor load_examples(const Session& s, const std::string& file, std::int64_t num, const std::vector<std::int64_t>& shape) {
  at::Tensor data;
  if (!file.empty()) {
    data = load_array(file);
  } else if (s.data) {
    if (s.data->size() > 0) {
      data = s.data->get(0, std::min(num, s.data->size())).x;
    } else {
      require_memory_for(static_cast<double>(num), shape, "--num (the number of examples drawn from [data])");
      BatchRandom rng = s.batch_random(Stream::DataExamples, num);
      data = s.data->sample(rng).x;
    }
  } else {
    throw Error(fmt::format("{}: this command needs a [data] section or --data FILE", s.pipeline->source()));
  }
  if (data.dim() > 0) data = data.narrow(0, 0, std::min<std::int64_t>(num, data.size(0)));
  return as_rows(data, shape, file.empty() ? std::string("the examples") : file);
}

void settle_threads(const Session& s, const std::vector<std::int64_t>& example_shape) {
  if (!s.sets_threads || settings_of<RootSettings>(s.pipeline->options("")).threads != 0) return;
  if (c10::multiply_integers(example_shape) < 64) at::set_num_threads(1);
}

bool example_fits(at::IntArrayRef given, const std::vector<std::int64_t>& shape) {
  const std::vector<std::int64_t> g(given.begin(), given.end());
  if (g == shape) return true;
  if (shape.size() > 1 && shape[0] == 1 && g == std::vector<std::int64_t>(shape.begin() + 1, shape.end())) return true;
  return g.size() == 1 && g[0] == c10::multiply_integers(shape);
}

at::Tensor as_rows(const at::Tensor& t, const std::vector<std::int64_t>& shape, const std::string& what) {
  if (t.dim() == 0 || t.size(0) == 0)
    throw Error(fmt::format("{}: no rows (shape [{}]); the model expects [N, {}] with N >= 1", what,
                            fmt::join(t.sizes(), ", "), fmt::join(shape, ", ")));
  if (!example_fits(t.sizes().slice(1), shape))
    throw Error(fmt::format("{}: shape [{}] does not fit the model's [N, {}]{}", what, fmt::join(t.sizes(), ", "),
                            fmt::join(shape, ", "),
                            shape.size() > 1 ? fmt::format(" (or [N, {}] flat)", c10::multiply_integers(shape)) : std::string()));
  if (!at::isfinite(t).all().item<bool>()) throw Error(fmt::format("{}: NaN or infinite values", what));
  std::vector<std::int64_t> full{t.size(0)};
  full.insert(full.end(), shape.begin(), shape.end());
  return t.reshape(full);
}

}  // namespace scoregen::engine
