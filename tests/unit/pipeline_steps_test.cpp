// Pipeline::parse in its steps (cli/engine/host/pipeline_raw.hpp): read_tables, migrate, require_known_sections,
// apply_overrides and validate, each on its own; and the command tables read back as their declared structs.
#include <gtest/gtest.h>

#include <string>

#include "engine/host/command_settings.hpp"
#include "engine/host/pipeline.hpp"
#include "engine/host/pipeline_raw.hpp"
#include "scoregen/error.hpp"
#include "unit/support.hpp"

namespace {

using scoregen::Error;
using namespace scoregen::engine;

// The message of the scoregen::Error `f` throws ("" when it throws none).
template <class F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(PipelineSteps, ReadTablesKeepsEveryPositionAndPutsRootKeysInTheRootSection) {
  RawPipeline raw = read_tables("seed = 3\n\n[sample]\nnum = 8\n  out = \"a.png\"\n", "p.toml");
  ASSERT_EQ(raw.sections.count(""), 1u);
  ASSERT_EQ(raw.sections.count("sample"), 1u);
  EXPECT_EQ(raw.sections.at("").entries.at("seed").key_where, "p.toml:1:1");
  EXPECT_EQ(raw.sections.at("sample").where, "p.toml:3:2");  // the header's name
  EXPECT_EQ(raw.sections.at("sample").entries.at("out").key_where, "p.toml:5:3");
  EXPECT_EQ(raw.sections.at("sample").entries.at("out").where, "p.toml:5:9");  // the value
  EXPECT_EQ(raw.sections.at("sample").entries.at("num").node->value<std::int64_t>(), 8);
  EXPECT_FALSE(raw.sections.at("sample").entries.at("num").from_override);
}

TEST(PipelineSteps, ReadTablesRefusesNestedTablesAndBrokenToml) {
  EXPECT_NE(error_of([] { read_tables("[sample]\nx = { a = 1 }\n", "p.toml"); }).find("p.toml:2:1: [sample] x: nested"),
            std::string::npos);
  EXPECT_NE(error_of([] { read_tables("[sample\nnum = 1\n", "p.toml"); }).find("p.toml:1:"), std::string::npos);
}

TEST(PipelineSteps, RequireKnownSectionsSuggestsTheNearestName) {
  RawPipeline raw = read_tables("[trian]\nsteps = 1\n", "p.toml");
  EXPECT_NE(error_of([&] { require_known_sections(raw); }).find("p.toml:1:2: unknown section [trian] (did you mean [train]?)"),
            std::string::npos);
}

TEST(PipelineSteps, ApplyOverridesChoosesPluginsFirstThenSetsKeys) {
  RawPipeline raw = read_tables("[sampler]\nplugin = \"pc\"\nsnr = 0.2\n[sample]\nnum = 8\n", "p.toml");
  // given in the other order: the key still refines the new choice, and the old table's keys go with it
  apply_overrides(raw, Overrides{{"sampler.steps=20", "sampler=ode", "sample.out=" + toml_quote("a \"b\".npy")}, {}});
  const RawSection& sampler = raw.sections.at("sampler");
  EXPECT_EQ(sampler.entries.at("plugin").node->value<std::string>(), "ode");
  EXPECT_EQ(sampler.entries.at("steps").node->value<std::int64_t>(), 20);
  EXPECT_EQ(sampler.entries.count("snr"), 0u);
  EXPECT_EQ(raw.sections.at("sample").entries.at("out").node->value<std::string>(), "a \"b\".npy");
  EXPECT_NE(error_of([&] { apply_overrides(raw, Overrides{{"sample.out=a\nb"}, {}}); }).find("one section.key=value on one line"),
            std::string::npos);
  EXPECT_NE(error_of([&] { apply_overrides(raw, Overrides{{"smaple.num=1"}, {}}); }).find("unknown section [smaple]"),
            std::string::npos);
}

TEST(PipelineSteps, ApplyOverridesTakesAFlagsValueAsItIsAndNamesTheFlag) {
  RawPipeline raw = read_tables("[sample]\nnum = 8\n[sampler]\nplugin = \"pc\"\n", "p.toml");
  const std::string odd = "a \"b\" 'c'\\d\te \xC3\xA9.npy";  // quotes, a backslash, a tab, a non-ASCII letter
  apply_overrides(raw, Overrides{{}, {{"sample.num", std::int64_t{3}, "--num 3"},
                                      {"sample.out", odd, "--out X"},
                                      {"sampler", std::string("ode"), "--sampler ode"},
                                      {"seed", std::int64_t{5}, "--seed 5"}}});
  const RawSection& sample = raw.sections.at("sample");
  EXPECT_EQ(sample.entries.at("num").node->value<std::int64_t>(), 3);
  EXPECT_EQ(sample.entries.at("num").where, "--num 3");
  EXPECT_EQ(sample.entries.at("out").node->value<std::string>(), odd);  // never parsed: the string itself
  ASSERT_EQ(sample.replaced.count("num"), 1u);  // the file's value, still checked
  EXPECT_EQ(sample.replaced.at("num").node->value<std::int64_t>(), 8);
  EXPECT_EQ(raw.sections.at("sampler").entries.at("plugin").node->value<std::string>(), "ode");
  EXPECT_EQ(raw.sections.at("").entries.at("seed").node->value<std::int64_t>(), 5);
}

TEST(PipelineSteps, ValidateFillsDefaultsTypesValuesAndNamesWhereAValueIsWrong) {
  RawPipeline raw = read_tables("[nll]\nnum = 5\nrtol = 1e-3\n", "p.toml");
  ValidSection nll = validate("nll", raw.sections.at("nll"), test::registry(), PipelineOrigin::File, "p.toml");
  EXPECT_EQ(nll.plugin, nullptr);
  EXPECT_EQ(nll.options.integer("num"), 5);
  EXPECT_DOUBLE_EQ(nll.options.real("rtol"), 1e-3);
  EXPECT_DOUBLE_EQ(nll.options.real("atol"), 1e-5);  // the declared default (kOdeTolerance)
  EXPECT_TRUE(nll.options.is_auto("dequantize"));
  EXPECT_EQ(nll.options.where("num"), "p.toml:2:7");

  RawPipeline wrong = read_tables("[nll]\nnum = 0\n", "p.toml");
  EXPECT_NE(error_of([&] { validate("nll", wrong.sections.at("nll"), test::registry(), PipelineOrigin::File, "p.toml"); })
                .find("p.toml:2:7: [nll] num: must be >= 1"),
            std::string::npos);
  RawPipeline unknown = read_tables("[nll]\nnumm = 3\n", "p.toml");
  EXPECT_NE(error_of([&] { validate("nll", unknown.sections.at("nll"), test::registry(), PipelineOrigin::File, "p.toml"); })
                .find("p.toml:2:1: [nll] unknown key 'numm' (did you mean 'num'?)"),
            std::string::npos);
}

TEST(PipelineSteps, ValidateJoinsTheOptionsOfTheSubPluginsATableChooses) {
  RawPipeline raw = read_tables("[sampler]\nplugin = \"pc\"\ncorrector = \"langevin\"\nsnr = 0.3\n", "p.toml");
  ValidSection pc = validate("sampler", raw.sections.at("sampler"), test::registry(), PipelineOrigin::File, "p.toml");
  ASSERT_NE(pc.plugin, nullptr);
  EXPECT_EQ(pc.plugin->name, "pc");
  EXPECT_DOUBLE_EQ(pc.options.real("snr"), 0.3);  // the langevin corrector's key, in pc's table
  RawPipeline none = read_tables("[sampler]\nplugin = \"pc\"\ncorrector = \"none\"\nsnr = 0.3\n", "p.toml");
  // with no corrector the key takes no effect: an error in a file, dropped from a stored pipeline
  EXPECT_NE(error_of([&] { validate("sampler", none.sections.at("sampler"), test::registry(), PipelineOrigin::File, "p.toml"); })
                .find("unknown key 'snr'"),
            std::string::npos);
  RawPipeline stored = read_tables("[sampler]\nplugin = \"pc\"\ncorrector = \"none\"\nsnr = 0.3\n", "p.toml");
  EXPECT_FALSE(validate("sampler", stored.sections.at("sampler"), test::registry(), PipelineOrigin::Stored, "p.toml")
                   .options.has("snr"));
}

TEST(PipelineSteps, CommandTablesAreTheirDeclaredStructs) {
  // The spec a pipeline validates against and the struct the engine reads are one declaration.
  const Pipeline p = test::pipeline("[train]\nsteps = 7\nlr = 0.5\n[eval]\nnll_num = 0\n");
  const TrainSettings train = settings_of<TrainSettings>(p.options("train"));
  EXPECT_EQ(train.steps, 7);
  EXPECT_DOUBLE_EQ(train.lr, 0.5);
  EXPECT_EQ(train.batch_size, TrainSettings{}.batch_size);  // an absent key: the struct's own default
  EXPECT_EQ(settings_of<EvalSettings>(p.options("eval")).nll_num, 0);
  EXPECT_EQ(settings_of<NllSettings>(p.options("nll")).divergence, "rademacher");  // an absent table
  const SectionSpec* train_spec = find_section("train");
  ASSERT_NE(train_spec, nullptr);
  ASSERT_EQ(train_spec->options.size(), declaration_of<TrainSettings>().specs().size());
  EXPECT_EQ(train_spec->options.front().name, "steps");
  EXPECT_EQ(std::get<std::int64_t>(train_spec->options.front().default_value), 2000);
  EXPECT_EQ(find_section("objective")->default_plugin, "dsm");
}

TEST(PipelineSteps, SettingAValidatedKeyIsCheckedAsAFileValueIs) {
  Pipeline p = test::pipeline("[sde]\nplugin = \"vp\"\nN = 100\n[sampler]\nplugin = \"ode\"\nmethod = \"euler\"\n");
  p.set("sampler", "steps", std::int64_t{25}, "--steps 25");
  EXPECT_EQ(p.options("sampler").integer("steps"), 25);
  EXPECT_NE(error_of([&] { p.set("sampler", "steps", std::int64_t{-1}, "--steps -1"); }).find("--steps -1: [sampler] steps: must be"),
            std::string::npos);
  EXPECT_NE(error_of([&] { p.set("sampler", "method", std::string("leapfrog"), "--method leapfrog"); })
                .find("--method leapfrog: [sampler] method:"),
            std::string::npos);
  EXPECT_NE(error_of([&] { p.set("sampler", "nope", std::int64_t{1}, "--x 1"); }).find("has no key 'nope'"), std::string::npos);
}

}  // namespace
