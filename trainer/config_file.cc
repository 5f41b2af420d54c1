#include "trainer/config_file.h"

#include <fmt/format.h>
#include <toml++/toml.h>

#include <algorithm>
#include <iterator>
#include <memory>

namespace tango::trainer {
namespace {

// Levenshtein distance, for "did you mean" hints on misspelt keys.
size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = up;
    }
  }
  return row[b.size()];
}

// The long names (without dashes) of every option a config file may set, option groups included.
void configurable_names(const CLI::App& app, std::vector<std::string>& names) {
  for (const CLI::Option* option : app.get_options()) {
    if (!option->get_configurable()) continue;
    for (const std::string& name : option->get_lnames()) names.push_back(name);
  }
  for (const CLI::App* group : app.get_subcommands({})) {
    if (group->get_name().empty()) configurable_names(*group, names);
  }
}

// One TOML scalar as the text CLI11 converts (a flag takes true/false, an option its value).
std::string scalar_text(const toml::node& node, const std::string& where) {
  if (const auto* s = node.as_string()) return s->get();
  if (const auto* i = node.as_integer()) return std::to_string(i->get());
  if (const auto* f = node.as_floating_point()) return fmt::format("{}", f->get());
  if (const auto* b = node.as_boolean()) return b->get() ? "true" : "false";
  throw CLI::ConversionError(fmt::format("{}: a date or time is not a flag value", where));
}

}  // namespace

StrictTomlConfig::StrictTomlConfig(const CLI::App& app, const CLI::Option& config_option)
    : app_(app), config_option_(config_option) {}

std::vector<CLI::ConfigItem> StrictTomlConfig::from_config(std::istream& input) const {
  const std::string path = config_option_.count() > 0 ? config_option_.as<std::string>() : "config file";
  const std::string text(std::istreambuf_iterator<char>(input), {});
  toml::table table;
  try {
    table = toml::parse(text, path);
  } catch (const toml::parse_error& e) {
    throw CLI::ConversionError(fmt::format("{}:{}:{}: {} (the file is TOML: key = value per line)", path,
                                           e.source().begin.line, e.source().begin.column, e.description()));
  }
  std::vector<std::string> names;
  configurable_names(app_, names);
  std::vector<CLI::ConfigItem> items;
  for (const auto& [key, node] : table) {
    const std::string name(key.str());
    const std::string where = fmt::format("{}:{}: key '{}'", path, node.source().begin.line, name);
    if (node.is_table()) {
      throw CLI::ConversionError(fmt::format(
          "{} is a [table]; the keys of a config file sit at the top level (hidden = 64)", where));
    }
    if (std::find(names.begin(), names.end(), name) == names.end()) {
      auto nearest =
          std::min_element(names.begin(), names.end(), [&](const std::string& a, const std::string& b) {
            return edit_distance(name, a) < edit_distance(name, b);
          });
      const bool close = nearest != names.end() && edit_distance(name, *nearest) <= 2;
      throw CLI::ConversionError(fmt::format("{} is not a flag of this program{}", where,
                                             close ? fmt::format("; did you mean '{}'?", *nearest) : ""));
    }
    CLI::ConfigItem item;
    item.name = name;
    if (const auto* array = node.as_array()) {
      for (const toml::node& element : *array) item.inputs.push_back(scalar_text(element, where));
    } else {
      item.inputs.push_back(scalar_text(node, where));
    }
    items.push_back(std::move(item));
  }
  return items;
}

void add_config_file_flag(CLI::App& app) {
  CLI::Option* option =
      app.set_config("--config", "", "TOML file with the same keys as the flags (e.g. hidden = 64)");
  app.config_formatter(std::make_shared<StrictTomlConfig>(app, *option));
}

}  // namespace tango::trainer
