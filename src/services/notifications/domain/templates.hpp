#pragma once
// The mail templates by name ("order_confirmed"): a subject and a text/plain
// body from <name>.txt, an HTML body from <name>.html. The built-in ones are
// embedded in the binary; a templates directory given at start-up overrides
// any file it holds.
//
// A .txt template starts with its subject line, then a blank line:
//
//   Subject: Order {{order.number}} confirmed
//
//   Hello {{user.name}}, ...

#include <rapidjson/document.h>

#include <filesystem>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "services/notifications/domain/template.hpp"

namespace emporium::notifications {

struct EmbeddedTemplate {
  std::string_view file;  // "welcome.txt"
  std::string_view text;
};

/// The templates compiled into the library (generated from templates/).
std::span<const EmbeddedTemplate> embeddedTemplates();

struct RenderedMail {
  std::string subject;
  std::string text;
  std::string html;
};

class Templates {
 public:
  /// The embedded templates, each overridden by <dir>/<file> when that file
  /// exists. Parses them all now, so a broken override stops start-up: throws
  /// TemplateError naming the file (or a missing .txt/.html pair).
  static Templates load(const std::optional<std::filesystem::path>& dir = std::nullopt);

  /// Renders template `name`: subject and text unescaped, HTML escaped.
  /// Throws TemplateError for an unknown name.
  RenderedMail render(std::string_view name, const rapidjson::Value& context) const;

  bool has(std::string_view name) const { return templates_.contains(name); }

 private:
  struct Entry {
    std::optional<Template> subject, text, html;
  };
  std::map<std::string, Entry, std::less<>> templates_;
};

}  // namespace emporium::notifications
